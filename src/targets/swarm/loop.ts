/**
 * The swarm target of the shared reconcile loop (src/pipeline/reconcile.ts): observe the
 * stack's services, networks, secrets and configs; plan with the pure swarm planner; execute
 * on the shared graph runner. The loop owns the order, the confirmation, the one re-observation
 * after a write whose reply never came, and the errors, as for containers. With `--wait`, a
 * service waits for its dependencies' tasks before its own action, and the loop's post-run
 * check follows the changed services until they converge (a rollback is a failure).
 */
import { AmbiguousWriteError } from '../../engine/errors.js';
import { primaryName } from '../../engine/observe.js';
import type { RegistryAuth, SwarmService } from '../../engine/types.js';
import { StackError, diagnostic } from '../../errors.js';
import type { Diagnostic } from '../../errors.js';
import { byCodePoint } from '../../order.js';
import { applyRun, planRun } from '../../pipeline/reconcile.js';
import type { RunHooks, Target } from '../../pipeline/reconcile.js';
import type { SwarmClient } from './client.js';
import { executeSwarmPlan } from './execute.js';
import { SwarmLabel } from './labels.js';
import type { SwarmSummary } from './execute.js';
import { observeSwarm } from './observe.js';
import type { ObservedSwarm, PrefetchedObservation } from './observed.js';
import type { SwarmAction, SwarmPlan } from './plan.js';
import { planSwarmDown, planSwarmUp } from './planner.js';
import type { DesiredSwarm } from './spec.js';
import { RolloutFailed, waitForServices } from './wait.js';
import type { ServiceProgress } from './wait.js';

/** What a swarm run plans towards: a prepared stack (up), or only its name (down). */
export type SwarmGoal =
  { readonly desired: DesiredSwarm; readonly observed?: PrefetchedObservation } | { readonly project: string };

/**
 * How old a snapshot read by prepareSwarm may be for the loop to plan from it: a run that
 * starts at once plans from it; a library caller that prepares and applies later observes again.
 */
export const PREFETCH_FRESH_MS = 1000;

/** Options of the swarm target. */
export interface SwarmTargetOptions {
  /** `up --remove-orphans`: remove services the file no longer has (else a note names them). */
  readonly removeOrphans?: boolean;
  /** Follow the tasks until converged (and act on dependents only once their dependencies run). */
  readonly wait?: boolean;
  readonly waitTimeoutMs?: number;
  /** `--wait`'s replica counts, each time they are polled. */
  readonly onProgress?: (progress: readonly ServiceProgress[]) => void;
  /** Registry credentials sent with each service create/update, by service key (`--with-registry-auth`). */
  readonly registryAuth?: ReadonlyMap<string, RegistryAuth>;
}

/** The hooks of a swarm run (the loop's, for swarm actions). */
export type SwarmHooks = RunHooks<SwarmAction>;

