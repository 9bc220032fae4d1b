/**
 * `pre_start` hooks as Compose v2 runs them (docker/compose pkg/compose/pre_start.go): each hook
 * is an ephemeral container, run to completion before the service's containers start, once per
 * service when none of its replicas is running. Its body, derived here (pure):
 *
 * - the hook's image, else the service's; the hook's command, else the image's own (the
 *   service's entrypoint and command are not used);
 * - the service's environment with the hook's on top; the hook's user and working_dir (else the
 *   image's);
 * - `VolumesFrom` the first replica to start (so it sees the service's volumes, named and
 *   anonymous), the service's network mode and networks with the service's aliases but not the
 *   replica's name, address or MAC (the replica takes those when it starts);
 * - Compose's labels for it: project, service, version and `com.docker.compose.hook=pre_start`,
 *   so it is never mistaken for a replica and `down` removes one kept after a failure.
 */
import { COMPOSE_COMPAT_VERSION, Label } from '../labels.js';
import type { PreStartHookSpec, ServiceSpec, StackModel } from '../model.js';
import type { DesiredContainer } from './desired.js';
import type { ContainerCreateBody } from './types.js';

type Json = Record<string, unknown>;

/** The hook type Compose writes in `com.docker.compose.hook`. */
export const PRE_START_HOOK = 'pre_start';

/** One hook container to run: its create body and the networks connected after create. */
export interface PreStartContainer {
  readonly index: number;
  readonly image: string;
  readonly body: ContainerCreateBody;
  readonly connect: Readonly<Record<string, Readonly<Json>>>;
}

/** The replica's endpoint without what belongs to the replica alone (its name as alias, IP, MAC). */
function serviceEndpoint(endpoint: unknown, replicaName: string): Json {
  const { Aliases, IPAMConfig: _ipam, MacAddress: _mac, ...rest } = (endpoint ?? {}) as Json;
  const aliases = Array.isArray(Aliases) ? Aliases.filter((a) => a !== replicaName) : [];
  return aliases.length > 0 ? { ...rest, Aliases: aliases } : rest;
}

function environment(service: ServiceSpec, hook: PreStartHookSpec): string[] {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.environment)) if (v !== null) merged[k] = v;
  Object.assign(merged, hook.environment);
  return Object.keys(merged)
    .sort()
    .map((k) => `${k}=${merged[k]}`);
}

/**
 * The hook containers of `service`, in order. `donor` is the first replica to start and
 * `donorRef` how the engine finds it when the hooks run (its ID, or its canonical name once a
 * create or rename made it).
 */
export function preStartContainers(
  model: StackModel,
  service: ServiceSpec,
  donor: DesiredContainer,
  donorRef: string,
): PreStartContainer[] {
  const host = (donor.body['HostConfig'] ?? {}) as Json;
  const endpoints = ((donor.body['NetworkingConfig'] as Json | undefined)?.['EndpointsConfig'] ?? {}) as Json;
  const networking = Object.fromEntries(
    Object.entries(endpoints).map(([net, ep]) => [net, serviceEndpoint(ep, donor.name)]),
  );
  const connect = Object.fromEntries(
    Object.entries(donor.connect).map(([net, ep]) => [net, serviceEndpoint(ep, donor.name)]),
  );
  return service.preStart.map((hook, index) => {
    const image = hook.image ?? donor.imageRef;
    const body: Json = {
      Image: image,
      ...(hook.command !== undefined ? { Cmd: [...hook.command] } : {}),
      Env: environment(service, hook),
      ...(hook.user !== undefined ? { User: hook.user } : {}),
      ...(hook.workingDir !== undefined ? { WorkingDir: hook.workingDir } : {}),
      Labels: {
        [Label.project]: model.name,
        [Label.service]: service.name,
        [Label.composeVersion]: COMPOSE_COMPAT_VERSION,
        [Label.hook]: PRE_START_HOOK,
      },
      HostConfig: {
        ...(hook.privileged ? { Privileged: true } : {}),
        VolumesFrom: [donorRef],
        ...(host['NetworkMode'] !== undefined ? { NetworkMode: host['NetworkMode'] } : {}),
      },
      ...(Object.keys(networking).length > 0 ? { NetworkingConfig: { EndpointsConfig: networking } } : {}),
    };
    return { index, image, body, connect };
  });
}
