/**
 * One run per project at a time. The lock is a file created with O_EXCL in a per-user runtime
 * directory ($XDG_RUNTIME_DIR/stack-locks or <tmp>/stack-locks-<uid>), holding a marker and the
 * holder's pid, command and start time. A holder that died (its pid is gone) leaves a stale
 * file that the next run takes over; a live holder is waited for, with a timeout that names it.
 *
 * A holder records, before each stop request, when that stop will have landed (`stopsUntil`):
 * the engine carries out a stop whose client died (SIGTERM, the grace period, SIGKILL), so a run
 * that takes over a dead holder's lock waits for them (issue 20 item 15; the engine keeps no
 * record of a stop in progress).
 *
 * Only files we wrote are ever removed: a non-empty file without the marker is someone
 * else's (a `yarn.lock` once went this way, issue 20) and is reported, never unlinked. An
 * empty file is what a crash between create and write leaves; it is taken over only once it
 * is older than any write could take.
 */
import {
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  writeFileSync,
  closeSync,
  constants,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackError, diagnostic, displayValue } from '../errors.js';
import { isValidProjectName } from '../loader/discover.js';

/** The field and value every lock file we write carries: what tells our file from a user's. */
export const LOCK_MARKER = { stack: 'project-lock' } as const;

/** How old an empty lock file must be before it counts as a crashed writer's (ms). */
export const EMPTY_LOCK_GRACE_MS = 2_000;

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
  readonly host: string;
  /** Unique per acquisition: tells two holders in one process (or one millisecond) apart. */
  readonly token?: string;
  /**
   * When (ms since the epoch) every stop the holder has sent has landed at the latest: each stop's
   * send time plus its grace period, written before the request leaves. Absent: it sent none.
   */
  readonly stopsUntil?: number;
}

/**
 * Added to a stop's grace period: the engine's own delay between a request and its SIGTERM, and
 * between the SIGKILL and the container's exit, on a loaded machine.
 */
export const STOP_MARGIN_MS = 3000;

/** Stops a dead holder left with the engine: who, and when (ms since the epoch) they have landed. */
export interface InheritedStops {
  /** "pid 123 (stack stop, started ...)", for the notice. */
  readonly holder: string;
  readonly until: number;
}

/** A held lock; `release()` removes the file (idempotent). */
export interface ProjectLock {
  readonly path: string;
  /**
   * Set when the lock was taken over from a holder that died with stops in flight (the engine
   * carries out a stop whose client died): wait for them (`waitForInheritedStops`) before observing.
   */
  readonly inheritedStops?: InheritedStops;
  /** The dead holder this lock was taken over from, if any. */
  readonly previous?: LockHolder;
  /**
   * Records, before a stop request is sent, that it may take `graceSeconds` (plus the margin) to
   * land, so that a run taking over after this one died waits for it. One small file write.
   */
  recordStop(graceSeconds: number): void;
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

/** What is at a lock path: our lock and its holder, an empty file (and its age), nothing, or something else. */
type LockFileState =
  | { readonly kind: 'held'; readonly holder: LockHolder }
  | { readonly kind: 'empty'; readonly ageMs: number }
  | { readonly kind: 'gone' }
  | { readonly kind: 'foreign' };

/**
 * Our lock files carry LOCK_MARKER; files of the previous release had no marker but always
 * all five fields with a token, which no other tool's file is likely to match.
 */
function isOurs(data: Record<string, unknown>): boolean {
  if (data['stack'] === LOCK_MARKER.stack) return typeof data['pid'] === 'number';
  return (
    typeof data['pid'] === 'number' &&
    typeof data['token'] === 'string' &&
    typeof data['command'] === 'string' &&
    typeof data['started'] === 'string' &&
    typeof data['host'] === 'string'
  );
}

function readLockFile(path: string): LockFileState {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { kind: 'gone' };
    throw error;
  }
  if (text === '') return { kind: 'empty', ageMs: Date.now() - mtimeMs };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { kind: 'foreign' };
  }
  if (typeof data !== 'object' || data === null || !isOurs(data as Record<string, unknown>)) return { kind: 'foreign' };
  const d = data as Partial<Record<keyof LockHolder, unknown>>;
  const holder: LockHolder = {
    pid: d.pid as number,
    command: displayValue(d.command ?? '?'),
    started: displayValue(d.started ?? '?'),
    host: displayValue(d.host ?? ''),
    ...(typeof d.token === 'string' ? { token: d.token } : {}),
    ...(typeof d.stopsUntil === 'number' && Number.isFinite(d.stopsUntil) ? { stopsUntil: d.stopsUntil } : {}),
  };
  return { kind: 'held', holder };
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const state = readLockFile(path);
    return state.kind === 'held' ? state.holder : undefined;
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
    writeSync(fd, JSON.stringify({ ...LOCK_MARKER, ...holder }) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes a stale lock file atomically: rename it aside first, so two runs never both remove a
 * fresh one; then check that what was moved is still the stale lock (`stale`) or still empty
 * (`undefined`), else put it back.
 */
function breakStale(path: string, stale: LockHolder | undefined): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  let moved: LockFileState;
  try {
    moved = readLockFile(aside);
  } catch {
    moved = { kind: 'foreign' };
  }
  const same =
    stale === undefined
      ? moved.kind === 'empty'
      : moved.kind === 'held' && moved.holder.pid === stale.pid && moved.holder.token === stale.token;
  if (!same) {
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

/** `STACK_LOCK_TIMEOUT` seconds (default 120): how long a run waits for the project's lock, in ms. */
export function lockTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env['STACK_LOCK_TIMEOUT'] ?? '120');
  return (Number.isFinite(seconds) ? seconds : 120) * 1000;
}

