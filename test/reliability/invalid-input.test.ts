// Invalid input never reaches the engine: for every fixture in fixtures/invalid (and a few
// hostile files written here), `stack up -d` through the counting proxy exits 2 and the proxy
// sees zero requests. The proxy targets a socket that does not exist, so no engine is needed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { ROOT, cliBuilt, describeRun, runStack } from '../support/stack-cli.js';

const INVALID = join(ROOT, 'fixtures/invalid');
const HOSTILE: Record<string, string> = {
  'alias bomb': `x-a: &a [1,1,1,1,1,1,1,1,1,1]\n${Array.from(
    { length: 8 },
    (_, i) =>
      `x-${i}: &a${i} [${Array(10)
        .fill(i ? `*a${i - 1}` : '*a')
        .join(',')}]`,
  ).join('\n')}\nservices: {web: {image: x, labels: {l: *a7}}}\n`,
  'proto key': 'services:\n  web:\n    image: x\n    labels:\n      __proto__: {polluted: yes}\n',
  'deep nesting': `services: {web: {image: x, labels: ${'['.repeat(5000)}${']'.repeat(5000)}}}\n`,
  'several documents': 'services: {web: {image: x}}\n---\nservices: {db: {image: y}}\n',
  'wrong types': 'services:\n  web:\n    image: [1, 2]\n    ports: {a: b}\n    depends_on: 7\n',
  // Files of settings that are no regular file (NOT_A_REGULAR_FILE): the caller's environment, a
  // FIFO (made in beforeAll; a read would block), a directory.
  'env_file /proc/self/environ': 'services:\n  web:\n    image: x\n    env_file: /proc/self/environ\n',
  'env_file fifo': 'services:\n  web:\n    image: x\n    env_file: {path: ./a-fifo, required: false}\n',
  'secret file directory': 'services:\n  web:\n    image: x\n    secrets: [s]\nsecrets:\n  s:\n    file: ./\n',
};

describe('invalid input makes zero engine requests', () => {
  let dir: string;
  let proxy: EngineProxy;
  const files = readdirSync(INVALID).filter((f) => f.endsWith('.yaml'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-invalid-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock'), target: join(dir, 'no-engine.sock') });
    execFileSync('mkfifo', [join(dir, 'a-fifo')]);
    for (const [name, text] of Object.entries(HOSTILE))
      writeFileSync(join(dir, `${name.replace(/[ /]/g, '-')}.yaml`), text);
  });
  afterAll(async () => {
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    ...files.map((f) => [f, join(INVALID, f)] as const),
    ...Object.keys(HOSTILE).map((name) => [name, `${name.replace(/[ /]/g, '-')}.yaml`] as const),
  ];
  it.skipIf(!cliBuilt()).each(cases)(
    '%s: up -d exits 2 before any engine request',
    async (_name, file) => {
      proxy.reset();
      const run = await runStack(['-f', file, '-p', 'rel-invalid', 'up', '-d'], {
        dockerHost: proxy.dockerHost,
        cwd: dir,
        timeoutMs: 60_000,
      });
      expect(run.code, describeRun(run)).toBe(2);
      expect(proxy.counts.reads + proxy.counts.writes, `engine requests: ${JSON.stringify(proxy.counts.byRoute)}`).toBe(
        0,
      );
      expect(run.stderr).not.toMatch(/this is a bug/i);
    },
    60_000,
  );
});
