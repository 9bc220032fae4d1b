/**
 * Starting, stopping and restarting existing containers (`stack start | stop | restart | kill |
 * pause | unpause`, and watch's `restart` action): nothing is created or removed. Services are
 * taken in dependency order, one service at a time, its replicas together; a failure is
 * collected and the other services still run. Scoped as Compose v2 scopes these verbs
 * (`lifecycleScope`).
 */
import { Label } from '../labels.js';
import type { DependsOnSpec, ServiceSpec, StackModel } from '../model.js';
import { DEFAULT_STOP_GRACE_SECONDS, stopGraceSeconds } from '../model.js';
import { buildGraph, reverseOrder, selectServices, topoOrder } from '../planner/graph.js';
import { replicaNames } from '../planner/wait-conditions.js';
import type { Engine, EngineContainer } from '../engine/types.js';
import { listProjectContainers, primaryName } from '../engine/observe.js';
import { hookSource, runHooks, runPreStart } from './container-extras.js';
import type { ContainerWatcher, WaitTarget } from './wait.js';
import { desiredContainer } from '../planner/desired.js';
import { preStartContainers } from '../planner/pre-start.js';

/** What to do with the containers. */
export type LifecycleVerb = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

/**
 * The containers each verb acts on, by engine state (all when absent): as Compose, kill and
 * pause take running containers and unpause paused ones; the others rely on the engine's 304.
 */
const ACTS_ON: Partial<Record<LifecycleVerb, readonly string[]>> = {
  kill: ['running', 'restarting'],
  pause: ['running'],
  unpause: ['paused'],
};

/** Verbs taken dependencies first, as Compose (the rest go dependents first). */
const DEPENDENCIES_FIRST: ReadonlySet<LifecycleVerb> = new Set(['start', 'unpause', 'restart']);

/** Options of `changeServiceStates`. */
export interface LifecycleOptions {
  /** Only these services (all when empty). */
  readonly services: readonly string[];
  /** Seconds a stop (or restart) waits before killing; the container's own when undefined. */
  readonly timeoutSeconds?: number;
  /** Checked between services: what has begun finishes, nothing new starts. */
  readonly signal?: AbortSignal;
  /** kill: the signal to send (the engine's SIGKILL when absent). */
  readonly killSignal?: string;
  /** Called after each container is done, with its name. */
  readonly onDone?: (container: string) => void;
  /** restart: only the named services, not their `restart: true` dependents (`--no-deps`). */
  readonly noDeps?: boolean;
  /**
   * Without named services, every container of the project, those of services the loaded files
   * do not define (orphans) too: Compose's `kill --remove-orphans`, which kills them (it does
   * not remove them).
   */
  readonly orphans?: boolean;
  /** start/restart: the longest wait for one dependency's condition (default 300 s). */
  readonly waitTimeoutMs?: number;
  /** A `required: false` dependency missing or failed: said, not fatal. */
  readonly onWarning?: (message: string) => void;
  /** Told before each stop (or restart) request leaves, with its grace in seconds (the project lock records it). */
  readonly beforeStop?: (graceSeconds: number) => void;
}

/** A container the verb failed on. */
export interface LifecycleFailure {
  readonly service: string;
  readonly container: string;
  readonly message: string;
}

/**
 * Services in the order to act on: dependencies first for start, unpause and restart (as
 * Compose), dependents first otherwise; the services of `scope` are included even without
 * containers (start reports them). Without a model (a project known only by name) there is no
 * graph: by name, reversed to stop.
 */
export function serviceOrder(
  target: StackModel | { project: string },
  containers: readonly EngineContainer[],
  verb: LifecycleVerb,
  scope?: readonly string[],
): string[] {
  const present = [
    ...new Set([...containers.map((c) => (c.Labels ?? {})[Label.service] ?? ''), ...(scope ?? [])]),
  ].sort();
  const forward = DEPENDENCIES_FIRST.has(verb);
  if (!('services' in target)) return forward ? present : present.reverse();
  const graph = buildGraph(target);
  const topo = topoOrder(graph);
  const order = forward ? (topo.ok ? [...topo.order] : graph.services) : [...reverseOrder(graph)];
  return [...order.filter((s) => present.includes(s)), ...present.filter((s) => !order.includes(s))];
}

/**
 * One container, one call: 304 (already in that state) is success in the client. A running
 * container's `pre_stop` hooks run before a stop, restart or kill, `post_start` hooks after a
 * start or restart (Compose: stop, restart and start do the same).
 */
