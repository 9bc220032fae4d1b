/**
 * Runs the actions of a plan in dependency order, for every target: the ONLY p-graph import.
 * The runner decides nothing about what an action does; it owns the order, the statuses and
 * the events:
 *
 *   node(action): aborted? → skipped · a dependency failed/skipped? → skipped
 *                 → run(action) → ok | failed
 *
 * A failure skips its dependents; independent actions finish. p-graph silently skips the
 * dependents of a rejected node, so nodes never reject and our status map is the truth.
 */
import { PGraph } from 'p-graph';
import type { ActionEvent, ActionLike, FailureLike } from './reconcile.js';

/** The outcome of one action. */
export type ActionStatus = 'ok' | 'failed' | 'skipped';

/** What runGraph reports. */
export interface GraphRun<A extends ActionLike> {
  readonly statuses: ReadonlyMap<number, ActionStatus>;
  readonly failures: readonly FailureLike<A>[];
  /** Actions not run because a dependency failed or the run was interrupted. */
  readonly skipped: readonly A[];
  readonly interrupted: boolean;
}

/** A counting semaphore: one concurrency limit over a run's engine calls. */
export class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];
  constructor(size: number) {
    this.free = Math.max(1, size);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs every action once its dependencies (`dependsOn`: action ids; ids not in the plan are
 * ignored) are done. `run` does the work (and takes its own slot); never throws.
 */
export async function runGraph<A extends ActionLike>(
  actions: readonly A[],
  options: {
    readonly dependsOn: (action: A) => readonly number[];
    readonly run: (action: A) => Promise<void>;
    readonly signal?: AbortSignal;
    readonly onEvent?: (event: ActionEvent<A>) => void;
  },
): Promise<GraphRun<A>> {
  const statuses = new Map<number, ActionStatus>();
  const failures: FailureLike<A>[] = [];
  const skipped: A[] = [];
  const ids = new Set(actions.map((a) => a.id));
  const emit = (event: ActionEvent<A>): void => options.onEvent?.(event);

  const runNode = async (action: A): Promise<void> => {
    const deps = options.dependsOn(action).filter((dep) => ids.has(dep));
    if (options.signal?.aborted || deps.some((dep) => statuses.get(dep) !== 'ok')) {
      statuses.set(action.id, 'skipped');
      skipped.push(action);
      emit({ type: 'action-skipped', action, ms: 0 });
      return;
    }
    const started = Date.now();
    emit({ type: 'action-start', action, ms: 0 });
    try {
      await options.run(action);
      statuses.set(action.id, 'ok');
      emit({ type: 'action-done', action, ms: Date.now() - started });
    } catch (error) {
      const err = asError(error);
      statuses.set(action.id, 'failed');
      failures.push({ action, error: err });
      emit({ type: 'action-failed', action, error: err, ms: Date.now() - started });
    }
  };

  const nodes = new Map(actions.map((action) => [String(action.id), { run: () => runNode(action) }]));
  const edges: [string, string][] = [];
  for (const action of actions) {
    for (const dep of options.dependsOn(action)) if (ids.has(dep)) edges.push([String(dep), String(action.id)]);
  }
  await new PGraph(nodes, edges).run();
  return { statuses, failures, skipped, interrupted: options.signal?.aborted === true };
}
