/**
 * `--wait`: follows the services' tasks until each has its desired replicas running (a task
 * with a healthcheck is `running` only once healthy) and its update is complete. A failed or
 * rejected task of this rollout, or an update that paused or rolled back, is a failure naming
 * the service, the task, the node and the task's error. Observes every 500 ms; decides
 * nothing on the engine.
 */
import { StackError } from '../../errors.js';
import { canonicalJson } from '../../planner/hash.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../../engine/types.js';
import type { SwarmClient } from './client.js';

/** One service to follow. */
export interface WaitTarget {
  /** Engine name. */
  readonly name: string;
  /** Replicas it must have running; undefined for global (running = desired tasks). */
  readonly replicas?: number;
  /** A job: converged once every task of this rollout has completed. */
  readonly job?: boolean;
}

/** Progress of one service: `web 2/3`. */
export interface ServiceProgress {
  readonly name: string;
  readonly running: number;
  readonly desired: number;
  readonly updateState?: string;
}

/** Options of waitForServices. */
export interface SwarmWaitOptions {
  /** Tasks created before this (ms since epoch) belong to earlier rollouts and are ignored. */
  readonly since: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: readonly ServiceProgress[]) => void;
  /** Poll period (default 500 ms). */
  readonly intervalMs?: number;
}

const FAILED_TASK = new Set(['failed', 'rejected']);
const FAILED_UPDATE = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // The listener goes with the timer: a long poll must not pile listeners on one signal.
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `web.2 (task abc123) on node2: No such image: …` */
export function describeTask(service: string, task: SwarmTask, nodes: ReadonlyMap<string, string>): string {
  const slot = task.Slot !== undefined && task.Slot > 0 ? `${service}.${task.Slot}` : service;
  const node = task.NodeID ? (nodes.get(task.NodeID) ?? task.NodeID) : 'no node';
  const error = task.Status.Err ?? task.Status.Message ?? task.Status.State;
  return `${slot} (task ${task.ID.slice(0, 12)}) on ${node}: ${task.Status.State}: ${error}`;
}

/**
 * Whether a task runs the service's current spec. A task keeps a copy of the task template it
 * was made from (without the restart policy and runtime): its container spec and resources
 * tell a task of this rollout from one of the last, whatever the update status says yet (it
 * still reads `completed` of the previous update for a moment after an update is sent).
 */
export function runsCurrentSpec(task: SwarmTask, service: SwarmService): boolean {
  const template = (service.Spec['TaskTemplate'] ?? {}) as Record<string, unknown>;
  const spec = (task.Spec ?? {}) as Record<string, unknown>;
  return (
    canonicalJson([spec['ContainerSpec'], spec['Resources']]) ===
    canonicalJson([template['ContainerSpec'], template['Resources']])
  );
}

/** The verdict on one service from one observation: converged, failed (with why) or still going. */
export function judgeService(
  target: WaitTarget,
  service: SwarmService | undefined,
  tasks: readonly SwarmTask[],
  since: number,
  nodes: ReadonlyMap<string, string>,
): { readonly state: 'converged' | 'pending' } | { readonly state: 'failed'; readonly message: string } {
  if (!service) return { state: 'failed', message: `service ${target.name} is gone` };
  const update = service.UpdateStatus?.State;
  const recentFailures = tasks
    .filter(
      (t) => t.ServiceID === service.ID && FAILED_TASK.has(t.Status.State) && Date.parse(t.CreatedAt ?? '') >= since,
    )
    // The task that says why: one that failed on its own (its command's exit) before one the
    // engine rejected (a rollback racing a network removal rejects tasks of its own), newest first.
    .sort(
      (a, b) =>
        Number(b.Status.State === 'failed') - Number(a.Status.State === 'failed') ||
        Date.parse(b.UpdatedAt ?? '') - Date.parse(a.UpdatedAt ?? ''),
    );
  const failure = recentFailures[0];
  if (update !== undefined && FAILED_UPDATE.has(update)) {
    if (update === 'rollback_started') return { state: 'pending' };
    const what = update === 'paused' ? 'update paused' : 'update rolled back';
    const detail = failure ? `; ${describeTask(target.name, failure, nodes)}` : '';
    return {
      state: 'failed',
      message: `service ${target.name}: ${what}: ${service.UpdateStatus?.Message ?? ''}${detail}`,
    };
  }
  const failureAction = (service.Spec['UpdateConfig'] as { FailureAction?: string } | undefined)?.FailureAction;
  // During an update that rolls back on failure, a failed task is the start of the rollback: wait for its verdict.
  if (failure && !(update === 'updating' && failureAction === 'rollback')) {
    return {
      state: 'failed',
      message: `service ${target.name}: task failed: ${describeTask(target.name, failure, nodes)}`,
    };
  }
  if (target.job === true) {
    // A job's tasks end in `complete`; a failed one was reported above.
    const mine = tasks.filter((t) => t.ServiceID === service.ID && Date.parse(t.CreatedAt ?? '') >= since);
    const done = mine.length > 0 && mine.every((t) => t.Status.State === 'complete');
    return { state: done ? 'converged' : 'pending' };
  }
  const running = tasks.filter(
    (t) =>
      t.ServiceID === service.ID &&
      t.DesiredState === 'running' &&
      t.Status.State === 'running' &&
      runsCurrentSpec(t, service),
  ).length;
  const desired = target.replicas ?? service.ServiceStatus?.DesiredTasks ?? 0;
  const updating = update === 'updating' || update === 'rollback_started';
  const converged =
    !updating &&
    running === desired &&
    (service.ServiceStatus?.DesiredTasks ?? desired) === desired &&
    (target.replicas !== undefined || desired > 0);
  return { state: converged ? 'converged' : 'pending' };
}

