/**
 * Runs a swarm plan on the shared graph runner (src/pipeline/graph.ts): one engine call per
 * action, an action starting once every action it waits for is done, at most `parallel` at a
 * time; a failure skips its dependents. It decides nothing; a write whose reply never came is
 * a failure the reconcile loop answers by observing again. Two observations happen here:
 * - a stale version ("update out of sequence"): the service is inspected to say who changed
 *   it; a concurrent change is a conflict, never overwritten;
 * - removing a network, secret or config still held by a task that is shutting down waits
 *   (observing every 500 ms, up to 60 s) until the engine lets it go.
 */
import { StackError } from '../../errors.js';
import { AmbiguousWriteError, EngineCallError } from '../../engine/errors.js';
import type { EngineNetwork, RegistryAuth } from '../../engine/types.js';
import type { SwarmClient } from './client.js';
import { SwarmLabel } from './labels.js';
import type { SwarmAction, SwarmPlan } from './plan.js';
import type { ServiceSpecBody } from './spec.js';
import { sleep } from './wait.js';
import { Slots, runGraph } from '../../pipeline/graph.js';
import type { ActionEvent, SummaryLike } from '../../pipeline/reconcile.js';

/** Options of executeSwarmPlan. */
export interface SwarmExecuteOptions {
  /** At most this many engine calls at once (default 4). */
  readonly parallel?: number;
  readonly signal?: AbortSignal;
  /** Progress events of the actions (renderers). */
  readonly onEvent?: (event: ActionEvent<SwarmAction>) => void;
  /** Registry credentials sent with a service's create or update, by service key (`--with-registry-auth`). */
  readonly registryAuth?: ReadonlyMap<string, RegistryAuth>;
  /** Awaited before a service action whose service has dependencies (`--wait`: dependencies running first). */
  readonly beforeService?: (key: string) => Promise<void>;
}

/** The engine calls the executor makes (a narrow view, so tests can record them). */
export type SwarmExecutorCalls = Pick<
  SwarmClient,
  | 'createNetwork'
  | 'removeNetwork'
  | 'listNetworks'
  | 'createSecret'
  | 'removeSecret'
  | 'listSecrets'
  | 'createConfig'
  | 'removeConfig'
  | 'listConfigs'
  | 'createService'
  | 'updateService'
  | 'inspectService'
  | 'removeService'
>;

/** What was done: the loop's summary, and the writes sent (done, or sent without a reply). */
export interface SwarmSummary extends SummaryLike<SwarmAction> {
  readonly writes: number;
}

const IN_USE_WAIT_MS = 60_000;
/** How long a removed network may stay in the manager's list before down reports it removed anyway. */
const LINGER_WAIT_MS = 30_000;

/**
 * Maps secret and config names to IDs: the observed ones (from the plan), those created by this
 * run, external ones looked up once.
 */
class ObjectIds {
  private readonly ids = new Map<string, string>();
  constructor(
    private readonly client: SwarmExecutorCalls,
    observed: Readonly<Record<string, string>>,
  ) {
    for (const [key, id] of Object.entries(observed)) this.ids.set(key, id);
  }
  set(kind: 'secret' | 'config', name: string, id: string): void {
    this.ids.set(`${kind}:${name}`, id);
  }
  async get(kind: 'secret' | 'config', name: string, signal?: AbortSignal): Promise<string> {
    const known = this.ids.get(`${kind}:${name}`);
    if (known) return known;
    const list =
      kind === 'secret'
        ? await this.client.listSecrets({ name: [name] }, signal)
        : await this.client.listConfigs({ name: [name] }, signal);
    const found = list.find((o) => o.Spec.Name === name);
    if (!found)
      throw new StackError(
        'APPLY_FAILED',
        `${kind} "${name}" does not exist on the swarm (an external ${kind} must be created first)`,
      );
    this.ids.set(`${kind}:${name}`, found.ID);
    return found.ID;
  }
}

/** The spec with the IDs of its secrets and configs filled in. */
async function withObjectIds(spec: ServiceSpecBody, ids: ObjectIds, signal?: AbortSignal): Promise<ServiceSpecBody> {
  const task = spec['TaskTemplate'] as Record<string, unknown>;
  const container = task['ContainerSpec'] as Record<string, unknown>;
  const fill = async (kind: 'secret' | 'config', list: unknown): Promise<unknown> => {
    if (!Array.isArray(list)) return list;
    return Promise.all(
      (list as Record<string, unknown>[]).map(async (ref) => {
        const name = String(kind === 'secret' ? ref['SecretName'] : ref['ConfigName']);
        return { ...ref, [kind === 'secret' ? 'SecretID' : 'ConfigID']: await ids.get(kind, name, signal) };
      }),
    );
  };
  const filled = { ...container };
  if (container['Secrets'] !== undefined) filled['Secrets'] = await fill('secret', container['Secrets']);
  if (container['Configs'] !== undefined) filled['Configs'] = await fill('config', container['Configs']);
  return { ...spec, TaskTemplate: { ...task, ContainerSpec: filled } };
}

function isOutOfSequence(error: unknown): boolean {
  return error instanceof EngineCallError && /out of sequence/i.test(error.engineMessage);
}

function isConflict(error: unknown): boolean {
  return error instanceof EngineCallError && error.statusCode === 409;
}

function isInUse(error: unknown): boolean {
  return (
    error instanceof EngineCallError &&
    (error.statusCode === 409 || /in use|active endpoints/i.test(error.engineMessage))
  );
}

