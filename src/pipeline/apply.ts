/**
 * observe → plan → confirm → execute, shared by `up` and `down`: the one place the CLI walks
 * the pipeline. A 409 on a create (a name taken meanwhile) or a write whose reply never came
 * re-observes and re-plans once, never retries blindly. Progress is rendered from the executor's events.
 */
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import type { ObservedState, Plan } from '../planner/types.js';
import type { Engine, EngineContainer } from '../engine/types.js';
import type { ExecuteSummary } from './execute.js';
import type { CliContext } from '../cli/context.js';
import { createProgress } from '../cli/progress.js';
import { confirmDestructive, throwOnFailures } from '../cli/commands/session.js';
import { inspectContainers, observe, parseStatus, primaryName } from '../engine/observe.js';
import { byCodePoint } from '../order.js';

/** Options of `applyPlans`. */
export interface ApplyOptions {
  readonly yes: boolean;
  /** Timeout of one depends_on wait, ms. */
  readonly waitTimeoutMs?: number;
  /** The project model (depends_on conditions come from it); absent for `down -p` without a file. */
  readonly model?: StackModel;
  /**
   * A snapshot of `target` taken under the project lock, with nothing changed on the engine
   * since: the first attempt plans from it instead of observing again.
   */
  readonly observed?: ObservedState;
}

/** The outcome of an apply: the plan run last and its summary. */
export interface ApplyResult {
  readonly plan: Plan;
  readonly summary: ExecuteSummary;
  /** Unix seconds when execution started. */
  readonly startedAt: number;
}

/**
 * Observes, plans with `makePlan`, fills depends_on waits, asks for destructive actions, runs
 * the plan with progress, and throws APPLY_FAILED / INTERRUPTED on failure.
 */
