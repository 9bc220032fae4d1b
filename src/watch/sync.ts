/**
 * Sync: bring changed host paths in line inside every running replica of a service. What
 * exists on disk when the sync runs is copied (one tar, one upload per replica); what no
 * longer exists is removed with one `rm -rf` exec per replica. The event that woke us is
 * never consulted, so a file created and deleted within one batch is simply removed.
 */
import type { Stats } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine/types.js';
import type { ReplicaRef } from '../engine/observe.js';
import { execInContainer, putArchive } from '../engine/archive.js';
import { StackError } from '../errors.js';
import type { BoundRule } from './rules.js';
import { containerPath } from './rules.js';
import type { TarEntry } from './tar.js';
import { buildTar } from './tar.js';

/** A sync made ready to send: the archive of what exists and the container paths to delete. */
export interface PreparedSync {
  /** Undefined when nothing is to be copied. */
  readonly tar: Buffer | undefined;
  /** Container paths copied (files and directories). */
  readonly copied: readonly string[];
  /** Container paths to delete. */
  readonly removed: readonly string[];
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}

/**
 * Reads the host paths of one rule into tar entries (files with their mode; directories as
 * entries, not their contents: their files arrive as their own changes) and a list of
 * container paths to delete. Symlinks are followed; unreadable files are skipped.
 */
export async function prepareSync(rule: BoundRule, hostPaths: readonly string[]): Promise<PreparedSync> {
  const entries: TarEntry[] = [];
  const copied: string[] = [];
  const removed: string[] = [];
  for (const host of hostPaths) {
    const target = containerPath(rule.rule, host);
    if (target === undefined || target === '/') continue;
    const name = target.replace(/^\/+/, '');
    const stats = await statOrUndefined(host);
    if (!stats) {
      removed.push(target);
      continue;
    }
    const mtime = stats.mtimeMs;
    if (stats.isDirectory()) {
      entries.push({ type: 'directory', name, mode: stats.mode, mtime });
      copied.push(target);
      continue;
    }
    try {
      const content = await readFile(host);
      entries.push({ type: 'file', name, content, mode: stats.isSymbolicLink() ? 0o644 : stats.mode, mtime });
      copied.push(target);
    } catch {
      // vanished or unreadable between the event and now: the next event brings it in line
    }
  }
  return { tar: entries.length > 0 ? buildTar(entries) : undefined, copied, removed };
}

/** Every file and directory under a rule's path that its filter accepts (for `initial_sync`). */
export async function walkRule(rule: BoundRule): Promise<string[]> {
  const out: string[] = [];
  const root = rule.rule.path;
  const rootStats = await statOrUndefined(root);
  if (!rootStats) return out;
  if (!rootStats.isDirectory()) return rule.filter.accepts(root) ? [root] : [];
  const visit = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const stats = await statOrUndefined(path);
      if (!stats || rule.filter.ignored(path, stats)) continue;
      if (stats.isDirectory()) {
        await visit(path);
      } else if (rule.filter.accepts(path)) {
        out.push(path);
      }
    }
  };
  await visit(root);
  return out;
}

/** Sends a prepared sync to each replica: one upload and at most one `rm -rf` exec per replica. */
export async function applySync(
  engine: Engine,
  replicas: readonly ReplicaRef[],
  prepared: PreparedSync,
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    replicas.map(async (replica) => {
      if (prepared.removed.length > 0) {
        const result = await execInContainer(
          engine,
          replica.id,
          ['rm', '-rf', '--', ...prepared.removed],
          signal ? { signal } : {},
        );
        if (result.exitCode !== 0) {
          throw new StackError(
            'APPLY_FAILED',
            `sync: removing ${prepared.removed.length} path(s) in ${replica.name} failed ` +
              `(exit ${result.exitCode}): ${result.output.trim()}`,
          );
        }
      }
      if (prepared.tar) await putArchive(engine, replica.id, prepared.tar, '/', signal);
    }),
  );
}
