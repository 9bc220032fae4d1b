/**
 * The I/O edge of the swarm target on the way in: checks the engine is a manager, and reads
 * one snapshot of a stack (ObservedSwarm) by its namespace label.
 */
import { StackError, diagnostic } from '../../errors.js';
import { EngineCallError } from '../../engine/errors.js';
import type { EngineNetwork, SwarmEngine, SwarmService } from '../../engine/types.js';
import type { SwarmClient } from './client.js';
import { SwarmLabel } from './labels.js';
import type { ObservedService, ObservedSwarm } from './observed.js';

/**
 * The engine must be a swarm manager: only managers take service, secret and config calls.
 * Resolves to the number of nodes of the swarm (prepareSwarm needs it, so it is not asked twice).
 */
export async function requireManager(
  engine: SwarmEngine & { readonly endpoint: string },
  signal?: AbortSignal,
): Promise<number> {
  // GET /nodes answers only on a manager (503 elsewhere) and takes ~1 ms where /info gathers
  // the whole engine's state (10-50 ms on a busy 20.10): /info only to say what the engine is.
  try {
    return (await engine.listNodes(undefined, signal)).length;
  } catch (error) {
    if (!(error instanceof EngineCallError && error.statusCode === 503)) throw error;
  }
  const info = await engine.swarmInfo(signal);
  // A manager that answered 503 a moment ago (an election): ask again, through the retries.
  if (info.LocalNodeState === 'active' && info.ControlAvailable)
    return (await engine.listNodes(undefined, signal)).length;
  const worker = info.LocalNodeState === 'active';
  const message = worker
    ? `the Docker engine at ${engine.endpoint} is a swarm worker, not a manager`
    : `the Docker engine at ${engine.endpoint} is not part of a swarm (state: ${info.LocalNodeState || 'inactive'})`;
  const hint = worker
    ? 'point DOCKER_HOST (or --context) at a manager node; `docker node ls` on a manager lists them'
    : 'run `docker swarm init` to make this engine a one-node swarm, ' +
      'or `docker swarm join --token <token> <manager>:2377` to join one';
  throw new StackError('ENGINE_ERROR', message, {
    diagnostics: [diagnostic('ENGINE_ERROR', message, undefined, hint)],
  });
}

function toObservedService(service: SwarmService): ObservedService {
  const spec = service.Spec as {
    Labels?: Record<string, string> | null;
    TaskTemplate?: { ContainerSpec?: { Image?: string }; Networks?: readonly { Target?: string }[] | null };
    Mode?: { Replicated?: { Replicas?: number } };
  };
  const image = spec.TaskTemplate?.ContainerSpec?.Image;
  const replicas = spec.Mode?.Replicated?.Replicas;
  const mode = Object.keys(spec.Mode ?? {})[0];
  const networks = (spec.TaskTemplate?.Networks ?? []).flatMap((n) => (n.Target ? [n.Target] : []));
  return {
    id: service.ID,
    name: service.Spec.Name,
    version: service.Version.Index,
    labels: spec.Labels ?? {},
    ...(image !== undefined ? { image } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(networks.length > 0 ? { networks } : {}),
    ...(service.UpdateStatus?.State !== undefined ? { updateState: service.UpdateStatus.State } : {}),
    ...(service.ServiceStatus
      ? { runningTasks: service.ServiceStatus.RunningTasks, desiredTasks: service.ServiceStatus.DesiredTasks }
      : {}),
  };
}

/** Everything labelled with the stack's namespace, in four parallel reads. */
export async function observeSwarm(engine: SwarmClient, project: string, signal?: AbortSignal): Promise<ObservedSwarm> {
  const filters = { label: [`${SwarmLabel.namespace}=${project}`] };
  const [services, networks, secrets, configs] = await Promise.all([
    engine.listServices(filters, signal),
    engine.listNetworks(filters, signal),
    engine.listSecrets(filters, signal),
    engine.listConfigs(filters, signal),
  ]);
  const object = (o: { ID: string; Spec: { Name: string; Labels?: Readonly<Record<string, string>> | null } }) => ({
    id: o.ID,
    name: o.Spec.Name,
    labels: o.Spec.Labels ?? {},
  });
  // The manager lists the networks of the cluster (`Containers: null`) and then its own copies
  // of networks the cluster does not have: a removed overlay network stays in the list until
  // the manager's tasks on it have stopped. Such a copy is not a network of the stack (a
  // service cannot join it), only a name that is not free yet. A local-scoped network with the
  // label is the node's own, not the stack's.
  const nodeCopy = (n: EngineNetwork) => n.Containers !== null && n.Containers !== undefined;
  return {
    project,
    services: services.map(toObservedService),
    networks: networks.filter((n) => !nodeCopy(n)).map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} })),
    lingeringNetworks: networks.filter((n) => nodeCopy(n) && n.Scope === 'swarm').map((n) => n.Name),
    secrets: secrets.map(object),
    configs: configs.map(object),
  };
}