export async function applyPlans(
  ctx: CliContext,
  engine: Engine,
  target: StackModel | { project: string },
  makePlan: (observed: ObservedState) => Plan,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { executePlan } = await import('./execute.js');
  const { addWaitConditions } = await import('./wait-gates.js');
  const { ContainerWatcher } = await import('./wait.js');
  const project = 'services' in target ? target.name : target.project;
  const startedAt = Math.floor(Date.now() / 1000);

  for (let attempt = 1; ; attempt++) {
    let observed = attempt === 1 && options.observed ? options.observed : await observe(engine, target, { signal: ctx.signal });
    let plan = makePlan(observed);
    await (await import('./name-clash.js')).assertNoNameClashes(engine, plan, observed, ctx.signal);
    // Second pass: inspect only the containers being replaced, so reasons name changed fields.
    const replaced = plan.actions.flatMap((a) => (a.kind === 'create-container' && a.replaces ? [a.replaces] : []));
    if (replaced.length > 0) {
      observed = await inspectContainers(engine, observed, replaced, ctx.signal);
      plan = makePlan(observed);
    }
    if (options.model) plan = addWaitConditions(plan, options.model);
    if (plan.actions.length === 0) {
      return { plan, summary: { statuses: new Map(), failures: [], skipped: [], interrupted: false, containerIds: new Map() }, startedAt };
    }
    if (!(await confirmDestructive(ctx, plan, options.yes))) throw new StackError('CONFIRMATION_REQUIRED', 'declined: nothing was changed');

    const progress = await createProgress(ctx);
    progress.begin(plan.actions);
    const watcher = new ContainerWatcher(engine, project, ctx.signal);
    // Containers that die non-zero while the plan runs (crash at start-up) are reported.
    const died = new Map<string, number>();
    const starts = plan.actions.some((a) => a.kind === 'start-container');
    if (starts) await watcher.open();
    // The event stream replays a second or two from before it connected: a container stopped
    // just before this run (exit 137) must not count as dying after our start.
    const executionStartNs = Date.now() * 1e6;
    const unsubscribe = watcher.subscribe((event) => {
      const code = Number(event.Actor.Attributes['exitCode'] ?? '0');
      if (event.Action === 'die' && code !== 0 && event.timeNano >= executionStartNs) died.set(event.Actor.ID, code);
    });
    // build-image actions run through the images module's hook (loaded only when needed).
    const model = options.model;
    const buildImage = model && plan.actions.some((a) => a.kind === 'build-image') ? (await import('../images/index.js')).createBuildImageHook(engine, model) : undefined;
    let summary: ExecuteSummary;
    try {
      summary = await executePlan(engine, plan, {
        signal: ctx.signal,
        watcher,
        onEvent: (event) => progress.onEvent(event),
        onWarning: (message) => ctx.stderr.write(`warning: ${message}\n`),
        ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
        ...(options.waitTimeoutMs !== undefined ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
        ...(buildImage ? { buildImage } : {}),
      });
    } finally {
      unsubscribe();
      watcher.close();
      await progress.end();
    }
    if (summary.interrupted) throw new StackError('INTERRUPTED', 'interrupted: in-flight actions finished, the rest were not started; the next run converges');
    // Failures whose truth only the engine knows are resolved by observing again (once), never
    // by retrying the call: a name taken meanwhile (409 on a create), or a write whose reply
    // never came (AmbiguousWriteError: the engine may have acted).
    const conflict = summary.failures.some((f) => f.action.kind === 'create-container' && (f.error as { statusCode?: number }).statusCode === 409);
    const ambiguous = summary.failures.filter((f) => f.error instanceof StackError && f.error.code === 'ENGINE_WRITE_AMBIGUOUS');
    if ((conflict || ambiguous.length > 0) && attempt === 1) {
      const why = conflict ? 'a container name was taken meanwhile' : `the outcome of ${ambiguous.map((f) => `${f.action.kind} ${f.action.resource}`).join(', ')} is unknown`;
      ctx.stderr.write(`${why}: observing again\n`);
      continue;
    }
    await throwOnFailures(engine, summary, await earlyExits(engine, project, plan, summary, died, ctx.signal));
    return { plan, summary, startedAt };
  }
}

/**
 * A container this run started that has already exited non-zero (bad command, crash at
 * start-up) is a failure: named with its exit code and last log lines. One list call (of
 * the started containers by ID); a container that dies later is for `--wait` to catch.
 */
async function earlyExits(engine: Engine, project: string, plan: Plan, summary: ExecuteSummary, died: ReadonlyMap<string, number>, signal: AbortSignal): Promise<string[]> {
  const started = new Map<string, string>();
  for (const a of plan.actions) {
    if (a.kind === 'start-container' && summary.statuses.get(a.id) === 'ok') started.set(summary.containerIds.get(a.name) ?? a.containerId ?? a.name, a.resource);
  }
  if (started.size === 0) return [];
  const { lastLogLines } = await import('./wait.js');
  // Only the started ones when all are known by ID: listing all of a 50-service project costs
  // the engine ~12 ms.
  const ids = [...started.keys()];
  const listed = await listProjectContainers(engine, project, [], signal, ids.every((id) => /^[0-9a-f]{64}$/.test(id)) ? ids : undefined);
  const failed: string[] = [];
  for (const c of listed) {
    const name = primaryName(c.Names);
    const resource = started.get(c.Id) ?? started.get(name);
    // Died during the run (it may be restarting now), or exited non-zero by the time we look.
    const exitCode = died.get(c.Id) ?? (c.State === 'exited' ? parseStatus(c.Status).exitCode : undefined);
    if (resource === undefined || !exitCode) continue;
    const lines = await lastLogLines(engine, c.Id);
    const tail = lines.length > 0 ? `\n    last log lines:\n${lines.map((l) => `      ${l}`).join('\n')}` : '';
    failed.push(`${resource}: ${name} exited with code ${exitCode} right after it started${tail}`);
  }
  return failed;
}

/** The project's containers (all states), optionally only some services or IDs, oneoffs excluded. */
export async function listProjectContainers(engine: Engine, project: string, services: readonly string[] = [], signal?: AbortSignal, ids?: readonly string[]): Promise<EngineContainer[]> {
  const all = await engine.listContainers({ all: true, filters: { label: [`${Label.project}=${project}`], ...(ids ? { id: ids } : {}) } }, signal);
  return all
    .filter((c) => (c.Labels ?? {})[Label.oneoff] !== 'True')
    .filter((c) => services.length === 0 || services.includes((c.Labels ?? {})[Label.service] ?? ''))
    .sort((a, b) => byCodePoint(a.Names[0] ?? '', b.Names[0] ?? ''));
}
