/**
 * The reconcile loop, once, for every target (local containers today, Swarm services next):
 *
 *   observe → plan → [refine: inspect what the plan replaces → plan again] → validate
 *     → nothing to do? done
 *     → confirm destructive actions → execute (progress events)
 *     → a conflict, a write whose reply never came, a dependency someone else stopped?
 *       observe again (at most REOBSERVATIONS times), never retry blindly
 *     → check (containers that died right after their start) → failures? APPLY_FAILED
 *     → something it left running stopped meanwhile by someone else? observe again (bounded)
 *
 * A target brings its own observe, pure planner and executor; the loop owns the order, the
 * confirmation, the retry rule and the errors. It takes callbacks, never a CLI context: the
 * CLI, the watch session and library callers all drive it the same way.
 */
import type { HookOutput } from './container-extras.js';
import { StackError } from '../errors.js';

/** What the loop needs of an action: renderers and the confirmation read these fields only. */
export interface ActionLike {
  readonly id: number;
  readonly kind: string;
  readonly resource: string;
  readonly destructive?: boolean;
  readonly reason: { readonly code: string; readonly detail: string };
}

/** What the loop needs of a plan. */
export interface PlanLike<A extends ActionLike = ActionLike> {
  readonly actions: readonly A[];
  readonly notes: readonly string[];
}

/** One failed action and why. */
export interface FailureLike<A extends ActionLike = ActionLike> {
  readonly action: A;
  readonly error: Error;
}

/** What an executor reports. */
export interface SummaryLike<A extends ActionLike = ActionLike> {
  readonly failures: readonly FailureLike<A>[];
  readonly skipped: readonly A[];
  readonly interrupted: boolean;
}

/** A progress event of one action, as renderers see it. */
export interface ActionEvent<A extends ActionLike = ActionLike> {
  readonly type: 'action-start' | 'action-done' | 'action-failed' | 'action-skipped';
  readonly action: A;
  readonly error?: Error;
  readonly ms: number;
}

/** A renderer of a running plan (tty, plain, json, quiet: src/cli/progress.ts). */
export interface ProgressSink<A extends ActionLike = ActionLike> {
  begin(actions: readonly A[]): void;
  onEvent(event: ActionEvent<A>): void;
  end(): Promise<void>;
}

/** The callbacks and knobs of one run. */
export interface RunHooks<A extends ActionLike = ActionLike> {
  /** Aborted on Ctrl-C: in-flight actions finish, nothing new starts, INTERRUPTED. */
  readonly signal: AbortSignal;
  /** Apply destructive actions without asking. */
  readonly yes?: boolean;
  /**
   * Asked when the plan has destructive actions and `yes` is not set; resolves false to
   * decline. Absent: CONFIRMATION_REQUIRED (nobody to ask).
   */
  readonly confirm?: (destructive: readonly A[]) => Promise<boolean>;
  /** Creates the renderer of this run's actions (called only when there is something to do). */
  readonly progress?: () => Promise<ProgressSink<A>> | ProgressSink<A>;
  /** Non-fatal problems (a `required: false` dependency that failed). */
  readonly onWarning?: (message: string) => void;
  /** One-line notices ("a container name was taken meanwhile: observing again"). */
  readonly onNotice?: (message: string) => void;
  /** Each line a lifecycle hook prints, as it comes (attached `up` shows them in its log stream). */
  readonly onHookOutput?: (output: HookOutput) => void;
  /** Told each plan before it runs (or when it is empty): notes such as "orphans kept" belong before the changes. */
  readonly onPlan?: (plan: PlanLike<A>) => void;
  /** Bound on concurrent engine calls (default 8). */
  readonly parallel?: number;
  /** `--dry-run`: plan (and tell `onPlan`), run nothing. */
  readonly dryRun?: boolean;
  /** Timeout of one depends_on wait, ms. */
  readonly waitTimeoutMs?: number;
  /**
   * Called once, before the first plan with actions runs, with that plan (the engine-side
   * project lease: only runs that write take it); the loop then observes and plans again under it.
   */
  readonly beforeWrite?: (plan: PlanLike<A>) => Promise<void>;
  /**
   * Told before each stop request is sent, with its grace period in seconds: the project lock
   * records it, so a run that takes over after this one died waits for the stop to land.
   */
  readonly beforeStop?: (graceSeconds: number) => void;
}

