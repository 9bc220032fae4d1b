/**
 * The local-container target of the reconcile loop (src/pipeline/reconcile.ts): observe the
 * project's containers, networks, volumes and images; plan with the pure planner; execute with
 * the DAG executor while watching the engine's events for containers that die right after
 * their start. A 409 on a create (a name taken meanwhile) or a write whose reply never came
 * re-observes and re-plans once, never retries blindly.
 */
import { StackError } from '../errors.js';
import type { StackModel } from '../model.js';
import type { Action, ObservedState, Plan } from '../planner/types.js';
import type { Engine, EngineContainer } from '../engine/types.js';
import { Label } from '../labels.js';
import type { ExecuteSummary } from './execute.js';
import {
  inspectContainers,
  listProjectContainers,
  observe,
  parseStatus,
  primaryName,
  sameListing,
} from '../engine/observe.js';
import type { AppliedRun, ExecuteContext, FailureLike, PlannedRun, RunHooks, Target } from './reconcile.js';
import type { ContainerWatcher } from './wait.js';
import { applyRun, planRun } from './reconcile.js';

/** A project with a stack file (the model), or only a name (`down -p NAME` without a file). */
export type ProjectTarget = StackModel | { readonly project: string };

/** The project name of a target. */
export function projectOf(target: ProjectTarget): string {
  return 'services' in target ? target.name : target.project;
}

/** The container target of the loop, for one project and one planning function. */
export function containerTarget(
  engine: Engine,
  project: ProjectTarget,
  makePlan: (observed: ObservedState) => Plan,
): Target<ObservedState, Plan, Action, ExecuteSummary> {
  const name = projectOf(project);
  const model = 'services' in project ? project : undefined;
  // Containers that die non-zero while the plan runs (crash at start-up), by ID; per execution.
  let died = new Map<string, number>();
  // The last execution's event stream: what it saw stopped and exit (`disturbed`).
  let lastWatcher: ContainerWatcher | undefined;
  return {
    observe: (signal) => observe(engine, project, { signal }),
    plan: makePlan,
    // Three lists instead of a full observation, inspects and a second plan (issue 13).
    unchanged: async (observed, signal) =>
      sameListing(observed, await observe(engine, project, { signal, images: false })),
    async refine(observed, plan, signal) {
      // Inspect only the containers being replaced, so reasons name the changed fields.
      const replaced = plan.actions.flatMap((a) => (a.kind === 'create-container' && a.replaces ? [a.replaces] : []));
      return replaced.length > 0 ? inspectContainers(engine, observed, replaced, signal) : undefined;
    },
    // A name the plan claims that a container of another project holds: NAME_CONFLICT now,
    // never a 409 halfway through (one extra read, only when the plan claims new names).
    validate: async (observed, plan, signal) =>
      (await import('./name-clash.js')).assertNoNameClashes(engine, plan, observed, signal),
    async execute(plan, context: ExecuteContext<Action>) {
      const { executePlan } = await import('./execute.js');
      const { ContainerWatcher } = await import('./wait.js');
      const watcher = new ContainerWatcher(engine, name, context.signal);
      lastWatcher = watcher;
      died = new Map();
      if (plan.actions.some((a) => a.kind === 'start-container')) await watcher.open();
      // The event stream replays a second or two from before it connected: a container stopped
      // just before this run (exit 137) must not count as dying after our start.
      const executionStartNs = Date.now() * 1e6;
      const unsubscribe = watcher.subscribe((event) => {
        const code = Number(event.Actor.Attributes['exitCode'] ?? '0');
        if (event.Action === 'die' && code !== 0 && event.timeNano >= executionStartNs) died.set(event.Actor.ID, code);
      });
      // build-image actions run through the images module's hook (loaded only when needed).
      const buildImage =
        model && plan.actions.some((a) => a.kind === 'build-image')
          ? (await import('../images/index.js')).createBuildImageHook(engine, model)
          : undefined;
      try {
        return await executePlan(engine, plan, {
          signal: context.signal,
          watcher,
          onEvent: context.onEvent,
          onWarning: context.onWarning,
          ...(context.onHookOutput ? { onHookOutput: context.onHookOutput } : {}),
          ...(context.parallel !== undefined ? { parallel: context.parallel } : {}),
          ...(context.waitTimeoutMs !== undefined ? { waitTimeoutMs: context.waitTimeoutMs } : {}),
          ...(context.beforeStop ? { beforeStop: context.beforeStop } : {}),
          ...(buildImage ? { buildImage } : {}),
        });
      } finally {
        unsubscribe();
        watcher.close();
      }
    },
    shouldObserveAgain(summary) {
      // Failures whose truth only the engine knows: a name taken meanwhile (409 on a create),
      // or a write whose reply never came (the engine may have acted).
      if (
        summary.failures.some(
          (f) => f.action.kind === 'create-container' && (f.error as { statusCode?: number }).statusCode === 409,
        )
      )
        return 'a container name was taken meanwhile';
      const ambiguous = summary.failures.filter(
        (f) => f.error instanceof StackError && f.error.code === 'ENGINE_WRITE_AMBIGUOUS',
      );
      if (ambiguous.length > 0)
        return `the outcome of ${ambiguous.map((f) => `${f.action.kind} ${f.action.resource}`).join(', ')} is unknown`;
      // A dependency stopped during the run by a stop this run did not make (a killed run's
      // last stop, carried out by the engine after it died): level-triggered, plan again.
      const stopped = summary.failures.flatMap((f) =>
        (f.error as { stoppedOnRequest?: unknown }).stoppedOnRequest === true
          ? [(f.error as { service?: string }).service ?? '?']
          : [],
      );
      return stopped.length > 0
        ? `dependency ${[...new Set(stopped)].join(', ')} was stopped during the run`
        : undefined;
    },
    check: (plan, summary, signal) => earlyExits(engine, name, plan, summary, died, signal),
    disturbed: async (plan, observed, _summary, signal) =>
      (await import('./stopped-meanwhile.js')).describeStoppedMeanwhile(
        engine,
        name,
        plan,
        observed,
        lastWatcher,
        signal,
      ),
    describeFailure: (failure, summary) => describeContainerFailure(engine, failure, summary),
  };
}

