/**
 * The watch loop behind `stack watch` and `stack up --watch`. Level-triggered: a change to
 * any stack source re-runs load → (reconcile: observe → plan → execute) for the WHOLE stack;
 * the changed file only says "look again". develop.watch rules add sync / restart / exec /
 * rebuild for the services whose paths changed. Bursts are coalesced (one run at a time,
 * at most one queued), and each run prints one line: what changed, what was done, how long.
 *
 *   chokidar ──▶ coalescer ──▶ batch ──▶ planWatchWork ──┬─ sources changed ─▶ load ─▶ reconcile(model)
 *                                                        ├─ rebuild ─────────────────▶ reconcile(model, build)
 *                                                        └─ sync / restart / exec ───▶ engine (per replica)
 */
import { lstat } from 'node:fs/promises';
import { StackError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import type { StackModel } from '../model.js';
import type { Engine } from '../engine/types.js';
import type { Clock } from './debounce.js';
import { createCoalescer, systemClock } from './debounce.js';
import type { ActionLike, ReloadReport } from './report.js';
import { describeActions, displayPaths } from './report.js';
import type { FileChange } from './rules.js';
import { planWatchWork } from './rules.js';
import { bindRules, runServiceActions, runInitialSync, watchKey } from './actions.js';
import type { StackWatcher } from './watcher.js';
import { sourcePaths, startWatcher } from './watcher.js';

/** What the session asks the up pipeline to do: bring the engine in line with `model`. */
export interface ReconcileRequest {
  /** The model just loaded (valid); the whole stack, never a diff. */
  readonly model: StackModel;
  /** Services whose images must be (re)built before planning (develop.watch `rebuild`); usually empty. */
  readonly build: readonly string[];
}

/** What a reconcile did, for the reload line. A planner `Plan` (or `{ actions: plan.actions }`) fits. */
export interface ReconcileSummary {
  /** The actions applied; empty when the stack was already converged. */
  readonly actions: readonly ActionLike[];
}

/** Options of `watchSession`: what it needs and whom it tells; no terminal, no CLI context. */
export interface WatchSessionOptions {
  /** Aborted to stop watching (Ctrl-C). */
  readonly signal: AbortSignal;
  /** The engine that sync / restart / exec rules act on. */
  readonly engine: Engine;
  /** Loads the stack files again (they changed), with these services selected (empty: all). */
  readonly load: (services: readonly string[]) => Promise<StackModel>;
  /**
   * observe → plan → execute for `request.model` (under the project lock), building
   * `request.build` first. Throw a StackError on failure: the session prints it and keeps
   * watching (the next change retries).
   */
  readonly reconcile: (request: ReconcileRequest) => Promise<ReconcileSummary>;
  /** Only these services' develop.watch rules (and the load selects them); empty = all. */
  readonly services?: readonly string[];
  /**
   * Runs once after watching stops (Ctrl-C), with the last valid model: `up --watch` stops the
   * stack here (like attached `up`); `stack watch` passes nothing and leaves containers running.
   */
  readonly stopOnExit?: (model: StackModel) => Promise<void>;
  /** Reconcile once before the first change (`stack watch`); `up --watch` has just applied, so false by default. */
  readonly initialReconcile?: boolean;
  /** Defaults: the system clock, 100 ms quiet, 3 s max wait. */
  readonly clock?: Clock;
  /** Must exceed chokidar's 50 ms change throttle (it drops repeats without a trailing event). */
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  /** Each reload's report: what changed, what was done, how long. */
  readonly onReload?: (report: ReloadReport) => void;
  /** A reload that failed (an invalid stack, a failed apply): the session keeps watching. */
  readonly onError?: (error: unknown) => void;
  /** Problems with develop.watch rules (when they are bound, and again when they change). */
  readonly onDiagnostics?: (diagnostics: readonly Diagnostic[]) => void;
  /** Watching has started: how many stack sources and develop.watch rules. */
  readonly onStart?: (sources: number, rules: number) => void;
}

/** How a session ended: stopped by its signal, or the watcher failed (out of inotify watches: `error` says the fix). */
export type WatchOutcome =
  { readonly stopped: 'signal' } | { readonly stopped: 'watcher-failed'; readonly error: StackError };

/** A file change (`confirm`: the second look a quiet period after a run at the first event), or the start. */
type Trigger =
  (FileChange & { readonly confirm?: boolean }) | { readonly kind: 'initial'; readonly reconcile: boolean };

/** Size, mtime and ctime of a path ('absent' when gone): a write after a look changes it. */
async function stampOf(path: string): Promise<string> {
  try {
    const s = await lstat(path);
    return `${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return 'absent';
  }
}

/**
 * Watches until `options.signal` aborts (Ctrl-C) or the watcher fails (e.g. out of inotify
 * watches), then runs `stopOnExit` and says which of the two happened.
 */
export async function watchSession(initial: StackModel, options: WatchSessionOptions): Promise<WatchOutcome> {
  const { signal, engine } = options;
  const services = options.services ?? [];
  const clock = options.clock ?? systemClock;
  let model = initial;
  let bound = await bindRules(model, services);
  let rules = bound.rules;
  let warned = watchKey([], rules);
  if (bound.warnings.length > 0) options.onDiagnostics?.(bound.warnings);
  let sources = sourcePaths(model);
  let key = watchKey(sources, rules);
  let watcher: StackWatcher | undefined;
  let fatal: StackError | undefined;
  let stopping = false;
  let wake = (): void => undefined;
  const finished = new Promise<void>((resolve) => (wake = resolve));

  const report = (r: ReloadReport): void => options.onReload?.(r);
  const printError = (error: unknown): void => {
    // Ctrl-C during a reload: the frame already said so; the next run converges.
    if (signal.aborted && error instanceof StackError && error.code === 'INTERRUPTED') return;
    options.onError?.(error);
  };
  const onWatchError = (error: StackError): void => {
    fatal ??= error;
    wake();
  };
  const watchNow = (): Promise<StackWatcher> =>
    startWatcher({ sources, rules, onChange: (change) => coalescer.trigger(change), onError: onWatchError });

  // A new valid model may name other files or rules: watch those (start the new, then close the old).
  const rebind = async (): Promise<void> => {
    bound = await bindRules(model, services);
    rules = bound.rules;
    // Warn again only when the rules changed, not on every reload.
    if (watchKey([], rules) !== warned && bound.warnings.length > 0) options.onDiagnostics?.(bound.warnings);
    warned = watchKey([], rules);
    sources = sourcePaths(model);
    const next = watchKey(sources, rules);
    if (next === key || stopping) return;
    key = next;
    const old = watcher;
    watcher = await watchNow();
    await old?.close();
  };

  const reconcile = async (target: StackModel, build: readonly string[], done: string[]): Promise<boolean> => {
    try {
      const summary = await options.reconcile({ model: target, build });
      done.push(describeActions(summary.actions));
      return true;
    } catch (error) {
      printError(error);
      done.push(`apply failed: ${error instanceof StackError ? error.code : 'error'}`);
      return false;
    }
  };

  // The stamp of each changed path when a run last looked at it.
  const stamps = new Map<string, string>();
  const handleBatch = async (batch: readonly Trigger[]): Promise<void> => {
    const started = clock.now();
    const initialRun = batch.some((t) => t.kind === 'initial');
    const initialReconcile = batch.some((t) => t.kind === 'initial' && t.reconcile);
    const changes: FileChange[] = [];
    for (const t of batch) {
      if (t.kind === 'initial') continue;
      const now = await stampOf(t.path);
      // A confirmation of a path unchanged since the run that read it: already applied.
      if (t.confirm && stamps.get(t.path) === now) continue;
      // Stamped before anything reads the file, so a write after this look is seen by the confirmation.
      stamps.set(t.path, now);
      changes.push({ kind: t.kind, path: t.path });
    }
    const work = planWatchWork(changes, new Set(sources), rules);
    if (!initialRun && work.changed.length === 0) return;
    const done: string[] = [];
    let ok = true;
    let next: StackModel | undefined;
    if (work.sources.length > 0) {
      try {
        next = await options.load(services);
      } catch (error) {
        printError(error);
        const count = error instanceof StackError ? error.diagnostics.filter((d) => d.severity === 'error').length : 0;
        done.push(
          `invalid stack (${count || 1} error${count > 1 ? 's' : ''}): nothing applied, the running stack is untouched`,
        );
        ok = false;
      }
    }
    if (next || work.rebuild.length > 0 || initialReconcile) {
      const applied = await reconcile(next ?? model, work.rebuild, done);
      ok = applied && ok;
      if (applied && work.rebuild.length > 0 && !done.some((d) => d.includes('built')))
        done.push(`rebuilt ${work.rebuild.join(', ')}`);
      if (next) {
        model = next;
        await rebind();
      }
    }
    if (initialRun) ok = (await runInitialSync(engine, model, rules, done, signal)) && ok;
    ok = (await runServiceActions(engine, model, work, done, signal)) && ok;
    const changed = displayPaths(model.workingDir, work.changed);
    report({ changed, done, durationMs: clock.now() - started, ok, ...(initialRun ? { initial: true } : {}) });
  };

  const coalescer = createCoalescer<Trigger>({
    clock,
    quietMs: options.quietMs ?? 100,
    maxWaitMs: options.maxWaitMs ?? 3000,
    // The first save of a develop.watch path runs at once (a dev loop at `docker cp` speed). It
    // can come while the file is half written, and chokidar drops the repeats within its 50 ms
    // throttle without a trailing event, so each path of that run is looked at again a quiet
    // period later and applied again if it changed since. A stack file waits for the quiet
    // period: a reload recreates containers, and a burst of saves stays one or two reloads.
    leading: (t) => t.kind !== 'initial' && !sources.includes(t.path),
    confirm: (t) => (t.kind === 'initial' ? undefined : { kind: t.kind, path: t.path, confirm: true }),
    run: handleBatch,
    onError: printError,
  });

  const onAbort = (): void => wake();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    watcher = await watchNow();
    // The first scan may already have failed (e.g. out of inotify watches): then say only that, below.
    if (!fatal) options.onStart?.(sources.length, rules.length);
    if (options.initialReconcile || rules.some((r) => r.rule.initialSync))
      coalescer.trigger({ kind: 'initial', reconcile: options.initialReconcile === true });
    if (!signal.aborted && !fatal) await finished;
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    fatal ??= error;
  } finally {
    stopping = true;
    signal.removeEventListener('abort', onAbort);
    coalescer.close();
    await coalescer.idle();
    await watcher?.close();
    if (options.stopOnExit) await options.stopOnExit(model);
  }
  return fatal ? { stopped: 'watcher-failed', error: fatal } : { stopped: 'signal' };
}
