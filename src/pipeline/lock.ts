/**
 * One run per project at a time. The lock is a file created with O_EXCL in a per-user runtime
 * directory ($XDG_RUNTIME_DIR/stack-locks or <tmp>/stack-locks-<uid>), holding the holder's
 * pid, command and start time. A holder that died (its pid is gone) leaves a stale file that
 * the next run takes over; a live holder is waited for, with a timeout that names it.
 */
import { mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync, constants } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackError } from '../errors.js';

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
  readonly host: string;
  /** Unique per acquisition: tells two holders in one process (or one millisecond) apart. */
  readonly token?: string;
}

/** A held lock; `release()` removes the file (idempotent). */
export interface ProjectLock {
  readonly path: string;
  release(): void;
}

/** Options of `acquireLock`. */
export interface LockOptions {
  readonly command: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long to wait for a live holder (default 120 s). */
  readonly timeoutMs?: number;
  /** Called once when we start waiting, e.g. to print "waiting for lock held by pid N (...)". */
  readonly onWait?: (holder: LockHolder) => void;
  readonly signal?: AbortSignal;
  /** Overrides the directory (tests). */
  readonly dir?: string;
}

/** The per-user lock directory. */
export function lockDir(env: Readonly<Record<string, string | undefined>>): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime) return join(runtime, 'stack-locks');
  return join(tmpdir(), `stack-locks-${process.getuid?.() ?? 'user'}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof data.pid !== 'number') return undefined;
    return { pid: data.pid, command: String(data.command ?? '?'), started: String(data.started ?? '?'), host: String(data.host ?? ''), ...(typeof data.token === 'string' ? { token: data.token } : {}) };
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Removes a stale lock file atomically: rename it aside first, so two runs never both remove a fresh one. */
function breakStale(path: string, stale: LockHolder): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readHolder(aside);
  if (moved && (moved.pid !== stale.pid || moved.token !== stale.token)) {
    // Someone took the lock between our read and our rename: give it back.
    try {
      renameSync(aside, path);
    } catch {
      // it is theirs to recreate
    }
    return;
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

/** "pid 123 (stack up, started 2025-01-01T10:00:00.000Z)" */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} (${holder.command}, started ${holder.started})`;
}

/**
 * Takes the project's lock, waiting for a live holder up to the timeout (LOCK_HELD naming the
 * holder) and taking over from a dead one.
 */
export async function acquireLock(project: string, options: LockOptions): Promise<ProjectLock> {
  const dir = options.dir ?? lockDir(options.env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${project}.lock`);
  const me: LockHolder = { pid: process.pid, command: options.command, started: new Date().toISOString(), host: hostname(), token: randomUUID() };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let told = false;
  let delay = 50;
  for (;;) {
    if (tryCreate(path, me)) break;
    const holder = readHolder(path);
    if (holder === undefined) {
      // Being written right now, or garbage: give the writer a moment, then treat as stale.
      await new Promise((r) => setTimeout(r, 20));
      const again = readHolder(path);
      if (again === undefined) breakStale(path, { pid: -1, command: '', started: '', host: '' });
      continue;
    }
    if (!alive(holder.pid) && (holder.host === '' || holder.host === me.host)) {
      breakStale(path, holder);
      continue;
    }
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    if (options.signal?.aborted) throw new StackError('INTERRUPTED', 'interrupted while waiting for the project lock');
    if (Date.now() >= deadline) {
      throw new StackError('LOCK_HELD', `project "${project}" is locked by another stack run: ${describeHolder(holder)}; lock file ${path}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const current = readHolder(path);
    if (current?.token === me.token) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { path, release };
}