/** What the executor of a target is given. */
export interface ExecuteContext<A extends ActionLike> {
  readonly signal: AbortSignal;
  readonly onEvent: (event: ActionEvent<A>) => void;
  readonly onWarning: (message: string) => void;
  readonly onHookOutput?: (output: HookOutput) => void;
  readonly parallel?: number;
  readonly waitTimeoutMs?: number;
  readonly beforeStop?: (graceSeconds: number) => void;
}

/**
 * A deploy target: how to see the engine, decide, and act. `plan` is pure; everything else
 * talks to the engine through src/engine.
 */
export interface Target<O, P extends PlanLike<A>, A extends ActionLike, S extends SummaryLike<A>> {
  observe(signal: AbortSignal): Promise<O>;
  plan(observed: O): P;
  /**
   * A cheap second look once the lease is held: true when the engine still lists what
   * `observed` shows, so the plan made from it stands. Absent or false: observe and plan again.
   */
  unchanged?(observed: O, signal: AbortSignal): Promise<boolean>;
  /** A second look at what the plan replaces (so reasons name fields); undefined: nothing to add. */
  refine?(observed: O, plan: P, signal: AbortSignal): Promise<O | undefined>;
  /**
   * Throws when the plan cannot be run as planned (a name another project holds): before anything
   * is written, and in `plan`.
   */
  validate?(observed: O, plan: P, signal: AbortSignal): Promise<void>;
  execute(plan: P, context: ExecuteContext<A>): Promise<S>;
  /** Why the outcome is unknown and worth one more observation (409 on a create, no reply), else undefined. */
  shouldObserveAgain?(summary: S): string | undefined;
  /** Problems the engine shows after the run (a container that died right after its start). */
  check?(plan: P, summary: S, signal: AbortSignal): Promise<readonly string[]>;
  /**
   * After a run without failures: why what it left converged has changed since, when someone
   * else stopped it meanwhile (a stop a killed run left with the engine), else undefined. The
   * loop then observes and plans again, within the same bound as `shouldObserveAgain`.
   */
  disturbed?(plan: P, observed: O, summary: S, signal: AbortSignal): Promise<string | undefined>;
  /** Detail for a failure line (exit code, last log lines, a hint). */
  describeFailure?(failure: FailureLike<A>, summary: S): Promise<string>;
}

/** The plan a target would run now, with the observation it came from. */
export interface PlannedRun<O, P> {
  readonly observed: O;
  readonly plan: P;
}

/** The outcome of an apply: the plan run last and its summary (undefined when there was nothing to do). */
export interface AppliedRun<P, S, O = unknown> {
  readonly plan: P;
  /** The observation the last plan was made from (what the plan did not touch is still so). */
  readonly observed: O;
  readonly summary: S | undefined;
  /** Unix seconds when execution started. */
  readonly startedAt: number;
}

/**
 * How many times one run observes and plans again after an execution whose outcome the engine
 * knows better (a 409, a write without a reply, a dependency or container stopped by someone
 * else): bounded, so something that keeps failing that way is reported, not retried forever.
 */
export const REOBSERVATIONS = 2;

/** observe → plan → refine → plan: what `stack plan` prints and what `apply` starts from. */
export async function planRun<O, P extends PlanLike<A>, A extends ActionLike, S extends SummaryLike<A>>(
  target: Target<O, P, A, S>,
  signal: AbortSignal,
  observed?: O,
): Promise<PlannedRun<O, P>> {
  let state = observed ?? (await target.observe(signal));
  let plan = target.plan(state);
  const refined = target.refine ? await target.refine(state, plan, signal) : undefined;
  if (refined !== undefined) {
    state = refined;
    plan = target.plan(state);
  }
  await target.validate?.(state, plan, signal);
  return { observed: state, plan };
}

async function confirmed<A extends ActionLike>(plan: PlanLike<A>, hooks: RunHooks<A>): Promise<boolean> {
  const destructive = plan.actions.filter((a) => a.destructive);
  if (destructive.length === 0 || hooks.yes) return true;
  if (!hooks.confirm) {
    const list = destructive.map((a) => `  ${a.resource} (${a.kind}): ${a.reason.detail}`).join('\n');
    throw new StackError(
      'CONFIRMATION_REQUIRED',
      `the plan has destructive actions; re-run with --yes to apply them:\n${list}`,
    );
  }
  return hooks.confirm(destructive);
}

/**
 * Runs the loop to convergence or a clear failure. `observed`: a snapshot taken under the
 * project lock with nothing changed since (the first attempt plans from it).
 */