/**
 * Takes the project's lock, waiting for a live holder up to the timeout (LOCK_HELD naming the
 * holder) and taking over from a dead one.
 */
export async function acquireLock(project: string, options: LockOptions): Promise<ProjectLock> {
  // Defence in depth: every caller validates the name first, but the name becomes a path here.
  if (!isValidProjectName(project)) {
    const message =
      `refusing to lock project ${JSON.stringify(project)}: not a valid project name ` +
      '(this is a bug: names are validated before use)';
    throw new StackError('INVALID_PROJECT_NAME', message, {
      diagnostics: [diagnostic('INVALID_PROJECT_NAME', message)],
    });
  }
  const dir = options.dir ?? lockDir(options.env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${project}.lock`);
  const me: LockHolder = {
    pid: process.pid,
    command: options.command,
    started: new Date().toISOString(),
    host: hostname(),
    token: randomUUID(),
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let told = false;
  let delay = 50;
  let inheritedStops: InheritedStops | undefined;
  let previous: LockHolder | undefined;
  for (;;) {
    if (tryCreate(path, me)) break;
    let state = readLockFile(path);
    if (state.kind === 'foreign') {
      // A write in progress is one small write(2): look once more before calling it foreign.
      await new Promise((r) => setTimeout(r, 20));
      state = readLockFile(path);
    }
    if (state.kind === 'gone') continue;
    if (state.kind === 'foreign') {
      throw new StackError(
        'LOCK_NOT_OURS',
        `lock file ${path} of project "${project}" exists but was not written by stack; ` +
          'it was left as it is: remove it if nothing else uses it',
      );
    }
    if (state.kind === 'empty' && state.ageMs >= EMPTY_LOCK_GRACE_MS) {
      // A holder crashed between create and write: nobody will ever write it.
      breakStale(path, undefined);
      continue;
    }
    const holder = state.kind === 'held' ? state.holder : undefined;
    if (holder && !alive(holder.pid) && (holder.host === '' || holder.host === me.host)) {
      breakStale(path, holder);
      previous = holder;
      const until = (holder.stopsUntil ?? 0) + STOP_MARGIN_MS;
      if (holder.stopsUntil !== undefined && until > Date.now() && until > (inheritedStops?.until ?? 0))
        inheritedStops = { holder: describeHolder(holder), until };
      continue;
    }
    if (holder && !told) {
      told = true;
      options.onWait?.(holder);
    }
    if (options.signal?.aborted) throw new StackError('INTERRUPTED', 'interrupted while waiting for the project lock');
    if (Date.now() >= deadline) {
      const who = holder ? describeHolder(holder) : 'a run that has not written its lock file yet';
      throw new StackError(
        'LOCK_HELD',
        `project "${project}" is locked by another stack run: ${who}; lock file ${path}`,
      );
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
  let stopsUntil = 0;
  const recordStop = (graceSeconds: number): void => {
    const until = Date.now() + Math.max(0, graceSeconds) * 1000;
    if (released || until <= stopsUntil) return;
    stopsUntil = until;
    // A whole new file renamed over the lock: a reader sees the old or the new holder, never half.
    const next = `${path}.${me.token ?? process.pid}.tmp`;
    try {
      writeFileSync(next, JSON.stringify({ ...LOCK_MARKER, ...me, stopsUntil }) + '\n', { mode: 0o600 });
      if (readHolder(path)?.token === me.token) renameSync(next, path);
      else unlinkSync(next);
    } catch {
      // the stop goes ahead unrecorded: a run taking over then does not wait for it
    }
  };
  return {
    path,
    recordStop,
    release,
    ...(inheritedStops ? { inheritedStops } : {}),
    ...(previous ? { previous } : {}),
  };
}