/**
 * For a start refused because a host port is taken ("Bind for 127.0.0.1:8080 failed: port is
 * already allocated", "address already in use"): which port, and who holds it when it is a
 * container (with its project and service); otherwise a process outside Docker.
 */
export async function describePortHolder(engine: Engine, message: string, self: string): Promise<string> {
  const match =
    /Bind for (.*):(\d+) failed: port is already allocated/.exec(message) ??
    /listen tcp\d? (.*):(\d+): bind: address already in use/.exec(message);
  if (!match) return '';
  const port = Number(match[2]);
  const address = match[1] ?? '';
  let holders: EngineContainer[] = [];
  try {
    holders = (await engine.listContainers({})).filter(
      (c) => c.Id !== self && (c.Ports ?? []).some((p) => p.PublicPort === port),
    );
  } catch {
    // the engine is gone: say what we know
  }
  const where = `host port ${port}${address && address !== '0.0.0.0' ? ` on ${address}` : ''}`;
  if (holders.length === 0)
    return (
      `\n    ${where} is in use by a process outside Docker, or by a container that stopped since: ` +
      'free it or publish another port'
    );
  const names = holders.map((c) => {
    const labels = c.Labels ?? {};
    const project = labels[Label.project];
    return `${primaryName(c.Names)}${project ? ` (project ${project}, service ${labels[Label.service] ?? '?'})` : ''}`;
  });
  return `\n    ${where} is held by container ${names.join(', ')}: stop it or publish another port`;
}

/**
 * The detail of a failure line: for a container that failed to start, its exit code and last
 * log lines; for a network the engine keeps "active endpoints" on, the dockerd-restart hint.
 */
