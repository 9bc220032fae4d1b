// A project name the user types (`-p`, COMPOSE_PROJECT_NAME, STACK_PROJECT_NAME) is validated
// before any use, with or without a stack file (issue 20, item 1): `-p ../other/dir/yarn down`
// once unlinked a yarn.lock as a "stale lock", `-p feature/x` crashed with ENOENT. Every run
// here goes through the counting proxy to a socket that does not exist: zero engine requests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { cliBuilt, describeRun, runStack } from '../support/stack-cli.js';

const YARN_LOCK = '# yarn lockfile v1\n\nleft-pad@^1.3.0:\n  version "1.3.0"\n';
const COMPOSE_WORDING =
  /invalid project name ".*": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number/;

describe.skipIf(!cliBuilt())('a typed project name is validated before any use', () => {
  let root: string;
  let proxy: EngineProxy;
  // No stack file here or in a parent: the name alone is the project (down/ps/logs -p X).
  let empty: string;
  let withFile: string;
  let yarnLock: string;
  const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    runStack(args, {
      dockerHost: proxy.dockerHost,
      cwd,
      timeoutMs: 60_000,
      env: { XDG_RUNTIME_DIR: join(root, 'run'), STACK_PROJECT_NAME: '', COMPOSE_PROJECT_NAME: '', ...env },
    });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'stack-rel-pname-'));
    proxy = await startEngineProxy({ socketPath: join(root, 'engine.sock'), target: join(root, 'no-engine.sock') });
    empty = join(root, 'empty');
    withFile = join(root, 'withfile');
    mkdirSync(empty);
    mkdirSync(withFile);
    writeFileSync(join(withFile, 'stack.yaml'), 'services: {web: {image: stack-test/busybox:latest}}\n');
    // Where `join(lockDir, '../other/dir/yarn.lock')` lands.
    mkdirSync(join(root, 'run', 'other', 'dir'), { recursive: true });
    yarnLock = join(root, 'run', 'other', 'dir', 'yarn.lock');
  });
  afterAll(async () => {
    await proxy?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxy.reset();
    writeFileSync(yarnLock, YARN_LOCK);
  });

  it('-p ../other/dir/yarn down exits 2, leaves the yarn.lock intact and asks nothing of the engine', async () => {
    const result = await run(['-p', '../other/dir/yarn', 'down'], empty);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toMatch(COMPOSE_WORDING);
    expect(readFileSync(yarnLock, 'utf8')).toBe(YARN_LOCK);
    expect(proxy.counts.reads + proxy.counts.writes).toBe(0);
  });

  it.each([
    ['-p', ['-p', 'feature/x', 'down'], {}],
    ['COMPOSE_PROJECT_NAME', ['down'], { COMPOSE_PROJECT_NAME: 'feature/x' }],
    ['STACK_PROJECT_NAME', ['ps'], { STACK_PROJECT_NAME: 'feature/x' }],
  ] as const)(
    'a branch name in %s is a usage error naming the valid spelling, not a crash',
    async (origin, args, env) => {
      const result = await run([...args], empty, env);
      expect(result.code, describeRun(result)).toBe(2);
      expect(result.stderr).toMatch(COMPOSE_WORDING);
      expect(result.stderr).toContain(origin);
      expect(result.stderr).toContain('featurex');
      expect(result.stderr).not.toMatch(/INTERNAL|ENOENT|this is a bug/);
      expect(proxy.counts.reads + proxy.counts.writes).toBe(0);
    },
  );

  it('-p RSV (a name that only normalizes to rsv) is refused with a hint to use rsv, with or without a stack file', async () => {
    for (const [args, cwd] of [
      [['-p', 'RSV', 'down'], empty],
      [['-p', 'RSV', 'logs'], empty],
      [['-p', 'RSV', 'up', '-d'], withFile],
    ] as const) {
      const result = await run([...args], cwd);
      expect(result.code, describeRun(result)).toBe(2);
      expect(result.stderr).toMatch(COMPOSE_WORDING);
      expect(result.stderr).toMatch(/\brsv\b/);
    }
    expect(proxy.counts.reads + proxy.counts.writes).toBe(0);
  });
});