/** The swarm target: `up` (a desired stack) or `down` (a project name). */
export function swarmTarget(
  client: SwarmClient,
  goal: SwarmGoal,
  options: SwarmTargetOptions = {},
): Target<ObservedSwarm, SwarmPlan, SwarmAction, SwarmSummary> & { readonly writes: () => number } {
  const desired = 'desired' in goal ? goal.desired : undefined;
  const project = desired?.project ?? ('project' in goal ? goal.project : '');
  const byKey = new Map((desired?.services ?? []).map((s) => [s.key, s]));
  const waitTarget = (key: string) => {
    const s = byKey.get(key)!;
    return { name: s.name, job: s.job, ...(s.replicas !== undefined ? { replicas: s.replicas } : {}) };
  };
  // Tasks older than the run are not this run's failures.
  const since = Date.now() - 1000;
  let writes = 0;
  // The first observation may be the one prepareSwarm read while asking the registry.
  let prefetched = 'observed' in goal ? goal.observed : undefined;
  const observe = (signal: AbortSignal): Promise<ObservedSwarm> => {
    const ahead = prefetched && Date.now() - prefetched.at <= PREFETCH_FRESH_MS ? prefetched.snapshot : undefined;
    prefetched = undefined;
    return ahead ?? observeSwarm(client, project, signal);
  };
  const waitFor = (keys: readonly string[], signal: AbortSignal) =>
    waitForServices(client, keys.map(waitTarget), {
      since,
      timeoutMs: options.waitTimeoutMs ?? 300_000,
      signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  return {
    writes: () => writes,
    observe,
    plan: (observed) =>
      desired
        ? planSwarmUp(desired, observed, { removeOrphans: options.removeOrphans === true })
        : planSwarmDown(observed),
    validate: (_observed, plan, signal) => refuseNetworksInUse(client, plan, signal),
    async execute(plan, context) {
      const summary = await executeSwarmPlan(client, plan, {
        signal: context.signal,
        onEvent: context.onEvent,
        ...(context.parallel !== undefined ? { parallel: context.parallel } : {}),
        ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
        ...(options.wait
          ? { beforeService: (key: string) => waitFor(byKey.get(key)?.dependsOn ?? [], context.signal) }
          : {}),
      });
      writes += summary.writes;
      return summary;
    },
    shouldObserveAgain(summary) {
      const ambiguous = summary.failures.filter((f) => f.error instanceof AmbiguousWriteError);
      return ambiguous.length > 0
        ? `the outcome of ${ambiguous.map((f) => `${f.action.kind} ${f.action.name}`).join(', ')} is unknown`
        : undefined;
    },
    async check(plan, summary, signal) {
      if (!options.wait || summary.failures.length > 0) return [];
      const changed = plan.actions.flatMap((a) =>
        a.kind === 'create-service' || a.kind === 'update-service' ? [a.key] : [],
      );
      try {
        await waitFor(changed, signal);
        return [];
      } catch (error) {
        // A rollout that failed or rolled back: one problem per service, named by the wait.
        if (error instanceof RolloutFailed) return error.problems;
        throw error;
      }
    },
  };
}

/**
 * Swarm refuses to remove a network a service joins. The plan removes the stack's own services
 * first, but a service of another stack (one that uses the network as `external:`) or made by
 * hand would make the removal fail halfway through the run (`docker stack rm` removes the
 * services, then reports the network): found before anything is written, by `up`, `down` and
 * `plan` alike, NETWORK_IN_USE naming the network and those services. So does a running
 * standalone container on an attachable network (`docker run --network`) on the manager's node.
 * Reads: every service of the swarm, and the manager's containers on each removed network, only
 * when the plan removes a network.
 *
 * A standalone container on another node is not seen: the manager's API lists no network
 * attachment task (GET /tasks leaves them out) and its network inspect shows only its own
 * endpoints; there Swarm itself refuses the removal ("network … is in use by task …") after
 * the services were removed.
 */
async function refuseNetworksInUse(client: SwarmClient, plan: SwarmPlan, signal: AbortSignal): Promise<void> {
  const removed = plan.actions.flatMap((a) => (a.kind === 'remove-network' ? [a] : []));
  if (removed.length === 0) return;
  const [services, containers] = await Promise.all([
    client.listServices(undefined, signal),
    Promise.all(removed.map((n) => client.listContainers({ filters: { network: [n.objectId] } }, signal))),
  ]);
  const problems: Diagnostic[] = [];
  for (const [index, network] of removed.entries()) {
    const users = services
      .filter((s) => s.Spec.Labels?.[SwarmLabel.namespace] !== plan.project)
      .filter((s) => networkTargets(s).some((t) => t === network.objectId || t === network.name))
      .map((s) => {
        const stack = s.Spec.Labels?.[SwarmLabel.namespace];
        return stack === undefined ? s.Spec.Name : `${s.Spec.Name} (stack ${stack})`;
      })
      .sort(byCodePoint);
    // A task's container leaves with its service (the stack's own) or is named by it (another's).
    const standalone = (containers[index] ?? [])
      .filter((c) => c.Labels?.[SwarmLabel.taskId] === undefined)
      .map((c) => `container ${primaryName(c.Names)}`)
      .sort(byCodePoint);
    if (users.length === 0 && standalone.length === 0) continue;
    const message =
      `network ${network.name}: ${removalCause(network.reason)}, ` +
      `but Swarm cannot remove it while others join it: ${[...users, ...standalone].join(', ')}`;
    const hint =
      network.reason.code === 'down'
        ? 'nothing was removed: bring those services down first (their stack uses the network as external), ' +
          'or move them off it (`docker network disconnect` for a container)'
        : 'move those services off the network (their stack uses it as external), or keep its configuration as it is';
    problems.push(diagnostic('NETWORK_IN_USE', message, undefined, hint));
  }
  if (problems.length > 0)
    throw new StackError(
      'NETWORK_IN_USE',
      problems.length === 1 ? problems[0]!.message : `${problems.length} networks are in use by others`,
      { diagnostics: problems },
    );
}

/** Why the plan removes a network, in the words of NETWORK_IN_USE. */
function removalCause(reason: SwarmAction['reason']): string {
  if (reason.code === 'network_changed') return `its configuration changed (${reason.detail})`;
  return reason.code === 'down' ? '`down` removes it' : 'it left the stack file';
}

/** The networks a service's spec joins, as the manager stores them (IDs; names when sent so). */
function networkTargets(service: SwarmService): string[] {
  const task = service.Spec['TaskTemplate'] as { Networks?: readonly { Target?: string }[] | null } | undefined;
  return (task?.Networks ?? []).flatMap((n) => (n.Target ? [n.Target] : []));
}

/** Observes the stack and plans (`stack plan --target swarm`): nothing is written. */
export async function planSwarm(
  client: SwarmClient,
  goal: SwarmGoal,
  options: { removeOrphans?: boolean; signal?: AbortSignal } = {},
): Promise<{ plan: SwarmPlan; observed: ObservedSwarm }> {
  const target = swarmTarget(client, goal, options.removeOrphans ? { removeOrphans: true } : {});
  return planRun(target, options.signal ?? new AbortController().signal);
}

/** Options of `upSwarm`: the target's and the loop's hooks (signal, progress, parallel, dryRun...). */
export type SwarmUpOptions = SwarmTargetOptions & Partial<SwarmHooks>;

async function applySwarm(
  client: SwarmClient,
  goal: SwarmGoal,
  options: SwarmUpOptions,
): Promise<{ plan: SwarmPlan; writes: number }> {
  const { removeOrphans, wait, waitTimeoutMs, onProgress, registryAuth, ...hooks } = options;
  const target = swarmTarget(client, goal, {
    ...(registryAuth ? { registryAuth } : {}),
    ...(removeOrphans !== undefined ? { removeOrphans } : {}),
    ...(wait !== undefined ? { wait } : {}),
    ...(waitTimeoutMs !== undefined ? { waitTimeoutMs } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  // Nothing a swarm plan does is destructive (volumes stay on the nodes): nothing to confirm.
  const { plan } = await applyRun(target, { signal: new AbortController().signal, ...hooks });
  return { plan, writes: target.writes() };
}

/** `up -d [--wait]` through the reconcile loop. Resolves to the plan run last and the writes sent in all attempts. */
export function upSwarm(
  client: SwarmClient,
  prepared: {
    readonly desired: DesiredSwarm;
    readonly registryAuth?: ReadonlyMap<string, RegistryAuth>;
    readonly observed?: PrefetchedObservation;
  },
  options: SwarmUpOptions = {},
): Promise<{ plan: SwarmPlan; writes: number }> {
  const registryAuth = options.registryAuth ?? prepared.registryAuth;
  const goal = { desired: prepared.desired, ...(prepared.observed ? { observed: prepared.observed } : {}) };
  return applySwarm(client, goal, { ...options, ...(registryAuth ? { registryAuth } : {}) });
}

/** `down`: the stack's services, then its secrets, configs and networks (volumes stay on the nodes). */
export function downSwarm(
  client: SwarmClient,
  project: string,
  hooks: Partial<SwarmHooks> = {},
): Promise<{ plan: SwarmPlan; writes: number }> {
  return applySwarm(client, { project }, hooks);
}