export async function describeContainerFailure(
  engine: Engine,
  failure: FailureLike<Action>,
  summary: Pick<ExecuteSummary, 'containerIds'>,
): Promise<string> {
  const { action, error } = failure;
  let text = '';
  if (action.kind === 'start-container') {
    const { lastLogLines } = await import('./wait.js');
    const id = action.containerId ?? summary.containerIds.get(action.name) ?? action.name;
    try {
      const inspect = await engine.inspectContainer(id);
      // 128 on a container that never started is the engine's own start failure (a port
      // bind, a mount): no program ran, so there is no exit code worth showing.
      const neverRan = inspect.State.ExitCode === 128 && inspect.State.StartedAt.startsWith('0001-01-01');
      if (!inspect.State.Running && inspect.State.ExitCode !== 0 && !neverRan)
        text += ` (exit code ${inspect.State.ExitCode})`;
    } catch {
      // gone: nothing more to say
    }
    text += await describePortHolder(engine, error.message, id);
    const lines = await lastLogLines(engine, id);
    if (lines.length > 0) text += `\n    last log lines:\n${lines.map((l) => `      ${l}`).join('\n')}`;
  }
  if (action.kind === 'remove-network' && /has active endpoints/.test(error.message)) {
    // Seen on Engine 20.10 after many containers on one network were removed at once (by
    // docker-compose 1.29 as well): the engine keeps counting an endpoint no container has,
    // and refuses the removal until dockerd restarts. Retrying cannot help; say so.
    text +=
      `\n    hint: if \`docker network inspect ${action.name}\` lists no containers, ` +
      'the engine kept a stale endpoint; restarting dockerd clears it, then run this again';
  }
  return text;
}

/** Plans a project's containers without touching anything (observe → plan → inspect → plan). */
export function planContainers(
  engine: Engine,
  project: ProjectTarget,
  makePlan: (observed: ObservedState) => Plan,
  signal: AbortSignal,
  observed?: ObservedState,
): Promise<PlannedRun<ObservedState, Plan>> {
  return planRun(containerTarget(engine, project, makePlan), signal, observed);
}

/**
 * Applies a project's plan until converged, or throws APPLY_FAILED / INTERRUPTED /
 * CONFIRMATION_REQUIRED. `observed`: a snapshot taken under the project lock with nothing
 * changed since (the first attempt plans from it instead of observing again).
 */
export function applyContainers(
  engine: Engine,
  project: ProjectTarget,
  makePlan: (observed: ObservedState) => Plan,
  hooks: RunHooks<Action>,
  observed?: ObservedState,
): Promise<AppliedRun<Plan, ExecuteSummary, ObservedState>> {
  return applyRun(containerTarget(engine, project, makePlan), hooks, observed);
}

/**
 * A container this run started that has already exited non-zero (bad command, crash at
 * start-up) is a failure: named with its exit code and last log lines. One list call (of
 * the started containers by ID); a container that dies later is for `--wait` to catch.
 */
async function earlyExits(
  engine: Engine,
  project: string,
  plan: Plan,
  summary: ExecuteSummary,
  died: ReadonlyMap<string, number>,
  signal: AbortSignal,
): Promise<string[]> {
  const started = new Map<string, string>();
  for (const a of plan.actions) {
    if (a.kind === 'start-container' && summary.statuses.get(a.id) === 'ok')
      started.set(summary.containerIds.get(a.name) ?? a.containerId ?? a.name, a.resource);
  }
  if (started.size === 0) return [];
  const { lastLogLines } = await import('./wait.js');
  // Only the started ones when all are known by ID: listing all of a 50-service project costs
  // the engine ~12 ms.
  const ids = [...started.keys()];
  const listed = await listProjectContainers(
    engine,
    project,
    ids.every((id) => /^[0-9a-f]{64}$/.test(id)) ? { ids } : {},
    signal,
  );
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
