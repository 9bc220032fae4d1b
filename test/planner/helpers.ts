/**
 * Builders for planner tests: full ServiceSpec/NetworkSpec/VolumeSpec/StackModel values with
 * defaults, and literal observed containers carrying the labels the planner reads.
 */
import { Label } from '../../src/labels.js';
import type { BuildSpec, NetworkSpec, ServiceSpec, StackModel, VolumeSpec } from '../../src/model.js';
import { desiredContainer } from '../../src/planner/desired.js';
import type { ObservedContainer, ObservedImage, ObservedState } from '../../src/planner/types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A ServiceSpec with every required field defaulted; attached to the `default` network unless `networks` or `networkMode` is given. */
export function service(name: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  const base: Mutable<ServiceSpec> = {
    name,
    image: `${name}:latest`,
    environment: {},
    envFiles: [],
    labels: {},
    annotations: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    postStart: [],
    preStart: [],
    preStop: [],
    dependsOn: {},
    networks: overrides.networkMode === undefined ? { default: { aliases: [], linkLocalIps: [] } } : {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    ulimits: {},
    sysctls: {},
    capAdd: [],
    capDrop: [],
    devices: [],
    groupAdd: [],
    securityOpt: [],
    privileged: false,
    readOnly: false,
    tty: false,
    stdinOpen: false,
    replicas: 1,
    resources: {},
    secrets: [],
    configs: [],
    profiles: [],
    unsupported: [],
  };
  return { ...base, ...overrides };
}

/** A project network (`<project>_<key>`). */
/** A build section: a context and whatever `over` sets, the rest empty. */
export function buildSpec(context: string, over: Partial<BuildSpec> = {}): BuildSpec {
  return { context, args: {}, labels: {}, tags: [], extraHosts: [], cacheFrom: [], platforms: [], ...over };
}

export function network(project: string, key: string, overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    key,
    name: `${project}_${key}`,
    external: false,
    driverOpts: {},
    attachable: false,
    internal: false,
    enableIpv6: false,
    labels: {},
    ...overrides,
  };
}

/** A project volume (`<project>_<key>`). */
export function volume(project: string, key: string, overrides: Partial<VolumeSpec> = {}): VolumeSpec {
  return { key, name: `${project}_${key}`, external: false, driverOpts: {}, labels: {}, ...overrides };
}

/** A model from services; networks every service names are added with defaults unless given. */
export function model(
  name: string,
  services: readonly ServiceSpec[],
  extra: {
    networks?: readonly NetworkSpec[];
    volumes?: readonly VolumeSpec[];
    disabledServices?: readonly string[];
  } = {},
): StackModel {
  const networks: Record<string, NetworkSpec> = {};
  for (const n of extra.networks ?? []) networks[n.key] = n;
  for (const s of services) for (const key of Object.keys(s.networks)) networks[key] ??= network(name, key);
  const volumes: Record<string, VolumeSpec> = {};
  for (const v of extra.volumes ?? []) volumes[v.key] = v;
  return {
    name,
    workingDir: `/work/${name}`,
    configFiles: [`/work/${name}/stack.yaml`],
    sourceFiles: [`/work/${name}/stack.yaml`],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabledServices: extra.disabledServices ?? [],
    networks,
    volumes,
    secrets: {},
    configs: {},
    profiles: [],
    warnings: [],
    extensions: {},
  };
}

/** An empty observed state of a project. */
export function emptyObserved(project: string, images: readonly ObservedImage[] = []): ObservedState {
  return { project, containers: [], networks: [], volumes: [], images };
}

/** An image present locally, tagged `tag`. */
export function image(tag: string, id = `sha256:${tag.replace(/[^a-z0-9]/g, '')}`): ObservedImage {
  return { id, repoTags: [tag], repoDigests: [], created: 1 };
}

/** The config hash the planner wants for replica `n` of `serviceName` (image resolved from `observed`). */
export function wantedHash(m: StackModel, serviceName: string, n: number, imageId: string | undefined): string {
  return desiredContainer(m, m.services[serviceName]!, n, imageId).hash;
}

/** A literal observed container of project `project` with the ownership labels set. */
export function container(
  project: string,
  serviceName: string,
  n: number,
  overrides: Partial<ObservedContainer> & { hash?: string; extraLabels?: Record<string, string> } = {},
): ObservedContainer {
  const { hash, extraLabels, ...rest } = overrides;
  return {
    id: `${serviceName}${n}`.padEnd(64, '0'),
    name: `${project}-${serviceName}-${n}`,
    labels: {
      [Label.project]: project,
      [Label.service]: serviceName,
      [Label.containerNumber]: String(n),
      [Label.oneoff]: 'False',
      ...(hash ? { [Label.configHash]: hash } : {}),
      ...extraLabels,
    },
    state: 'running',
    image: `${serviceName}:latest`,
    imageId: `sha256:${serviceName}latest`,
    networks: {},
    mounts: [],
    created: 100,
    ...rest,
  };
}
