/**
 * The commands of the swarm target as library calls (the CLI renders their results): prepare
 * (load, check, convert), ps, logs, ls, config. plan, up and down run the shared reconcile
 * loop (loop.ts).
 */
import { connectEngine, swarmCalls } from '../../engine/client.js';
import { StackError, displayValue, throwIfErrors } from '../../errors.js';
import type { Diagnostic } from '../../errors.js';
import type { LogChunk, RegistryAuth, SwarmService, SwarmTask } from '../../engine/types.js';
import { credentialsLookup } from '../../images/credentials.js';
import { loadStack } from '../../loader/load.js';
import type { LoadOptions } from '../../loader/load.js';
import { defaultStages } from '../../loader/stages.js';
import type { LoaderStages } from '../../loader/stages.js';
import type { Locate } from '../../loader/types.js';
import type { StackModel } from '../../model.js';
import { byCodePoint } from '../../order.js';
import { pinImages } from '../../pipeline/stack.js';
import type { SwarmClient } from './client.js';
import { convertStack } from './convert.js';
import { buildAndPush, readDeploys, readFileObjects, resolveImages } from './inputs.js';
import type { SwarmDeploy } from './deploy.js';
import type { Credentials } from './inputs.js';
import { SwarmLabel } from './labels.js';
import { PREFETCH_FRESH_MS } from './loop.js';
import { observeSwarm, requireManager } from './observe.js';
import type { PrefetchedObservation } from './observed.js';
import { describeTask } from './wait.js';
import type { DesiredSwarm } from './spec.js';
import { dropSwarmImplementedWarnings, validateForSwarm } from './validate.js';

/**
 * Connects to the engine named by DOCKER_HOST / contexts (as the local target does) and
 * checks it is a swarm manager: ENGINE_ERROR (exit 1) saying how to init or join otherwise.
 */
