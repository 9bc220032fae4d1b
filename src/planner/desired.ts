/**
 * Desired state: the StackModel turned into Engine API (v1.41) create bodies, one per network,
 * volume and container replica, each with its config hash. Pure data in, pure data out.
 */
import { COMPOSE_COMPAT_VERSION, Label } from '../labels.js';
import type { MountSpec, NetworkSpec, ServiceSpec, StackModel, VolumeSpec } from '../model.js';
import { stopGraceSeconds } from '../model.js';
import { fileCopies, filesDigest, isCopied } from './file-copies.js';
import type { FileCopy } from './file-copies.js';
import { containerHashPrefix, hashContainer, hashResource, hashWithImage, imageKey } from './hash.js';
import { imageRef } from './images.js';
import type { ContainerCreateBody, NetworkCreateBody, VolumeCreateBody } from './types.js';

/** A network or volume the model wants, with its create body and resource hash. */
export interface DesiredResource<B> {
  readonly key: string;
  /** Engine name. */
  readonly name: string;
  readonly external: boolean;
  /** Create body including `Name` and the `dev.stack.resource-hash` label. */
  readonly body: B;
  readonly hash: string;
}

/** One container replica the model wants. */
export interface DesiredContainer {
  readonly service: string;
  readonly number: number;
  /** Canonical engine name: `<project>-<service>-<n>` or `container_name`. */
  readonly name: string;
  readonly imageRef: string;
  /** Create body, labels included (both hash labels set to `hash`). */
  readonly body: ContainerCreateBody;
  /** Networks other than the first: engine name → EndpointConfig, connected after create. */
  readonly connect: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** `v1:` hash computed with `imageKey`. */
  readonly hash: string;
  /** The hashed text without the image key (hash.ts containerHashPrefix): rehashes with another key. */
  readonly hashPrefix: string;
  /** The resolved image ID, or `ref:<imageRef>` when the image was not observed. */
  readonly imageKey: string;
  /** Secrets/configs copied in after create (see file-copies.ts). */
  readonly files: readonly FileCopy[];
}

type Json = Record<string, unknown>;

/** Copies only entries that are set, so "nothing" is never written as an empty map or list. */
function compact(entries: Json): Json {
  // for-in over own literal keys, no entry arrays: this runs a dozen times per replica.
  const out: Json = {};
  for (const k in entries) {
    const v = entries[k];
    if (v === undefined) continue;
    if (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && isEmptyObject(v)) continue;
    out[k] = v;
  }
  return out;
}

function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