export async function applyRun<O, P extends PlanLike<A>, A extends ActionLike, S extends SummaryLike<A>>(
  target: Target<O, P, A, S>,
  hooks: RunHooks<A>,
  observed?: O,
): Promise<AppliedRun<P, S, O>> {
  const startedAt = Math.floor(Date.now() / 1000);
  // A dry run writes nothing, so it takes no lease (its marker object would be a write).
  let leased = hooks.beforeWrite === undefined || hooks.dryRun === true;
  for (let attempt = 1; ; attempt++) {
    const first = await planRun(target, hooks.signal, attempt === 1 ? observed : undefined);
    let { plan, observed: seen } = first;
    if (!leased && plan.actions.length > 0) {
      // Another client of the engine may have acted until we held the lease: look again, and
      // plan again unless the engine still lists what the plan was made from.
      await hooks.beforeWrite?.(plan);
      leased = true;
      if (!(await target.unchanged?.(seen, hooks.signal)))
        ({ plan, observed: seen } = await planRun(target, hooks.signal));
    }
    hooks.onPlan?.(plan);
    if (plan.actions.length === 0 || hooks.dryRun) return { plan, observed: seen, summary: undefined, startedAt };
    if (!(await confirmed(plan, hooks))) throw new StackError('CONFIRMATION_REQUIRED', 'declined: nothing was changed');
    const progress = hooks.progress ? await hooks.progress() : undefined;
    progress?.begin(plan.actions);
    let summary: S;
    try {
      summary = await target.execute(plan, {
        signal: hooks.signal,
        onEvent: (event) => progress?.onEvent(event),
        onWarning: (message) => hooks.onWarning?.(message),
        ...(hooks.onHookOutput ? { onHookOutput: hooks.onHookOutput } : {}),
        ...(hooks.parallel !== undefined ? { parallel: hooks.parallel } : {}),
        ...(hooks.waitTimeoutMs !== undefined ? { waitTimeoutMs: hooks.waitTimeoutMs } : {}),
        ...(hooks.beforeStop ? { beforeStop: hooks.beforeStop } : {}),
      });
    } finally {
      await progress?.end();
    }
    if (summary.interrupted)
      throw new StackError(
        'INTERRUPTED',
        'interrupted: in-flight actions finished, the rest were not started; the next run converges',
      );
    const again = target.shouldObserveAgain?.(summary);
    if (again !== undefined && attempt <= REOBSERVATIONS) {
      hooks.onNotice?.(`${again}: observing again`);
      continue;
    }
    const problems = target.check ? [...(await target.check(plan, summary, hooks.signal))] : [];
    // Level-triggered to the end: what someone else stopped while this run went is planned again.
    const disturbed =
      summary.failures.length === 0 && problems.length === 0
        ? await target.disturbed?.(plan, seen, summary, hooks.signal)
        : undefined;
    if (disturbed !== undefined) {
      if (attempt <= REOBSERVATIONS) {
        hooks.onNotice?.(`${disturbed}: observing again`);
        continue;
      }
      problems.push(`${disturbed} (observed and planned again ${REOBSERVATIONS} times already)`);
    }
    await throwOnFailures(target, summary, problems);
    return { plan, observed: seen, summary, startedAt };
  }
}

/** APPLY_FAILED naming each failed resource and its cause, then what was skipped because of it. */
async function throwOnFailures<O, P extends PlanLike<A>, A extends ActionLike, S extends SummaryLike<A>>(
  target: Target<O, P, A, S>,
  summary: S,
  problems: readonly string[],
): Promise<void> {
  if (summary.failures.length === 0 && problems.length === 0) return;
  const parts: string[] = [];
  for (const failure of summary.failures) {
    const name = (failure.action as { name?: unknown }).name;
    const detail = target.describeFailure ? await target.describeFailure(failure, summary) : '';
    // A multi-line cause (a dependency's last log lines) stays inside its entry: indented.
    const cause = failure.error.message.replace(/\n(?! {4})/g, '\n    ');
    parts.push(
      `  ${failure.action.resource}: ${failure.action.kind}${typeof name === 'string' ? ` ${name}` : ''} ` +
        `failed: ${cause}${detail}`,
    );
  }
  for (const line of problems) parts.push(`  ${line}`);
  if (summary.skipped.length > 0)
    parts.push(`  skipped (a dependency failed): ${[...new Set(summary.skipped.map((a) => a.resource))].join(', ')}`);
  const count = summary.failures.length + problems.length;
  throw new StackError(
    'APPLY_FAILED',
    `${count} failure${count === 1 ? '' : 's'}:\n${parts.join('\n')}\n` +
      'What succeeded is kept; fix the cause and run again.',
  );
}
