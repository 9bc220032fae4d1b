/**
 * The file watcher (chokidar 4 lives only here). Two kinds of roots:
 * - stack sources (stack files, overrides, .env, env_files, extended files): their parent
 *   directories at depth 0, keeping only the interesting names, so atomic saves (write a
 *   temp file, rename over) and files that appear later (`.env`, an override) are seen;
 * - develop.watch rule paths, recursively, with the rule's filter as chokidar's `ignored`
 *   function, so ignored directories are never descended into.
 * Running out of inotify watches (ENOSPC) is reported with the sysctl that fixes it.
 */
import { readFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { FSWatcher } from 'chokidar';
import type { StackModel } from '../model.js';
import { StackError, diagnostic } from '../errors.js';
import type { BoundRule, FileChange } from './rules.js';

/** Options of `startWatcher`. */
export interface WatcherOptions {
  /** Absolute paths whose change means "reload the stack". */
  readonly sources: readonly string[];
  readonly rules: readonly BoundRule[];
  readonly onChange: (change: FileChange) => void;
  /** A watch error, already turned into a StackError (ENOSPC/EMFILE carry the fix as a hint). */
  readonly onError: (error: StackError) => void;
}

/** A running watcher. */
export interface StackWatcher {
  close(): Promise<void>;
}

const EVENTS: ReadonlySet<string> = new Set(['add', 'change', 'unlink', 'addDir', 'unlinkDir']);

/**
 * The files whose appearance or change should reload the stack: the model's sources, the
 * project `.env`, and the `*.override.*` sibling of each stack file (discovery picks it up).
 */
export function sourcePaths(model: StackModel): string[] {
  const paths = new Set<string>(model.sourceFiles);
  for (const service of Object.values(model.services)) for (const envFile of service.envFiles) paths.add(envFile.path);
  for (const file of model.configFiles) {
    paths.add(file);
    const ext = extname(file);
    if (ext === '.yaml' || ext === '.yml') paths.add(join(dirname(file), `${basename(file, ext)}.override${ext}`));
  }
  paths.add(join(model.workingDir, '.env'));
  return [...paths].sort();
}

function readLimit(): number | undefined {
  try {
    const n = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Turns a watcher error into a StackError; ENOSPC and EMFILE get the fix as a hint. */
export function describeWatchError(error: unknown, limit: number | undefined = readLimit()): StackError {
  const code = (error as { code?: unknown } | null)?.code;
  const path = (error as { path?: unknown } | null)?.path;
  const where = typeof path === 'string' ? ` while watching ${path}` : '';
  if (code === 'ENOSPC') {
    const suggested = Math.max(524_288, (limit ?? 0) * 2);
    const message = `out of inotify watches${where} (fs.inotify.max_user_watches = ${limit ?? 'unknown'})`;
    const hint =
      `raise the limit: sudo sysctl fs.inotify.max_user_watches=${suggested} ` +
      `(to keep it: echo fs.inotify.max_user_watches=${suggested} | sudo tee /etc/sysctl.d/60-inotify.conf), ` +
      'or narrow develop.watch paths and add ignore patterns for large directories';
    return new StackError('FILE_UNREADABLE', message, {
      cause: error,
      diagnostics: [diagnostic('FILE_UNREADABLE', message, undefined, hint)],
    });
  }
  if (code === 'EMFILE') {
    const message = `too many open files${where}`;
    const hint = 'raise the open-file limit (ulimit -n), or narrow develop.watch paths and add ignore patterns';
    return new StackError('FILE_UNREADABLE', message, {
      cause: error,
      diagnostics: [diagnostic('FILE_UNREADABLE', message, undefined, hint)],
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new StackError('FILE_UNREADABLE', `file watcher failed${where}: ${text}`, { cause: error });
}

/** Starts one chokidar watcher; resolves once its initial scan is done. */
async function watch(
  paths: readonly string[],
  ignored: (path: string, stats?: Stats) => boolean,
  depth: number | undefined,
  options: WatcherOptions,
): Promise<FSWatcher> {
  const watcher = new FSWatcher({
    ignoreInitial: true,
    ignorePermissionErrors: true,
    persistent: true,
    ignored,
    ...(depth !== undefined ? { depth } : {}),
  });
  watcher.on('all', (event, path) => {
    if (EVENTS.has(event)) options.onChange({ kind: event as FileChange['kind'], path });
  });
  watcher.on('error', (error) => options.onError(describeWatchError(error)));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  watcher.add([...paths]);
  await ready;
  return watcher;
}

/** Watches the stack sources and every rule path; events go to `onChange` unfiltered by kind. */
export async function startWatcher(options: WatcherOptions): Promise<StackWatcher> {
  const watchers: FSWatcher[] = [];
  const interesting = new Set(options.sources);
  const dirs = [...new Set(options.sources.map((s) => dirname(s)))].sort();
  try {
    if (dirs.length > 0) {
      const dirSet = new Set(dirs);
      watchers.push(await watch(dirs, (path) => !dirSet.has(path) && !interesting.has(path), 0, options));
    }
    for (const rule of options.rules) {
      watchers.push(await watch([rule.rule.path], rule.filter.ignored, undefined, options));
    }
  } catch (error) {
    await Promise.all(watchers.map((w) => w.close()));
    throw describeWatchError(error);
  }
  return {
    async close(): Promise<void> {
      await Promise.all(watchers.map((w) => w.close()));
    },
  };
}
