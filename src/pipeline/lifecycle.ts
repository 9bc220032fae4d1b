/**
 * Starting, stopping and restarting existing containers (`stack start | stop | restart`, and
 * watch's `restart` action): nothing is created or removed. Services are taken in dependency
 * order, one service at a time, its replicas together; a failure is collected and the other
 * services still run.
 */
import { Label } from '../labels.js';
import type { ServiceSpec, StackModel } from '../model.js';
import { stopGraceSeconds } from '../model.js';
import { buildGraph, reverseOrder, topoOrder } from '../planner/graph.js';
import type { Engine, EngineContainer } from '../engine/types.js';
import { listProjectContainers, primaryName } from '../engine/observe.js';
import { hookSource, runHooks, runPreStart } from './container-extras.js';
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

/** Verbs taken dependencies first (the rest go dependents first). */
const DEPENDENCIES_FIRST: ReadonlySet<LifecycleVerb> = new Set(['start', 'unpause']);

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
}

/** A container the verb failed on. */
export interface LifecycleFailure {
  readonly service: string;
  readonly container: string;
  readonly message: string;
}

/**
 * Services in the order to act on: dependencies first for start, dependents first otherwise.
 * Without a model (a project known only by name) there is no graph: by name, reversed to stop.
 */
export function serviceOrder(
  target: StackModel | { project: string },
  containers: readonly EngineContainer[],
  verb: LifecycleVerb,
): string[] {
  const present = [...new Set(containers.map((c) => (c.Labels ?? {})[Label.service] ?? ''))].sort();
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
  options: Pick<LifecycleOptions, 'timeoutSeconds' | 'killSignal'>,
): Promise<void> {
  const service = spec?.name ?? '';
  const container = { id: c.Id, source: hookSource(c.Labels?.[Label.project] ?? '', primaryName(c.Names)) };
  if ((verb === 'stop' || verb === 'restart') && c.State === 'running' && spec && spec.preStop.length > 0)
    await runHooks(engine, container, service, 'pre_stop', spec.preStop);
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
 * Starts, stops or restarts the project's existing containers (one-offs left alone), service
 * by service in dependency order. Resolves to the failures (empty when all went well).
 *
 *   list the project's containers ─▶ for each service in order:
 *     act on its replicas together ─▶ report each done / collect each failure
 */
export async function changeServiceStates(
  engine: Engine,
  target: StackModel | { project: string },
  verb: LifecycleVerb,
  options: LifecycleOptions,
): Promise<LifecycleFailure[]> {
  const project = 'services' in target ? target.name : target.project;
  const states = ACTS_ON[verb];
  const containers = (
    await listProjectContainers(engine, project, { services: options.services }, options.signal)
  ).filter((c) => !states || states.includes(c.State));
  const failures: LifecycleFailure[] = [];
  for (const service of serviceOrder(target, containers, verb)) {
    if (options.signal?.aborted) break;
    const mine = containers.filter((c) => (c.Labels ?? {})[Label.service] === service);
    const spec = 'services' in target ? target.services[service] : undefined;
    // Compose's start runs a service's pre_start hooks when none of its containers is running.
    if (verb === 'start' && spec && spec.preStart.length > 0 && mine.length > 0)
      if (mine.every((c) => c.State !== 'running')) {
        try {
          await runServicePreStart(engine, target as StackModel, spec, mine, options.signal);
        } catch (error) {
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
          failures.push({ service, container: name, message: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
  }
  return failures;
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
