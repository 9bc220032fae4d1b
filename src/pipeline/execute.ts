/**
 * Runs a container Plan on the shared graph runner (graph.ts): one semaphore bounds every
 * engine call (so a start waiting for a dependency's health holds no slot). The executor
 * decides nothing: one action, one engine call (create-container also connects the networks
 * it carries).
 *
 *   action: [wait gate] → acquire slot → engine call → release
 */
import { StackError } from '../errors.js';
import { DEFAULT_STOP_GRACE_SECONDS } from '../model.js';
import { Slots, runGraph } from './graph.js';
import type { ActionStatus } from './graph.js';
import type { ActionEvent, FailureLike } from './reconcile.js';
import type { Action, Plan } from '../planner/types.js';
import type { Engine } from '../engine/types.js';
import type { ContainerWatcher } from './wait.js';
import { waitForConditions } from './wait.js';
import { copyFiles, hookSource, runHooks, runPreStart } from './container-extras.js';
import type { HookOutput } from './container-extras.js';

export type { ActionStatus } from './graph.js';

/** What renderers see while a plan runs. `ms` is the action's duration (0 for start/skip). */
export type ExecuteEvent = ActionEvent<Action>;

/** Options of `executePlan`. */
export interface ExecuteOptions {
  /** Bound on concurrent engine calls (default 8). */
  readonly parallel?: number;
  /** Aborted on Ctrl-C: no new action starts, in-flight ones finish. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ExecuteEvent) => void;
  /** Waits for start actions' `waitFor` conditions; required when the plan carries any. */
  readonly watcher?: ContainerWatcher;
  /** Timeout of one depends_on wait (default 300 s). */
  readonly waitTimeoutMs?: number;
  /** Builds an image (build-image actions); without it they fail. */
  readonly buildImage?: (action: Extract<Action, { kind: 'build-image' }>, signal?: AbortSignal) => Promise<void>;
  /** Called for non-fatal problems (a `required: false` dependency that failed). */
  readonly onWarning?: (message: string) => void;
  /** Each line a lifecycle hook prints, as it comes. */
  readonly onHookOutput?: (output: HookOutput) => void;
  /** Told before each stop request leaves, with its grace period in seconds (the project lock records it). */
  readonly beforeStop?: (graceSeconds: number) => void;
}

/** One failed action and why. */
export type ActionFailure = FailureLike<Action>;

/** The result of a run: a status for every action, the failures, and the IDs of created containers. */
export interface ExecuteSummary {
  readonly statuses: ReadonlyMap<number, ActionStatus>;
  readonly failures: readonly ActionFailure[];
  /** Actions not run because a dependency failed or the run was interrupted. */
  readonly skipped: readonly Action[];
  readonly interrupted: boolean;
  /** Container name → ID, for containers created (and renamed) in this run. */
  readonly containerIds: ReadonlyMap<string, string>;
}

/** The service of a container action, from its resource ref `service:<name>:<n>`. */
function serviceOf(action: Action): string {
  return action.resource.split(':')[1] ?? action.resource;
}

/** Runs one action as its engine call. `ids` resolves containers created earlier in the plan by name. */
async function runAction(
  engine: Engine,
  project: string,
  action: Action,
  ids: Map<string, string>,
  options: ExecuteOptions,
): Promise<void> {
  const { signal } = options;
  const hooks = { ...(signal ? { signal } : {}), ...(options.onHookOutput ? { onOutput: options.onHookOutput } : {}) };
  const container = (name: string, id?: string): string => id ?? ids.get(name) ?? name;
  switch (action.kind) {
    case 'create-network':
      await engine.createNetwork(action.name, action.body, signal);
      return;
    case 'remove-network':
      await engine.removeNetwork(action.networkId, signal);
      return;
    case 'create-volume':
      await engine.createVolume(action.name, action.body, signal);
      return;
    case 'remove-volume':
      await engine.removeVolume(action.name, signal);
      return;
    case 'create-container': {
      const id = await engine.createContainer(action.name, action.body, signal);
      ids.set(action.name, id);
      for (const [network, endpoint] of Object.entries(action.connect))
        await engine.connectNetwork(network, id, endpoint, signal);
      if (action.files) await copyFiles(engine, id, action.files, signal);
      return;
    }
    case 'start-container': {
      const id = container(action.name, action.containerId);
      await engine.startContainer(id, signal);
      if (action.postStart) {
        const container = { id, source: hookSource(project, action.name) };
        await runHooks(engine, container, serviceOf(action), 'post_start', action.postStart, hooks);
      }
      return;
    }
    case 'run-pre-start':
      await runPreStart(engine, action, hooks);
      return;
    case 'stop-container': {
      const id = container(action.name, action.containerId);
      if (action.preStop) {
        const container = { id, source: hookSource(project, action.name) };
        await runHooks(engine, container, serviceOf(action), 'pre_stop', action.preStop, hooks);
      }
      options.beforeStop?.(action.timeoutSeconds ?? action.graceSeconds ?? DEFAULT_STOP_GRACE_SECONDS);
      await engine.stopContainer(id, action.timeoutSeconds, signal);
      return;
    }
    case 'remove-container':
      await engine.removeContainer(
        container(action.name, action.containerId),
        { force: true, volumes: action.removeVolumes },
        signal,
      );
      return;
    case 'rename-container': {
      const id = container(action.name, action.containerId);
      await engine.renameContainer(id, action.newName, signal);
      ids.set(action.newName, ids.get(action.name) ?? id);
      return;
    }
    case 'connect-network':
      await engine.connectNetwork(action.network, container(action.name), action.endpoint, signal);
      return;
    case 'disconnect-network':
      await engine.disconnectNetwork(action.network, container(action.name), signal);
      return;
    case 'pull-image':
      await engine.pullImage(action.image, {
        ...(action.platform ? { platform: action.platform } : {}),
        ...(signal ? { signal } : {}),
      });
      return;
    case 'build-image':
      if (!options.buildImage)
        throw new StackError('BUILD_FAILED', `building ${action.image} is not available in this command`);
      await options.buildImage(action, signal);
      return;
  }
}

/**
 * Executes the plan's actions in dependency order under one concurrency limit. Never throws
 * for a failed action: a failure skips its dependents, independent actions finish, and the
 * summary names each failure. After the signal aborts, no new action starts.
 */
export async function executePlan(engine: Engine, plan: Plan, options: ExecuteOptions = {}): Promise<ExecuteSummary> {
  const ids = new Map<string, string>();
  const slots = new Slots(options.parallel ?? 8);
  // The loop plans again when a dependency it found running is stopped by someone else meanwhile.
  const startedByRun = new Set(plan.actions.flatMap((a) => (a.kind === 'start-container' ? [a.name] : [])));
  const run = async (action: Action): Promise<void> => {
    if ((action.kind === 'start-container' || action.kind === 'run-pre-start') && action.waitFor?.length) {
      if (!options.watcher) throw new StackError('INTERNAL', 'a start with depends_on conditions needs a watcher');
      await waitForConditions(options.watcher, action.waitFor, {
        timeoutMs: options.waitTimeoutMs ?? 300_000,
        startedByRun,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      });
    }
    await slots.run(() => runAction(engine, plan.project, action, ids, options));
  };
  const result = await runGraph(plan.actions, {
    dependsOn: (action) => action.dependsOn,
    run,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return { ...result, containerIds: ids };
}

/** "service:web:1 (start-container): port is already allocated" lines for the summary. */
export function summarizeFailures(summary: ExecuteSummary): string {
  return summary.failures.map((f) => `${f.action.resource} (${f.action.kind}): ${f.error.message}`).join('\n');
}