function sortedRecord<V>(record: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

/**
 * Results of desiredNetwork and desiredVolume by model and spec: a pure function's cache
 * (models are immutable), filled while the engine answers the observation (prepareDesired)
 * and by every plan of a watch session.
 */
const resourceMemo = new WeakMap<StackModel, WeakMap<NetworkSpec | VolumeSpec, DesiredResource<unknown>>>();

function memoResource<S extends NetworkSpec | VolumeSpec, B>(
  model: StackModel,
  spec: S,
  build: (model: StackModel, spec: S) => DesiredResource<B>,
): DesiredResource<B> {
  let bySpec = resourceMemo.get(model);
  if (!bySpec) resourceMemo.set(model, (bySpec = new WeakMap()));
  let found = bySpec.get(spec) as DesiredResource<B> | undefined;
  if (!found) bySpec.set(spec, (found = build(model, spec)));
  return found;
}

/** The network's create body and hash. */
export function desiredNetwork(model: StackModel, spec: NetworkSpec): DesiredResource<NetworkCreateBody> {
  return memoResource(model, spec, buildNetwork);
}

/** The volume's create body and hash. */
export function desiredVolume(model: StackModel, spec: VolumeSpec): DesiredResource<VolumeCreateBody> {
  return memoResource(model, spec, buildVolume);
}

function buildNetwork(model: StackModel, spec: NetworkSpec): DesiredResource<NetworkCreateBody> {
  const ipam = spec.ipam
    ? compact({
        Driver: spec.ipam.driver,
        Config: spec.ipam.config.map((c) =>
          compact({
            Subnet: c.subnet,
            IPRange: c.ipRange,
            Gateway: c.gateway,
            AuxiliaryAddresses: c.auxAddresses ? sortedRecord(c.auxAddresses) : undefined,
          }),
        ),
        Options: sortedRecord(spec.ipam.options),
      })
    : undefined;
  const labels = {
    ...spec.labels,
    [Label.project]: model.name,
    [Label.network]: spec.key,
    [Label.composeVersion]: COMPOSE_COMPAT_VERSION,
  };
  const body = compact({
    Name: spec.name,
    Driver: spec.driver,
    Options: sortedRecord(spec.driverOpts),
    IPAM: ipam,
    Internal: spec.internal || undefined,
    Attachable: spec.attachable || undefined,
    EnableIPv6: spec.enableIpv6 || undefined,
    Labels: sortedRecord(labels),
  });
  const hash = hashResource(body);
  return {
    key: spec.key,
    name: spec.name,
    external: spec.external,
    body: { ...body, Labels: sortedRecord({ ...labels, [Label.resourceHash]: hash }) },
    hash,
  };
}

function buildVolume(model: StackModel, spec: VolumeSpec): DesiredResource<VolumeCreateBody> {
  const labels = {
    ...spec.labels,
    [Label.project]: model.name,
    [Label.volume]: spec.key,
    [Label.composeVersion]: COMPOSE_COMPAT_VERSION,
  };
  const body = compact({
    Name: spec.name,
    Driver: spec.driver,
    DriverOpts: sortedRecord(spec.driverOpts),
    Labels: sortedRecord(labels),
  });
  const hash = hashResource(body);
  return {
    key: spec.key,
    name: spec.name,
    external: spec.external,
    body: { ...body, Labels: sortedRecord({ ...labels, [Label.resourceHash]: hash }) },
    hash,
  };
}

/** `<project>-<service>-<n>`, or `container_name` (the loader guarantees one replica then). */
export function containerName(project: string, service: ServiceSpec, number: number): string {
  return service.containerName ?? `${project}-${service.name}-${number}`;
}

/** The service's networks, highest `priority` first then by key (Compose's order): the first is attached at create. */
export function orderedNetworks(service: ServiceSpec): readonly string[] {
  return Object.keys(service.networks).sort((a, b) => {
    const pa = service.networks[a]!.priority ?? 0;
    const pb = service.networks[b]!.priority ?? 0;
    return pb - pa || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** `service:x` (for network_mode, pid, ipc) → `container:<x replica 1>`; other values as written. */
function resolveServiceMode(model: StackModel, mode: string | undefined): string | undefined {
  if (mode === undefined || !mode.startsWith('service:')) return mode;
  const target = model.services[mode.slice('service:'.length)];
  return target ? `container:${containerName(model.name, target, 1)}` : mode;
}

function engineMount(model: StackModel, m: MountSpec): Json {
  const base = { Type: m.type, Target: m.target, ReadOnly: m.readOnly || undefined, Consistency: m.consistency };
  if (m.type === 'volume') {
    const source = m.source === undefined ? undefined : (model.volumes[m.source]?.name ?? m.source);
    return compact({
      ...base,
      Source: source,
      VolumeOptions: m.volume
        ? compact({ NoCopy: m.volume.nocopy || undefined, Subpath: m.volume.subpath })
        : undefined,
    });
  }
  if (m.type === 'bind')
    return compact({
      ...base,
      Source: m.source,
      BindOptions: m.bind?.propagation ? { Propagation: m.bind.propagation } : undefined,
    });
  if (m.type === 'tmpfs')
    return compact({
      ...base,
      TmpfsOptions: m.tmpfs ? compact({ SizeBytes: m.tmpfs.size, Mode: m.tmpfs.mode }) : undefined,
    });
  return compact({ ...base, Source: m.source });
}

/**
 * Binds that may create their host path go to `Binds` (the Mounts API refuses a missing host
 * path; Compose does the same); everything else goes to `Mounts`.
 */
function mounts(model: StackModel, service: ServiceSpec): { Binds: string[]; Mounts: Json[] } {
  const binds: string[] = [];
  const list: Json[] = [];
  for (const m of service.volumes) {
    if (m.type === 'bind' && m.bind?.createHostPath && m.source !== undefined) {
      const opts = [m.readOnly ? 'ro' : undefined, m.bind.selinux, m.bind.propagation].filter((o) => o !== undefined);
      binds.push(`${m.source}:${m.target}${opts.length > 0 ? `:${opts.join(',')}` : ''}`);
    } else list.push(engineMount(model, m));
  }
  // secrets / configs with a `file:` source: read-only binds at their targets (as Compose does
  // without Swarm). The others are copied in after create (file-copies.ts).
  for (const [refs, defs] of [
    [service.secrets, model.secrets],
    [service.configs, model.configs],
  ] as const) {
    for (const r of refs) {
      const file = defs[r.source]?.file;
      if (file !== undefined && !isCopied(r, defs[r.source]))
        list.push({ Type: 'bind', Source: file, Target: r.target, ReadOnly: true });
    }
  }
  return { Binds: binds, Mounts: list };
}

function restartPolicy(restart: string | undefined): Json | undefined {
  if (restart === undefined) return undefined;
  const [name, count] = restart.split(':');
  return compact({ Name: name, MaximumRetryCount: count === undefined ? undefined : Number(count) });
}

function portsOf(service: ServiceSpec): { exposed: Json; bindings: Record<string, Json[]> } {
  const exposed: Json = {};
  const bindings: Record<string, Json[]> = {};
  for (const e of service.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    // A port in `ports:` without a host port is published on a random one (HostPort "").
    (bindings[key] ??= []).push(compact({ HostIp: p.hostIp, HostPort: p.published ?? '' }));
  }
  return { exposed: sortedRecord(exposed), bindings: sortedRecord(bindings) };
}

function healthcheck(service: ServiceSpec): Json | undefined {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  return compact({
    Test: h.test,
    Interval: h.interval,
    Timeout: h.timeout,
    Retries: h.retries,
    StartPeriod: h.startPeriod,
    StartInterval: h.startInterval,
  });
}

function endpoint(service: ServiceSpec, key: string, name: string, aliased = true): Json {
  const spec = service.networks[key]!;
  // Compose's aliases: the container name, the service name, then the user's aliases (a
  // one-off gets only its name unless --use-aliases).
  const aliases = aliased ? [...new Set([name, service.name, ...spec.aliases])] : [name];
  return compact({
    Aliases: aliases,
    IPAMConfig: compact({
      IPv4Address: spec.ipv4Address,
      IPv6Address: spec.ipv6Address,
      LinkLocalIPs: spec.linkLocalIps,
    }),
    MacAddress: spec.macAddress,
  });
}

/**
 * `links` as the endpoint's `Links` (`<container>:<alias>`): on a user-defined network the
 * engine makes each alias resolve, from this container only, to the linked service's replica 1.
 */
function withLinks(model: StackModel, service: ServiceSpec, endpointConfig: Json): Json {
  const links = (service.links ?? []).flatMap((l) => {
    const target = model.services[l.service];
    return target ? [`${containerName(model.name, target, 1)}:${l.alias}`] : [];
  });
  return links.length > 0 ? { ...endpointConfig, Links: [...new Set(links)].sort() } : endpointConfig;
}

/** Compose's depends_on label: `db:service_healthy:false,cache:service_started:true`. */
function dependsOnLabel(service: ServiceSpec): string | undefined {
  const parts = Object.keys(service.dependsOn)
    .sort()
    .map((dep) => `${dep}:${service.dependsOn[dep]!.condition}:${String(service.dependsOn[dep]!.restart)}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/**
 * Replicas by model, service spec and number, before the image is known (DesiredCore), and
 * their results by image ID. Models are immutable, so these are caches of pure functions:
 * `up` plans twice (the second time with the replaced containers inspected, for the reasons),
 * a watch session plans on every reload, and prepareDesired makes the cores while the
 * engine answers the observation. About 15 ms per plan of 50 services on a 2-core machine.
 */
const desiredMemo = new WeakMap<StackModel, WeakMap<ServiceSpec, Map<number, ReplicaMemo>>>();

interface ReplicaMemo {
  readonly core: DesiredCore;
  readonly byImage: Map<string, DesiredContainer>;
}

function replicaMemo(model: StackModel, service: ServiceSpec, number: number): ReplicaMemo {
  let bySpec = desiredMemo.get(model);
  if (!bySpec) desiredMemo.set(model, (bySpec = new WeakMap()));
  let byNumber = bySpec.get(service);
  if (!byNumber) bySpec.set(service, (byNumber = new Map<number, ReplicaMemo>()));
  let memo = byNumber.get(number);
  if (!memo) byNumber.set(number, (memo = { core: desiredCore(model, service, number), byImage: new Map() }));
  return memo;
}

/**
 * The create body of one replica plus the networks to connect afterwards, then its hash with
 * `imageId` (the resolved image ID, or undefined when the image was not observed).
 */
export function desiredContainer(
  model: StackModel,
  service: ServiceSpec,
  number: number,
  imageId: string | undefined,
): DesiredContainer {
  const { core, byImage } = replicaMemo(model, service, number);
  const key = imageId ?? '';
  let desired = byImage.get(key);
  if (!desired) byImage.set(key, (desired = withImage(core, imageId)));
  return desired;
}

/**
 * What a plan of `services` (`scale`: replicas by name, else the model's) needs before the
 * image is observed, as steps that each fill the memo of one network, volume or replica. The
 * engine's observation takes about as long as they do at a few hundred services, so `up`
 * runs them while waiting for it (src/pipeline/stack.ts); they return nothing.
 */
export function preparations(
  model: StackModel,
  services: Iterable<string>,
  scale: Readonly<Record<string, number>> = {},
): (() => void)[] {
  const steps: (() => void)[] = [];
  for (const spec of Object.values(model.networks)) steps.push(() => desiredNetwork(model, spec));
  for (const spec of Object.values(model.volumes)) steps.push(() => desiredVolume(model, spec));
  for (const name of services) {
    const spec = model.services[name];
    if (spec === undefined) continue;
    for (let number = 1; number <= (scale[name] ?? spec.replicas); number++)
      steps.push(() => replicaMemo(model, spec, number));
  }
  return steps;
}

/** What makes a `stack run` container a one-off: its name, Compose's one-off labels, its aliases. */
export interface OneOffIdentity {
  readonly name: string;
  /** Compose's `com.docker.compose.slug` (64 hex characters). */
  readonly slug: string;
  /** `--use-aliases`: the service name and its network aliases too, not only the container name. */
  readonly useAliases: boolean;
  /** `--rm`: the engine removes the container when it exits. */
  readonly autoRemove: boolean;
}

/**
 * The create body of a one-off container (`stack run`): the same derivation as a replica's
 * from `service` (which the caller has already overridden with the run's flags), under the
 * one-off's name and labels. No replica number: a one-off never holds a slot.
 */
export function desiredOneOffContainer(
  model: StackModel,
  service: ServiceSpec,
  imageId: string | undefined,
  identity: OneOffIdentity,
): DesiredContainer {
  return buildDesiredContainer(model, service, 1, imageId, identity);
}

function buildDesiredContainer(
  model: StackModel,
  service: ServiceSpec,
  number: number,
  imageId: string | undefined,
  oneOff?: OneOffIdentity,
): DesiredContainer {
  return withImage(desiredCore(model, service, number, oneOff), imageId);
}

/** A replica without its image: everything but the hash (see containerHashPrefix). */
interface DesiredCore {
  readonly service: string;
  readonly number: number;
  readonly name: string;
  readonly imageRef: string;
  /** The create body without the hash labels (`Labels` is set by withImage). */
  readonly unhashed: Json;
  readonly labels: Readonly<Record<string, string>>;
  readonly connect: DesiredContainer['connect'];
  readonly hashPrefix: string;
  readonly files: readonly FileCopy[];
}

function withImage(core: DesiredCore, imageId: string | undefined): DesiredContainer {
  const key = imageKey(imageId, core.imageRef);
  const hash = hashWithImage(core.hashPrefix, key);
  const body = {
    ...core.unhashed,
    Labels: sortedRecord({ ...core.labels, [Label.configHash]: hash, [Label.composeConfigHash]: hash }),
  };
  return {
    service: core.service,
    number: core.number,
    name: core.name,
    imageRef: core.imageRef,
    body,
    connect: core.connect,
    hash,
    hashPrefix: core.hashPrefix,
    imageKey: key,
    files: core.files,
  };
}

function desiredCore(model: StackModel, service: ServiceSpec, number: number, oneOff?: OneOffIdentity): DesiredCore {
  const name = oneOff?.name ?? containerName(model.name, service, number);
  const ref = imageRef(model.name, service);
  const r = service.resources;
  const { exposed, bindings } = portsOf(service);
  const networkKeys = service.networkMode === undefined ? orderedNetworks(service) : [];
  const engineNetwork = (key: string): string => model.networks[key]?.name ?? key;
  const first = networkKeys[0];
  const connect: Record<string, Json> = {};
  const aliased = oneOff === undefined || oneOff.useAliases;
  for (const key of networkKeys.slice(1)) connect[engineNetwork(key)] = endpoint(service, key, name, aliased);
  const { Binds, Mounts } = mounts(model, service);
  const files = fileCopies(model, service);
  const stackLabels: Record<string, string | undefined> = {
    [Label.project]: model.name,
    [Label.service]: service.name,
    [Label.containerNumber]: oneOff ? undefined : String(number),
    [Label.oneoff]: oneOff ? 'True' : 'False',
    [Label.slug]: oneOff?.slug,
    [Label.workingDir]: model.workingDir,
    [Label.configFiles]: model.configFiles.join(','),
    [Label.composeVersion]: COMPOSE_COMPAT_VERSION,
    [Label.dependsOn]: dependsOnLabel(service),
    // pre_start only when set, so the digest of a service without one is what it always was.
    [Label.filesHash]: filesDigest(model, files, [
      service.postStart,
      service.preStop,
      ...(service.preStart.length > 0 ? [service.preStart] : []),
    ]),
  };
  const labels = compact({ ...service.labels, ...stackLabels }) as Record<string, string>;
  const hostConfig = compact({
    AutoRemove: oneOff?.autoRemove || undefined,
    // API 1.43+ (Engine 24) applies them; an older engine ignores the field, as it does for Compose.
    Annotations: sortedRecord(service.annotations),
    Binds,
    Mounts,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(service.restart),
    NanoCpus: r.cpus === undefined ? undefined : Math.round(r.cpus * 1e9),
    CpuShares: r.cpuShares,
    CpuQuota: r.cpuQuota,
    CpuPeriod: r.cpuPeriod,
    CpusetCpus: r.cpuset,
    Memory: r.memLimit,
    MemoryReservation: r.memReservation,
    MemorySwap: r.memswapLimit,
    PidsLimit: r.pidsLimit,
    OomKillDisable: r.oomKillDisable,
    OomScoreAdj: r.oomScoreAdj,
    ShmSize: r.shmSize,
    CapAdd: service.capAdd,
    CapDrop: service.capDrop,
    Privileged: service.privileged || undefined,
    ExtraHosts: service.extraHosts,
    Dns: service.dns,
    DnsSearch: service.dnsSearch,
    DnsOptions: service.dnsOpt,
    Tmpfs: sortedRecord(
      Object.fromEntries(service.tmpfs.map((t) => [t.split(':')[0]!, t.split(':').slice(1).join(':')])),
    ),
    Ulimits: Object.keys(service.ulimits)
      .sort()
      .map((n) => ({ Name: n, Soft: service.ulimits[n]!.soft, Hard: service.ulimits[n]!.hard })),
    Sysctls: sortedRecord(service.sysctls),
    LogConfig: service.logging
      ? compact({ Type: service.logging.driver, Config: sortedRecord(service.logging.options) })
      : undefined,
    Init: service.init,
    ReadonlyRootfs: service.readOnly || undefined,
    NetworkMode: first === undefined ? resolveServiceMode(model, service.networkMode) : engineNetwork(first),
    Devices: service.devices.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    })),
    GroupAdd: service.groupAdd,
    SecurityOpt: service.securityOpt,
    VolumesFrom: (service.volumesFrom ?? []).map((v) => {
      const target = v.kind === 'service' ? model.services[v.name] : undefined;
      return `${target ? containerName(model.name, target, 1) : v.name}${v.readOnly ? ':ro' : ''}`;
    }),
    PidMode: resolveServiceMode(model, service.pid),
    IpcMode: resolveServiceMode(model, service.ipc),
  });
  const env = Object.keys(service.environment)
    .sort()
    .flatMap((k) => (service.environment[k] === null ? [] : [`${k}=${service.environment[k]}`]));
  const unhashed = compact({
    Image: ref,
    Cmd: service.command,
    Entrypoint: service.entrypoint,
    Env: env,
    Labels: sortedRecord(labels),
    User: service.user,
    WorkingDir: service.workingDir,
    Hostname: service.hostname,
    Domainname: service.domainname,
    MacAddress: service.macAddress,
    ExposedPorts: exposed,
    Healthcheck: healthcheck(service),
    StopSignal: service.stopSignal,
    // Rounded up: a sub-second grace period must not become 0 (killed at once).
    StopTimeout: stopGraceSeconds(service),
    Tty: service.tty,
    OpenStdin: service.stdinOpen,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    StdinOnce: false,
    HostConfig: hostConfig,
    NetworkingConfig:
      first === undefined
        ? undefined
        : {
            EndpointsConfig: {
              [engineNetwork(first)]: withLinks(model, service, endpoint(service, first, name, aliased)),
            },
          },
  });
  // `command: []` / `entrypoint: []` (or '') are not "unset": an explicit empty entrypoint
  // clears the image's (Compose spec), so they are sent as [] although compact drops empties.
  if (service.command?.length === 0) unhashed['Cmd'] = [];
  if (service.entrypoint?.length === 0) unhashed['Entrypoint'] = [];
  return {
    service: service.name,
    number,
    name,
    imageRef: ref,
    unhashed,
    labels,
    connect: sortedRecord(connect),
    hashPrefix: containerHashPrefix(unhashed, connect),
    files,
  };
}

/** The hash the same replica would have with a different image key (see classify: unresolved images). */
export function rehashContainer(desired: DesiredContainer, key: string, scheme?: 'former'): string {
  if (scheme === undefined) return hashWithImage(desired.hashPrefix, key);
  return hashContainer(desired.body, desired.connect, key, scheme);
}
