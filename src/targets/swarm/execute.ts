/**
 * Runs a swarm plan: one engine call per action, an action starting once every action it
 * waits for is done, at most `concurrency` at a time. It decides nothing, with two
 * exceptions that are observations, never blind retries:
 * - a write with no reply (AmbiguousWriteError) or a stale version ("update out of sequence")
 *   re-observes the service once: done if it now has the desired hash, a conflict otherwise;
 * - removing a network, secret or config still held by a task that is shutting down waits
 *   (observing every 500 ms, up to 60 s) until the engine lets it go.
 */
import { StackError } from '../../errors.js';
import { AmbiguousWriteError, EngineCallError } from '../../engine/errors.js';
import type { SwarmClient } from './client.js';
import { SwarmLabel } from './labels.js';
import type { ObservedSwarm } from './observed.js';
import type { SwarmAction, SwarmPlan } from './plan.js';
import type { ServiceSpecBody } from './spec.js';
import { sleep } from './wait.js';

/** Options of executeSwarmPlan. */
export interface SwarmExecuteOptions {
  /** At most this many engine calls at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Told when an action starts and ends (progress output). */
  readonly onAction?: (action: SwarmAction, state: 'started' | 'done' | 'failed', error?: unknown) => void;
  /** Awaited before a service action whose service has dependencies (`--wait`: dependencies running first). */
  readonly beforeService?: (key: string) => Promise<void>;
}

/** The engine calls the executor makes (a narrow view, so tests can record them). */
export type SwarmExecutorCalls = Pick<
  SwarmClient,
  | 'createNetwork'
  | 'removeNetwork'
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

/** What was done. */
export interface SwarmExecuteResult {
  /** Engine writes made (one per action done). */
  readonly writes: number;
}

const IN_USE_WAIT_MS = 60_000;

/** Maps secret and config names to IDs: the observed ones, those created by this run, external ones looked up once. */
class ObjectIds {
  private readonly ids = new Map<string, string>();
  constructor(
    private readonly client: SwarmExecutorCalls,
    observed: ObservedSwarm,
  ) {
    for (const s of observed.secrets) this.ids.set(`secret:${s.name}`, s.id);
    for (const c of observed.configs) this.ids.set(`config:${c.name}`, c.id);
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

/** After an unknown outcome or a stale version: does the service now have the spec we meant? */
async function reobserveService(
  client: SwarmExecutorCalls,
  action: Extract<SwarmAction, { kind: 'create-service' | 'update-service' }>,
  cause: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const current = await client.inspectService(action.kind === 'update-service' ? action.id : action.name, signal);
  if (current?.Spec.Labels?.[SwarmLabel.configHash] === action.spec.Labels[SwarmLabel.configHash]) return;
  if (action.kind === 'update-service' && current) {
    throw new StackError(
      'APPLY_FAILED',
      `service ${action.name} was changed by someone else since it was observed (version ${action.version}, now ${current.Version.Index}): run again to plan from its new state`,
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

async function runAction(
  client: SwarmExecutorCalls,
  action: SwarmAction,
  ids: ObjectIds,
  options: SwarmExecuteOptions,
): Promise<void> {
  const signal = options.signal;
  switch (action.kind) {
    case 'create-network':
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
      await options.beforeService?.(action.key);
      const spec = await withObjectIds(action.spec, ids, signal);
      try {
        if (action.kind === 'create-service') await client.createService(spec, signal);
        else await client.updateService(action.id, action.version, spec, signal);
      } catch (error) {
        if (error instanceof AmbiguousWriteError || isOutOfSequence(error))
          return reobserveService(client, action, error, signal);
        throw error;
      }
      return;
    }
    case 'remove-service':
      await client.removeService(action.id, signal);
      return;
    case 'remove-network':
      return whenReleased(() => client.removeNetwork(action.id, signal), signal);
    case 'remove-secret':
      return whenReleased(() => client.removeSecret(action.id, signal), signal);
    case 'remove-config':
      return whenReleased(() => client.removeConfig(action.id, signal), signal);
  }
}

/**
 * Executes the plan. The first failure stops new actions from starting; those running finish,
 * then one APPLY_FAILED names every failed action (the error of each is its cause).
 */
export async function executeSwarmPlan(
  client: SwarmExecutorCalls,
  plan: SwarmPlan,
  observed: ObservedSwarm,
  options: SwarmExecuteOptions = {},
): Promise<SwarmExecuteResult> {
  const ids = new ObjectIds(client, observed);
  const limit = Math.max(1, options.concurrency ?? 4);
  const done = new Set<string>();
  const pending = [...plan.actions];
  const running = new Set<Promise<void>>();
  const failures: { action: SwarmAction; error: unknown }[] = [];
  let writes = 0;
  while (pending.length > 0 || running.size > 0) {
    while (failures.length === 0 && running.size < limit) {
      const index = pending.findIndex((a) => a.after.every((ref) => done.has(ref)));
      if (index < 0) break;
      const [action] = pending.splice(index, 1) as [SwarmAction];
      options.onAction?.(action, 'started');
      const task: Promise<void> = runAction(client, action, ids, options).then(
        () => {
          writes++;
          done.add(action.ref);
          options.onAction?.(action, 'done');
        },
        (error: unknown) => {
          failures.push({ action, error });
          options.onAction?.(action, 'failed', error);
        },
      );
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    const message = failures
      .map((f) => `${f.action.kind} ${f.action.name}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
      .join('; ');
    throw new StackError('APPLY_FAILED', message, { cause: first.error });
  }
  if (pending.length > 0)
    throw new StackError('INTERNAL', `actions left with unmet dependencies: ${pending.map((a) => a.ref).join(', ')}`);
  return { writes };
}