/** After a stale version: the service now has the spec we meant (done), or someone else changed it (conflict). */
async function explainOutOfSequence(
  client: SwarmExecutorCalls,
  action: Extract<SwarmAction, { kind: 'update-service' }>,
  cause: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const current = await client.inspectService(action.objectId, signal);
  if (current?.Spec.Labels?.[SwarmLabel.configHash] === action.spec.Labels[SwarmLabel.configHash]) return;
  if (current) {
    throw new StackError(
      'APPLY_FAILED',
      `service ${action.name} was changed by someone else since it was observed ` +
        `(version ${action.version}, now ${current.Version.Index}): run again to plan from its new state`,
      { cause },
    );
  }
  throw cause;
}

async function whenReleased(remove: () => Promise<void>, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + IN_USE_WAIT_MS;
  for (;;) {
    try {
      return await remove();
    } catch (error) {
      if (!isInUse(error) || Date.now() > deadline || signal?.aborted) throw error;
      await sleep(500, signal);
    }
  }
}

/**
 * Resolves once the manager no longer lists a network matching `listed` (bounded by
 * `timeoutMs`; past it the caller goes on, and the engine says what it says). A removed
 * overlay network stays in the manager's list until the manager's own tasks on it have
 * stopped: meanwhile its name can neither be joined nor, reliably, created again.
 */
async function untilUnlisted(
  client: SwarmExecutorCalls,
  name: string,
  listed: (n: EngineNetwork) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const networks = await client.listNetworks({ name: [name] }, signal);
    if (!networks.some((n) => n.Name === name && listed(n))) return;
    await sleep(250, signal);
  }
}

async function runAction(
  client: SwarmExecutorCalls,
  action: SwarmAction,
  ids: ObjectIds,
  options: SwarmExecuteOptions,
): Promise<void> {
  const signal = options.signal;
  switch (action.kind) {
    case 'create-network':
      if (action.lingering)
        await untilUnlisted(client, action.name, (n) => n.Containers != null, IN_USE_WAIT_MS, signal);
      try {
        await client.createNetwork(action.name, action.body, signal);
      } catch (error) {
        // Made meanwhile by a concurrent run of the same stack (same name, same labels): there it is.
        if (!isConflict(error)) throw error;
      }
      return;
    case 'create-secret':
    case 'create-config': {
      const kind = action.kind === 'create-secret' ? 'secret' : 'config';
      const data = Buffer.from(action.data, 'base64');
      try {
        ids.set(
          kind,
          action.name,
          kind === 'secret'
            ? await client.createSecret(action.name, data, action.labels, signal)
            : await client.createConfig(action.name, data, action.labels, signal),
        );
      } catch (error) {
        // The name carries the content's hash: an object of that name made meanwhile (a
        // concurrent run, or a reply lost) holds the same content. Use it.
        if (!isConflict(error) && !(error instanceof AmbiguousWriteError)) throw error;
        await ids.get(kind, action.name, signal);
      }
      return;
    }
    case 'create-service':
    case 'update-service': {
      const spec = await withObjectIds(action.spec, ids, signal);
      const auth = options.registryAuth?.get(action.key);
      const withAuth = auth ? { auth } : {};
      if (action.kind === 'create-service') return void (await client.createService(spec, signal, withAuth));
      try {
        await client.updateService(action.objectId, action.version, spec, signal, withAuth);
      } catch (error) {
        if (isOutOfSequence(error)) return explainOutOfSequence(client, action, error, signal);
        throw error;
      }
      return;
    }
    case 'remove-service':
      await client.removeService(action.objectId, signal);
      return;
    case 'remove-network':
      await whenReleased(() => client.removeNetwork(action.objectId, signal), signal);
      // Removed is gone from the list too: an `up` right after must not see it.
      return untilUnlisted(client, action.name, (n) => n.Id === action.objectId, LINGER_WAIT_MS, signal);
    case 'remove-secret':
      return whenReleased(() => client.removeSecret(action.objectId, signal), signal);
    case 'remove-config':
      return whenReleased(() => client.removeConfig(action.objectId, signal), signal);
  }
}

/**
 * Executes the plan. Never throws for a failed action: the summary names each failure (the
 * loop turns them into one APPLY_FAILED), dependents are skipped, independent actions finish.
 */
export async function executeSwarmPlan(
  client: SwarmExecutorCalls,
  plan: SwarmPlan,
  options: SwarmExecuteOptions = {},
): Promise<SwarmSummary> {
  const ids = new ObjectIds(client, plan.objectIds);
  const slots = new Slots(options.parallel ?? 4);
  const byResource = new Map(plan.actions.map((a) => [a.resource, a.id]));
  let writes = 0;
  const result = await runGraph(plan.actions, {
    dependsOn: (action) => action.after.flatMap((ref) => byResource.get(ref) ?? []),
    run: async (action) => {
      if (action.kind === 'create-service' || action.kind === 'update-service')
        await options.beforeService?.(action.key);
      try {
        await slots.run(() => runAction(client, action, ids, options));
        writes++;
      } catch (error) {
        // Sent, with no reply: the engine may have acted (the loop observes again).
        if (error instanceof AmbiguousWriteError) writes++;
        throw error;
      }
    },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return { failures: result.failures, skipped: result.skipped, interrupted: result.interrupted, writes };
}