export async function connectSwarm(
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<SwarmClient> {
  const engine = await connectEngine({ env, ...(signal ? { signal } : {}) });
  const client = swarmCalls(engine);
  if (!client) throw new StackError('INTERNAL', 'this engine connection has no Swarm calls');
  nodesAtConnect.set(client, { count: await requireManager(client, signal), at: Date.now() });
  return client;
}

/** The node count the manager check read, by client: prepareSwarm uses it while fresh instead of asking again. */
const nodesAtConnect = new WeakMap<SwarmClient, { readonly count: number; readonly at: number }>();

/** The number of nodes: the one read by connectSwarm when at most PREFETCH_FRESH_MS old, else asked now. */
function nodeCount(client: SwarmClient, signal: AbortSignal | undefined): Promise<number> {
  const seen = nodesAtConnect.get(client);
  if (seen && Date.now() - seen.at <= PREFETCH_FRESH_MS) return Promise.resolve(seen.count);
  return client.listNodes(undefined, signal).then((list) => list.length);
}

/** A stack ready to plan on Swarm. */
export interface PreparedSwarm {
  readonly model: StackModel;
  readonly desired: DesiredSwarm;
  /** Loader warnings (minus the keys Swarm implements) and the swarm target's own warnings. */
  readonly warnings: readonly Diagnostic[];
  /**
   * With `withRegistryAuth`: the credentials of each service's image registry, by service key,
   * sent with its create or update. Never printed.
   */
  readonly registryAuth?: ReadonlyMap<string, RegistryAuth>;
  /**
   * The stack's snapshot, read while the registry was asked (the two round trips overlap).
   * `upSwarm`/`planSwarm` plan from it only when they start within PREFETCH_FRESH_MS of
   * its reading; later they observe again.
   */
  readonly observed?: PrefetchedObservation;
}

/**
 * What the swarm target takes from a load of the files: the model and what it reads of the
 * merged raw data (the `deploy:` keys the model does not keep, and the diagnostics of the keys
 * Swarm cannot honour, with their file:line:col). Plain JSON data, so the CLI keeps it in its
 * model cache (src/cli/model-cache.ts) and a no-op `up` skips the load, as on the local target.
 */
export interface SwarmLoad {
  readonly model: StackModel;
  /** Each enabled service's Swarm keys, by service key. */
  readonly deploys: Readonly<Record<string, SwarmDeploy>>;
  /** validateForSwarm's diagnostics (errors and warnings). */
  readonly problems: readonly Diagnostic[];
  /**
   * The variables the target reads itself (a secret or config `environment:`, a build arg
   * written without a value), from the load's environment (shell over `.env`).
   */
  readonly variables: Readonly<Record<string, string>>;
}

/** The names of the variables the swarm target reads after the load (see SwarmLoad.variables). */
function variablesRead(model: StackModel): string[] {
  const names = new Set<string>();
  for (const service of Object.values(model.services)) {
    for (const ref of [
      ...service.secrets.map((r) => model.secrets[r.source]),
      ...service.configs.map((r) => model.configs[r.source]),
    ])
      if (ref && !ref.external && ref.environment !== undefined) names.add(ref.environment);
    for (const [arg, value] of Object.entries(service.build?.args ?? {})) if (value === null) names.add(arg);
  }
  return [...names].sort();
}

/**
 * Loads the files for the swarm target: the model and, from the same load, the merged raw
 * data (the normalize stage is handed both, so it is watched in passing instead of loading the
 * files twice). Every input is read through `load.trace`, the variables of `variables` included.
 */
export async function loadForSwarm(load: LoadOptions): Promise<SwarmLoad> {
  let raw:
    { data: Record<string, unknown>; locate: Locate; env: Readonly<Record<string, string | undefined>> } | undefined;
  const stages: LoaderStages = {
    ...defaultStages,
    normalizeProject: (merged, ctx) => {
      raw = { data: merged, locate: ctx.locate, env: ctx.env };
      return defaultStages.normalizeProject(merged, ctx);
    },
  };
  const model = await loadStack(load, stages);
  if (!raw) throw new StackError('INTERNAL', 'the loader did not normalize the project');
  const rawServices = (raw.data['services'] ?? {}) as Record<string, unknown>;
  const env = raw.env;
  const variables: Record<string, string> = {};
  for (const name of variablesRead(model)) {
    const value = env[name];
    if (value !== undefined) variables[name] = value;
  }
  return {
    model,
    deploys: readDeploys(model, rawServices),
    problems: validateForSwarm(model, rawServices, raw.locate),
    variables,
  };
}

/**
 * The warnings of a load on the swarm target: the loader's, less the "not implemented" of the
 * keys Swarm implements (deploy.mode, placement, ...), and validateForSwarm's.
 */
export function swarmWarnings(loaded: SwarmLoad): Diagnostic[] {
  return [...dropSwarmImplementedWarnings(loaded.model.warnings), ...loaded.problems].filter(
    (d) => d.severity === 'warning',
  );
}

/**
 * The lock file's digests by service, as the local target pins them (built services and drift
 * excepted, drift a warning). The image keeps its tag (`repo:tag@digest`, as without a lock):
 * locking a deployed stack changes nothing on the swarm.
 */
async function lockedDigests(model: StackModel, options: PrepareSwarmOptions): Promise<Map<string, string>> {
  const all = new Set(Object.keys(model.services));
  const pinned = await pinImages(model, [], all, options, options.lockFile !== false);
  const locked = new Map<string, string>();
  for (const [key, service] of Object.entries(pinned.services)) {
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(service.image ?? '')?.[1];
    if (digest !== undefined && service.image !== model.services[key]?.image) locked.set(key, digest);
  }
  return locked;
}

/** Options of prepareSwarm. */
export interface PrepareSwarmOptions {
  /**
   * true (`--build`): build and push every service with `build:`; false (`--no-build`, and
   * `plan`/`config`, which must not write): build nothing; undefined: build and push only the
   * images their registry does not have.
   */
  readonly build?: boolean;
  readonly signal?: AbortSignal;
  readonly onPushed?: (image: string, digest: string | undefined) => void;
  /** False (`--no-lock`): ignore the lock file next to the stack file. */
  readonly lockFile?: boolean;
  /** Lock-file drift ("service web now uses ..., the lock has ..."), named as the local target does. */
  readonly onWarning?: (message: string) => void;
  /** Base directory of the lock file path in drift warnings. */
  readonly cwd?: string;
  /**
   * `--with-registry-auth`: send the credentials of each image's registry with the service
   * create/update, so the nodes can pull private images (the swarm stores them with the
   * service). The registry checks and pushes of this run use the credentials either way.
   */
  readonly withRegistryAuth?: boolean;
  /** False (`config`): nothing will be planned, so the stack's snapshot is not read ahead. */
  readonly observe?: boolean;
  /**
   * The environment of the docker config and credential helpers (default: the load options'
   * env; for a SwarmLoad, process.env).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads the files (or takes a SwarmLoad made by loadForSwarm), refuses what Swarm cannot
 * honour (every problem at once, with file:line:col, before anything is touched), reads secret
 * and config contents and pins images by digest.
 */
export async function prepareSwarm(
  client: SwarmClient,
  load: LoadOptions | SwarmLoad,
  options: PrepareSwarmOptions = {},
): Promise<PreparedSwarm> {
  const signal = options.signal;
  const loaded = 'model' in load ? load : await loadForSwarm(load);
  const { model, problems, variables } = loaded;
  const credentials = credentialsLookup(options.env ?? ('model' in load ? process.env : load.env));
  // The snapshot the loop plans from, read now, in parallel with the registry checks below.
  const observed =
    options.observe === false ? undefined : { snapshot: observeSwarm(client, model.name, signal), at: Date.now() };
  observed?.snapshot.catch(() => undefined);
  const locked = await lockedDigests(model, options);
  throwIfErrors([...problems, ...model.warnings]);
  if (options.build !== false) {
    await buildAndPush(client, model, {
      force: options.build === true,
      env: variables,
      ...(signal ? { signal } : {}),
      ...(options.onPushed ? { onPushed: options.onPushed } : {}),
      credentials,
    });
  }
  const nodes = nodeCount(client, signal);
  nodes.catch(() => undefined); // awaited by resolveImages, after the registry's answers
  const { images, diagnostics } = await resolveImages(client, model, nodes, signal, locked, credentials);
  throwIfErrors(diagnostics);
  const registryAuth = options.withRegistryAuth ? await registryAuthOf(model, credentials) : undefined;
  const desired = convertStack(model, {
    deploys: loaded.deploys,
    files: readFileObjects(model, variables),
    images,
    ...(registryAuth
      ? { authRegistries: Object.fromEntries([...registryAuth].map(([key, auth]) => [key, auth.serveraddress ?? ''])) }
      : {}),
  });
  return {
    model,
    desired,
    warnings: [...swarmWarnings(loaded), ...diagnostics.filter((d) => d.severity === 'warning')],
    ...(registryAuth ? { registryAuth } : {}),
    ...(observed ? { observed } : {}),
  };
}

/** The credentials of each service's image registry (services whose registry has none are left out). */
async function registryAuthOf(model: StackModel, credentials: Credentials): Promise<Map<string, RegistryAuth>> {
  const auth = new Map<string, RegistryAuth>();
  for (const [key, service] of Object.entries(model.services)) {
    const found = service.image === undefined ? undefined : await credentials(service.image);
    if (found) auth.set(key, found);
  }
  return auth;
}

/** One row of `ps`: a task. */
export interface SwarmPsRow {
  /** The task's ID (docker stack ps prints its first 12 characters). */
  readonly id: string;
  readonly service: string;
  /** `web.2` for a replica, `web` on node X for a global task. */
  readonly task: string;
  readonly node: string;
  readonly desiredState: string;
  readonly currentState: string;
  readonly error: string;
  readonly ports: string;
  /** The image of the task's container spec (pinned by digest). */
  readonly image: string;
}

/** The states a swarm task goes through (Docker's api/types/swarm TaskState), for `ps --status`. */
export const TASK_STATES = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
];

/**
 * `ps`: the tasks of the stack's services, newest first within each slot. With `states`, the
 * tasks whose current state is one of them (of every desired state, as `ps --status` locally).
 */
export async function psSwarm(
  client: SwarmClient,
  project: string,
  options: { all?: boolean; services?: readonly string[]; states?: readonly string[]; signal?: AbortSignal } = {},
): Promise<SwarmPsRow[]> {
  const services = servicesOf(
    await client.listServices({ label: [`${SwarmLabel.namespace}=${project}`] }, options.signal),
    project,
    options.services,
  );
  if (services.length === 0) return [];
  const [tasks, nodes] = await Promise.all([
    client.listTasks({ service: services.map((s) => s.Spec.Name) }, options.signal),
    client.listNodes(undefined, options.signal),
  ]);
  const nodeNames = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  const serviceName = new Map(services.map((s) => [s.ID, s.Spec.Name]));
  const states = options.states ?? [];
  const visible = (t: SwarmTask) =>
    states.length > 0
      ? states.includes(t.Status.State)
      : options.all === true || t.DesiredState === 'running' || t.Status.State === 'running';
  return tasks
    .filter((t) => serviceName.has(t.ServiceID) && visible(t))
    .map((t) => {
      const name = serviceName.get(t.ServiceID)!;
      const node = t.NodeID ? (nodeNames.get(t.NodeID) ?? t.NodeID) : '';
      const spec = t.Spec?.['ContainerSpec'] as { Image?: string } | undefined;
      return {
        id: t.ID,
        service: name,
        task: t.Slot !== undefined && t.Slot > 0 ? `${name}.${t.Slot}` : `${name}@${node}`,
        node,
        desiredState: t.DesiredState,
        currentState: t.Status.State,
        error: t.Status.Err ?? '',
        ports: (t.Status.PortStatus?.Ports ?? [])
          .map((p) => `${p.PublishedPort ?? ''}->${p.TargetPort ?? ''}/${p.Protocol ?? 'tcp'}`)
          .join(', '),
        image: spec?.Image ?? '',
      };
    })
    .sort((a, b) => byCodePoint(a.task, b.task) || byCodePoint(a.desiredState, b.desiredState));
}

/** The stack's services that `keys` name (all without keys). */
function servicesOf(
  all: readonly SwarmService[],
  project: string,
  keys: readonly string[] | undefined,
): SwarmService[] {
  return all.filter((s) => !keys || keys.some((key) => s.Spec.Name === `${project}_${key}`));
}

/** `ps` rows as a text table. */
export function renderSwarmPs(rows: readonly SwarmPsRow[]): string {
  const header = ['TASK', 'NODE', 'DESIRED', 'CURRENT', 'ERROR', 'PORTS'];
  const table = [header, ...rows.map((r) => [r.task, r.node, r.desiredState, r.currentState, r.error, r.ports])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return (
    table
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** One line of `logs`, prefixed by the service's key. */
export interface SwarmLogLine extends LogChunk {
  readonly service: string;
}

/** `logs`: the output of every task of the chosen services (all by default), merged as it comes. */
export async function* logsSwarm(
  client: SwarmClient,
  project: string,
  options: {
    services?: readonly string[];
    follow?: boolean;
    tail?: number | 'all';
    timestamps?: boolean;
    /** Unix seconds. */
    since?: number;
    signal?: AbortSignal;
  } = {},
): AsyncIterable<SwarmLogLine> {
  const all = await client.listServices({ label: [`${SwarmLabel.namespace}=${project}`] }, options.signal);
  const chosen = servicesOf(all, project, options.services);
  const queue: SwarmLogLine[] = [];
  let wake: (() => void) | undefined;
  let open = chosen.length;
  let failure: unknown;
  for (const service of chosen) {
    const key = service.Spec.Name.slice(project.length + 1);
    void (async () => {
      try {
        for await (const chunk of client.serviceLogs(service.ID, {
          follow: options.follow === true,
          tail: options.tail ?? 'all',
          timestamps: options.timestamps === true,
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          queue.push({ ...chunk, service: key });
          wake?.();
        }
      } catch (error) {
        failure ??= error;
      } finally {
        open--;
        wake?.();
      }
    })();
  }
  while (open > 0 || queue.length > 0) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    while (queue.length > 0) yield queue.shift()!;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(displayValue(failure));
}

/** `ls`: the stacks on the swarm (made by stack or by `docker stack deploy`), with their service counts. */
export async function lsSwarm(
  client: SwarmClient,
  signal?: AbortSignal,
): Promise<{ name: string; services: number }[]> {
  const services = await client.listServices({ label: [SwarmLabel.namespace] }, signal);
  const counts = new Map<string, number>();
  for (const s of services) {
    const name = s.Spec.Labels?.[SwarmLabel.namespace];
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => byCodePoint(a, b)).map(([name, n]) => ({ name, services: n }));
}

/**
 * `config`: the service specs, networks, secrets and configs as they would be sent (no secret
 * data); with `services`, only the specs of those services.
 */
export function configSwarmView(desired: DesiredSwarm, services?: readonly string[]): Record<string, unknown> {
  const chosen = desired.services.filter((s) => !services || services.includes(s.key));
  return {
    services: Object.fromEntries(chosen.map((s) => [s.name, s.spec])),
    networks: Object.fromEntries(desired.networks.map((n) => [n.name, n.external ? { external: true } : n.body])),
    secrets: desired.secrets.map((s) => s.name),
    configs: desired.configs.map((c) => c.name),
  };
}

/** configSwarmView as JSON text. */
export function configSwarm(desired: DesiredSwarm): string {
  return `${JSON.stringify(configSwarmView(desired), null, 2)}\n`;
}

export { describeTask };
