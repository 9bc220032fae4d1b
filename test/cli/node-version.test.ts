/**
 * The bin checks package.json's `engines` itself (npm only warns): on an older Node it exits 1
 * with a message naming the version it needs, before loading anything. An older Node is
 * simulated by a preloaded script that rewrites process.versions.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/stack.cjs');

function runAs(version: string): ReturnType<typeof spawnSync> {
  const dir = mkdtempSync(join(tmpdir(), 'stack-node-'));
  const fake = join(dir, 'fake-version.cjs');
  writeFileSync(
    fake,
    `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });\nObject.defineProperty(process, 'version', { value: 'v${version}' });\n`,
  );
  return spawnSync(process.execPath, ['-r', fake, cli, 'version'], { encoding: 'utf8' });
}

describe('the Node version check of bin/stack.cjs', () => {
  it('refuses Node 20.18 with a message naming the version it needs', () => {
    const result = runAs('20.18.1');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('stack needs Node.js >= 20.19; this is v20.18.1');
  });

  it('agrees with package.json engines', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('lets Node 20.19 and 22 through', () => {
    for (const version of ['20.19.0', '22.1.0']) {
      const result = runAs(version);
      expect(result.stderr).not.toContain('stack needs Node.js');
      expect(result.status).toBe(0);
    }
  });
});