async function act(
  engine: Engine,
  verb: LifecycleVerb,
  c: EngineContainer,
  spec: ServiceSpec | undefined,
  options: Pick<LifecycleOptions, 'timeoutSeconds' | 'killSignal' | 'beforeStop'>,
): Promise<void> {
  const service = spec?.name ?? '';
  const container = { id: c.Id, source: hookSource(c.Labels?.[Label.project] ?? '', primaryName(c.Names)) };
  if ((verb === 'stop' || verb === 'restart') && c.State === 'running' && spec && spec.preStop.length > 0)
    await runHooks(engine, container, service, 'pre_stop', spec.preStop);
  if ((verb === 'stop' || verb === 'restart') && c.State === 'running')
    options.beforeStop?.(options.timeoutSeconds ?? stopGraceSeconds(spec) ?? DEFAULT_STOP_GRACE_SECONDS);
  switch (verb) {
    case 'start':
      await engine.startContainer(c.Id);
      break;
    case 'stop':
      await engine.stopContainer(c.Id, options.timeoutSeconds);
      break;
    case 'restart':
      await engine.restartContainer(c.Id, options.timeoutSeconds);
      break;
    case 'kill':
      await engine.killContainer(c.Id, options.killSignal);
      break;
    case 'pause':
      await engine.pauseContainer(c.Id);
      break;
    case 'unpause':
      await engine.unpauseContainer(c.Id);
      break;
  }
  if ((verb === 'restart' || (verb === 'start' && c.State !== 'running')) && spec && spec.postStart.length > 0)
    await runHooks(engine, container, service, 'post_start', spec.postStart);
}

/**
 * The services a verb acts on, as Compose v2 scopes them. With a loaded model: the named
 * services, or every service of the loaded files (enabled by the profiles) when none is named,
 * so `-f one.yaml stop` leaves the services of the project's other files alone; `start` adds
 * the named services' dependencies; `restart` adds the services that depend on a named one
 * with `restart: true` (transitively), unless `noDeps`. A project known only by name: the named
 * services, or undefined (every container of the project).
 */
export function lifecycleScope(
  target: StackModel | { project: string },
  verb: LifecycleVerb,
  services: readonly string[],
  noDeps = false,
): readonly string[] | undefined {
  if (!('services' in target) || services.length === 0) return commandScope(target, services);
  if (verb === 'start') return [...selectServices(buildGraph(target), services)].sort();
  if (verb !== 'restart' || noDeps) return services;
  const scope = new Set(services);
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, spec] of Object.entries(target.services)) {
      if (scope.has(name)) continue;
      if (Object.entries(spec.dependsOn).some(([dep, how]) => how.restart && scope.has(dep))) {
        scope.add(name);
        grew = true;
      }
    }
  }
  return [...scope].sort();
}

/**
 * The services a command about existing containers reads or acts on (`logs`, `rm`, the
 * lifecycle verbs before their own additions), as Compose v2: the named ones; else, with a
 * loaded model, every service of the loaded files; else (a project known only by name)
 * undefined, every container of the project.
 */
export function commandScope(
  target: StackModel | { project: string },
  services: readonly string[],
): readonly string[] | undefined {
  if (services.length > 0) return services;
  return 'services' in target ? Object.keys(target.services).sort() : undefined;
}

/** The containers of `scope` (all when undefined) among the listed ones. */
export function inScope(
  containers: readonly EngineContainer[],
  scope: readonly string[] | undefined,
): EngineContainer[] {
  return scope === undefined
    ? [...containers]
    : containers.filter((c) => scope.includes((c.Labels ?? {})[Label.service] ?? ''));
}

/**
 * The depends_on conditions a service waits for before `start` or `restart` acts on it
 * (Compose's waitDependencies): its dependencies within the scope, `service_started` excepted
 * (the order already gives it); for restart only the `restart: true` ones.
 */
function conditionsOf(
  model: StackModel,
  service: string,
  verb: LifecycleVerb,
  scope: ReadonlySet<string>,
): [string, DependsOnSpec][] {
  return Object.entries(model.services[service]?.dependsOn ?? {}).filter(
    ([dep, how]) =>
      scope.has(dep) &&
      how.condition !== 'service_started' &&
      (verb === 'start' || (verb === 'restart' && how.restart)),
  );
}

/**
 * Starts, stops or restarts the project's existing containers (one-offs left alone but by kill), service
 * by service in dependency order, within `lifecycleScope`. Start and restart wait for each
 * service's depends_on conditions (healthy, completed successfully) before acting on it; a
 * service whose wait failed is not acted on, nor are the services after it that need it.
 * Resolves to the failures (empty when all went well).
 *
 *   list the project's containers ─▶ for each service in order:
 *     wait for its conditions ─▶ act on its replicas together ─▶ report each done / collect each failure
 */
