/**
 * The V8 code cache of the bundled CLI (bin/stack.cjs) lives in the user's cache directory,
 * `$XDG_CACHE_HOME/stack/code`, built on the first run: never in the package (an installed
 * package may be read-only, and a cache keyed to one machine must not ship). The shim writes
 * an entry only after a run that had none or whose entry V8 rejected, so an entry left alone
 * by the second run is one that was read and accepted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/stack.cjs');

/** Runs `stack version --short` with this cache home (and no other cache home from the caller). */
function version(cacheHome: string): { status: number | null; stdout: string } {
  const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
  const out = spawnSync(process.execPath, [cli, 'version', '--short'], { env, encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout.trim() };
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.v8')) : [];
}

describe('the code cache', { timeout: 60_000 }, () => {
  beforeAll(() => {
    // Runs the built CLI: `npm test` builds first; a missing build fails, never skips.
    expect(existsSync(join(root, 'dist/stack.cjs')), 'dist/stack.cjs is missing: run `npm run build` first').toBe(true);
  });

  it('is built on first run in $XDG_CACHE_HOME/stack/code (0700, entries 0600) and reused by the next run', () => {
    const home = mkdtempSync(join(tmpdir(), 'stack-code-cache-'));
    const dir = join(home, 'stack', 'code');
    expect(version(home)).toEqual({ status: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
    const [entry] = entries(dir);
    expect(entry, `an entry in ${dir}`).toMatch(/-light-v\d+\.\d+\.\d+\.v8$/);
    expect(statSync(join(home, 'stack')).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const first = statSync(join(dir, entry!));
    expect(first.mode & 0o777).toBe(0o600);
    expect(first.size).toBeGreaterThan(10_000);

    // Accepted: the second run does not write it again (same file, same inode).
    expect(version(home).status).toBe(0);
    expect(entries(dir)).toEqual([entry]);
    expect(statSync(join(dir, entry!)).ino).toBe(first.ino);
    // Nothing lands in the package.
    expect(existsSync(join(root, 'dist/.cache'))).toBe(false);
  });

  it('an entry V8 rejects, or one others may write, is not used and is written anew', () => {
    const home = mkdtempSync(join(tmpdir(), 'stack-code-cache-'));
    const dir = join(home, 'stack', 'code');
    expect(version(home).status).toBe(0);
    const [entry] = entries(dir);
    const path = join(dir, entry!);

    writeFileSync(path, 'not a code cache'); // corrupt, still 0600 and ours: read, rejected, rewritten
    const corrupt = statSync(path).ino;
    expect(version(home).status).toBe(0);
    expect(statSync(path).ino).not.toBe(corrupt);
    expect(statSync(path).size).toBeGreaterThan(10_000);

    chmodSync(path, 0o666); // writable by others: never read (a planted cache is code)
    const planted = statSync(path).ino;
    expect(version(home).status).toBe(0);
    expect(statSync(path).ino).not.toBe(planted);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    chmodSync(dir, 0o777); // a directory others may write: no cache at all, same output
    const before = statSync(path).ino;
    chmodSync(path, 0o666);
    expect(version(home).status).toBe(0);
    expect(statSync(path).ino).toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o666);
  });

  it('without a usable cache directory the command works the same', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stack-code-cache-')), 'a-file');
    writeFileSync(file, '');
    const run = version(file); // XDG_CACHE_HOME is a file: nothing can be made under it
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
