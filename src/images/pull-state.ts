/**
 * When stack last pulled each image, for the `daily` / `weekly` / `every_<duration>` pull
 * policies. The engine keeps no pull time (`Metadata.LastTagTime` moves only on `docker tag`,
 * not on a pull that finds the same image), and an image label cannot be written after the
 * fact, so a small cache file holds it: `$XDG_CACHE_HOME/stack/pulls.json` (default
 * `~/.cache/stack/pulls.json`), keyed by engine endpoint and reference. Losing it costs one
 * extra pull, never a wrong container: it is a cache, not state (docs/lock-file.md).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { userCacheDir } from '../../bin/cache-dir.cjs';
import { withDefaultTag } from '../image-ref.js';

interface PullStateFile {
  version: 1;
  engines: Record<string, Record<string, number>>;
}

/** The path of the pull-time cache for this environment (`STACK_PULL_STATE` overrides it). */
export function pullStatePath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env['STACK_PULL_STATE']) return env['STACK_PULL_STATE'];
  const base = userCacheDir(env);
  return base === undefined ? undefined : join(base, 'pulls.json');
}

async function readState(path: string | undefined): Promise<PullStateFile> {
  try {
    // No home directory: no file, as if it were missing.
    const parsed =
      path === undefined ? undefined : (JSON.parse(await readFile(path, 'utf8')) as Partial<PullStateFile>);
    if (parsed && parsed.version === 1 && parsed.engines && typeof parsed.engines === 'object')
      return parsed as PullStateFile;
  } catch {
    // missing or corrupt: start afresh (it is only a cache)
  }
  return { version: 1, engines: Object.create(null) as Record<string, Record<string, number>> };
}

/** Last pull times (unix seconds) on `endpoint`, by reference with the tag defaulted. */
export async function readPullTimes(
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string,
): Promise<Record<string, number>> {
  const state = await readState(pullStatePath(env));
  return { ...(state.engines[endpoint] ?? {}) };
}

/** Records that `refs` were pulled at `now` (unix seconds) on `endpoint`. Best effort. */
export async function recordPulls(
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string,
  refs: readonly string[],
  now: number,
): Promise<void> {
  if (refs.length === 0) return;
  const path = pullStatePath(env);
  if (path === undefined) return;
  try {
    const state = await readState(path);
    const times = { ...(state.engines[endpoint] ?? {}) };
    for (const ref of refs) times[withDefaultTag(ref)] = Math.floor(now);
    state.engines[endpoint] = times;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
    await rename(tmp, path);
  } catch {
    // An unwritable cache only means the next interval policy pulls again.
  }
}