export async function changeServiceStates(
  engine: Engine,
  target: StackModel | { project: string },
  verb: LifecycleVerb,
  options: LifecycleOptions,
): Promise<LifecycleFailure[]> {
  const project = 'services' in target ? target.name : target.project;
  const states = ACTS_ON[verb];
  const scope =
    options.orphans && options.services.length === 0
      ? undefined
      : lifecycleScope(target, verb, options.services, options.noDeps);
  // Compose's kill takes the services' one-off containers (`stack run`) too; the other verbs leave them.
  const all = await listProjectContainers(
    engine,
    project,
    { services: scope ?? [], oneoffs: verb === 'kill' },
    options.signal,
  );
  const listed = inScope(all, scope);
  const containers = listed.filter((c) => !states || states.includes(c.State));
  const failures: LifecycleFailure[] = [];
  const failed = new Set<string>();
  const waits = new DependencyWaits(engine, project, listed, options);
  try {
    for (const service of serviceOrder(target, containers, verb, scope)) {
      if (options.signal?.aborted) break;
      const spec = 'services' in target ? target.services[service] : undefined;
      const mine = containers.filter((c) => (c.Labels ?? {})[Label.service] === service);
      if ('services' in target && (verb === 'start' || verb === 'restart')) {
        let problem = await waits.before(target, service, verb, new Set(scope), failed);
        if (options.signal?.aborted) break;
        if (problem === undefined && verb === 'start' && mine.length === 0 && replicaNames(target, service).length > 0)
          problem = 'has no container to start (run `stack up` to create it)';
        if (problem !== undefined) {
          failed.add(service);
          failures.push({ service, container: '-', message: problem });
          continue;
        }
      }
      // Compose's start runs a service's pre_start hooks when none of its containers is running.
      if (verb === 'start' && 'services' in target && spec && spec.preStart.length > 0 && mine.length > 0)
        if (mine.every((c) => c.State !== 'running')) {
          try {
            await runServicePreStart(engine, target, spec, mine, options.signal);
          } catch (error) {
            failed.add(service);
            const message = error instanceof Error ? error.message : String(error);
            failures.push({ service, container: `${service} pre_start`, message });
            continue;
          }
        }
      await Promise.all(
        mine.map(async (c) => {
          const name = primaryName(c.Names) || c.Id;
          try {
            // No signal to the call itself: a stop already sent is let finish (Ctrl-C stops new ones).
            await act(engine, verb, c, spec, options);
            options.onDone?.(name);
          } catch (error) {
            failed.add(service);
            failures.push({
              service,
              container: name,
              message: error instanceof Error ? error.message : String(error),
            });
          }
        }),
      );
    }
  } finally {
    waits.close();
  }
  return failures;
}

/** The event-stream waits of one start/restart run: one watcher, opened at the first condition. */
class DependencyWaits {
  private watcher: ContainerWatcher | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly project: string,
    private readonly containers: readonly EngineContainer[],
    private readonly options: LifecycleOptions,
  ) {}

  /** Waits for `service`'s conditions; resolves to why it cannot be acted on, if so. */
  async before(
    model: StackModel,
    service: string,
    verb: LifecycleVerb,
    scope: ReadonlySet<string>,
    failed: ReadonlySet<string>,
  ): Promise<string | undefined> {
    const deps = [...(buildGraph(model).dependencies[service] ?? [])].filter((d) => scope.has(d));
    const broken = deps.find((d) => failed.has(d));
    if (broken !== undefined) return `not acted on: its dependency "${broken}" failed`;
    const targets: WaitTarget[] = [];
    for (const [dep, how] of conditionsOf(model, service, verb, scope)) {
      const names = this.containers
        .filter((c) => (c.Labels ?? {})[Label.service] === dep)
        .map((c) => primaryName(c.Names) || c.Id);
      if (names.length === 0) {
        if (how.required) return `is missing dependency "${dep}" (no container: run \`stack up\`)`;
        this.options.onWarning?.(`${service} is missing dependency ${dep}`);
      }
      for (const container of names)
        targets.push({ service: dep, container, condition: how.condition, required: how.required });
    }
    if (targets.length === 0) return undefined;
    const { ContainerWatcher } = await import('./wait.js');
    this.watcher ??= new ContainerWatcher(this.engine, this.project, this.options.signal);
    const watcher = this.watcher;
    try {
      await Promise.all(
        targets.map((t) =>
          watcher.waitFor(t, {
            timeoutMs: this.options.waitTimeoutMs ?? 300_000,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
            ...(this.options.onWarning ? { onWarning: this.options.onWarning } : {}),
          }),
        ),
      );
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  close(): void {
    this.watcher?.close();
  }
}

/** The service's pre_start hooks before a start, sharing the volumes of its lowest-numbered container. */
async function runServicePreStart(
  engine: Engine,
  model: StackModel,
  spec: ServiceSpec,
  containers: readonly EngineContainer[],
  signal?: AbortSignal,
): Promise<void> {
  const number = (c: EngineContainer): number => Number((c.Labels ?? {})[Label.containerNumber] ?? '0');
  const donor = [...containers].sort((a, b) => number(a) - number(b))[0]!;
  const desired = desiredContainer(model, spec, number(donor) || 1, undefined);
  for (const hook of preStartContainers(model, spec, desired, donor.Id)) {
    const name = `${spec.name} pre_start[${hook.index}]`;
    await runPreStart(
      engine,
      { name, service: spec.name, index: hook.index, body: hook.body, connect: hook.connect },
      {
        ...(signal ? { signal } : {}),
      },
    );
  }
}

/** Restarts the given containers together (watch's `restart` action), with a stop grace period in ns. */
export async function restartContainers(
  engine: Engine,
  ids: readonly string[],
  service: Pick<ServiceSpec, 'stopGracePeriod'> | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const seconds = stopGraceSeconds(service);
  await Promise.all(ids.map((id) => engine.restartContainer(id, seconds, signal)));
}