/** Services whose rollout failed or rolled back: APPLY_FAILED, one problem per service. */
export class RolloutFailed extends StackError {
  constructor(readonly problems: readonly string[]) {
    super('APPLY_FAILED', problems.join('\n'));
  }
}

/** Waits until every target converged; throws RolloutFailed (APPLY_FAILED) or WAIT_TIMEOUT. */
export async function waitForServices(
  client: SwarmClient,
  targets: readonly WaitTarget[],
  options: SwarmWaitOptions,
): Promise<void> {
  if (targets.length === 0) return;
  const deadline = Date.now() + options.timeoutMs;
  let nodes = new Map<string, string>();
  const names = targets.map((t) => t.name);
  for (;;) {
    const [services, tasks] = await Promise.all([
      client.listServices({ name: names }, options.signal),
      client.listTasks({ service: names }, options.signal),
    ]);
    if (tasks.some((t) => t.NodeID !== undefined && !nodes.has(t.NodeID))) {
      nodes = new Map(
        (await client.listNodes(undefined, options.signal)).map((n: SwarmNode) => [
          n.ID,
          n.Description?.Hostname ?? n.ID,
        ]),
      );
    }
    const byName = new Map(services.map((s) => [s.Spec.Name, s]));
    const verdicts = targets.map((t) => judgeService(t, byName.get(t.name), tasks, options.since, nodes));
    options.onProgress?.(
      targets.map((t) => {
        const s = byName.get(t.name);
        return {
          name: t.name,
          running: s?.ServiceStatus?.RunningTasks ?? 0,
          desired: t.replicas ?? s?.ServiceStatus?.DesiredTasks ?? 0,
          ...(s?.UpdateStatus?.State ? { updateState: s.UpdateStatus.State } : {}),
        };
      }),
    );
    const failed = verdicts.flatMap((v) => (v.state === 'failed' ? [v.message] : []));
    if (failed.length > 0) throw new RolloutFailed(failed);
    if (verdicts.every((v) => v.state === 'converged')) return;
    if (Date.now() > deadline) {
      const late = targets.filter((_, i) => verdicts[i]!.state !== 'converged').map((t) => t.name);
      throw new StackError(
        'WAIT_TIMEOUT',
        `not converged after ${Math.round(options.timeoutMs / 1000)} s: ${late.join(', ')}`,
      );
    }
    if (options.signal?.aborted) throw new StackError('INTERRUPTED', 'interrupted while waiting for the services');
    await sleep(options.intervalMs ?? 500, options.signal);
  }
}

/** Progress as one line: `web 2/3, api 1/1 (updating)`. */
export function renderSwarmProgress(progress: readonly ServiceProgress[]): string {
  return progress
    .map(
      (p) =>
        `${p.name} ${p.running}/${p.desired}` +
        `${p.updateState && p.updateState !== 'completed' ? ` (${p.updateState})` : ''}`,
    )
    .join(', ');
}
