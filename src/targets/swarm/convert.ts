/**
 * StackModel → the desired Swarm state, as `docker stack deploy` converts a Compose file
 * (docker/cli cli/compose/convert): services `<project>_<key>` with the namespace label on
 * the service and its containers, each service attached to its networks with its key as an
 * alias, networks overlay by default, named volumes `<project>_<key>` created on each node
 * with the namespace label. Differences, on purpose: secrets and configs are named by their
 * content hash (Swarm cannot change their data), images are pinned by digest when the
 * registry knows them, and our hash labels go on the service spec. Pure.
 */
import type { MountSpec, ServiceSpec, StackModel } from '../../model.js';
import { byCodePoint } from '../../order.js';
import type { SwarmDeploy, UpdateConfig } from './deploy.js';
import { contentHash, hashNetworkBody, hashServiceSpec, shortHash } from './hash.js';
import { SwarmLabel } from './labels.js';
import type { DesiredFileObject, DesiredNetwork, DesiredService, DesiredSwarm, ServiceSpecBody } from './spec.js';

/** Inputs of convertStack besides the model: everything read from files or the engine beforehand. */
export interface ConvertInputs {
  /** The Swarm keys of each service (readSwarmDeploy of the raw service). */
  readonly deploys: Readonly<Record<string, SwarmDeploy>>;
  /** Content of each non-external secret and config, by `secret:<key>` / `config:<key>`. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The image each service runs, pinned (`ref@sha256:…`) where the registry was asked; else as written. */
  readonly images: Readonly<Record<string, string>>;
  /**
   * `--with-registry-auth`: the registry whose credentials go with each service's create or
   * update, by service key. Named in a label (never the credentials), so that turning the flag
   * on changes the spec and the next `up` sends them.
   */
  readonly authRegistries?: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

/** Drops undefined members, so optional fields are absent rather than `undefined`. */
function defined(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function nonEmpty<T>(items: readonly T[]): readonly T[] | undefined {
  return items.length > 0 ? items : undefined;
}

function nonEmptyMap(map: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | undefined {
  return Object.keys(map).length > 0 ? map : undefined;
}

function convertUpdateConfig(config: UpdateConfig | undefined): Json | undefined {
  if (!config) return undefined;
  return defined({
    Parallelism: config.parallelism ?? 1,
    Delay: config.delay,
    FailureAction: config.failureAction,
    Monitor: config.monitor,
    MaxFailureRatio: config.maxFailureRatio,
    Order: config.order,
  });
}

/** `restart:` of the container target as a Swarm restart policy, as docker stack deploy does. */
function restartPolicy(service: ServiceSpec, deploy: SwarmDeploy): Json | undefined {
  if (deploy.restartPolicy) {
    const p = deploy.restartPolicy;
    return defined({ Condition: p.condition, Delay: p.delay, MaxAttempts: p.maxAttempts, Window: p.window });
  }
  const restart = service.restart;
  if (restart === undefined) return undefined;
  if (restart === 'no') return { Condition: 'none' };
  if (restart === 'always' || restart === 'unless-stopped') return { Condition: 'any' };
  const match = /^on-failure(?::(\d+))?$/.exec(restart);
  if (match)
    return defined({ Condition: 'on-failure', MaxAttempts: match[1] === undefined ? undefined : Number(match[1]) });
  return undefined;
}

function convertMount(mount: MountSpec, model: StackModel): Json {
  const base = { Target: mount.target, ReadOnly: mount.readOnly || undefined };
  switch (mount.type) {
    case 'volume': {
      const volume = mount.source === undefined ? undefined : model.volumes[mount.source];
      const driver = volume?.driver
        ? defined({ Name: volume.driver, Options: nonEmptyMap(volume.driverOpts) })
        : undefined;
      const labels = volume && !volume.external ? { ...volume.labels, [SwarmLabel.namespace]: model.name } : undefined;
      return defined({
        Type: 'volume',
        Source: volume?.name ?? mount.source,
        ...base,
        VolumeOptions:
          labels || driver || mount.volume?.nocopy
            ? defined({ Labels: labels, DriverConfig: driver, NoCopy: mount.volume?.nocopy || undefined })
            : undefined,
      });
    }
    case 'bind':
      return defined({
        Type: 'bind',
        Source: mount.source,
        ...base,
        BindOptions: mount.bind?.propagation ? { Propagation: mount.bind.propagation } : undefined,
      });
    case 'tmpfs':
      return defined({
        Type: 'tmpfs',
        ...base,
        TmpfsOptions: mount.tmpfs ? defined({ SizeBytes: mount.tmpfs.size, Mode: mount.tmpfs.mode }) : undefined,
      });
    default:
      return defined({ Type: mount.type, Source: mount.source, ...base });
  }
}

/** `tmpfs: ["/run:size=64m"]` entries as tmpfs mounts. */
function tmpfsMounts(entries: readonly string[]): Json[] {
  return entries.map((entry) => {
    const [target = entry, options = ''] = entry.split(/:(.*)/s);
    const size = /(?:^|,)size=(\d+)([kmg]?)/i.exec(options);
    const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
      (size?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'
    ];
    return defined({
      Type: 'tmpfs',
      Target: target,
      TmpfsOptions: size ? { SizeBytes: Number(size[1]) * unit } : undefined,
    });
  });
}

function healthcheck(service: ServiceSpec): Json | undefined {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  return defined({
    Test: h.test,
    Interval: h.interval,
    Timeout: h.timeout,
    Retries: h.retries,
    StartPeriod: h.startPeriod,
  });
}

function fileReference(
  kind: 'secret' | 'config',
  ref: ServiceSpec['secrets'][number],
  object: DesiredFileObject,
): Json {
  // Swarm puts a relative secret name under /run/secrets, like Compose's default target.
  const target =
    kind === 'secret' && ref.target.startsWith('/run/secrets/') ? ref.target.slice('/run/secrets/'.length) : ref.target;
  const file = { Name: target, UID: ref.uid ?? '0', GID: ref.gid ?? '0', Mode: ref.mode ?? 0o444 };
  return kind === 'secret' ? { File: file, SecretName: object.name } : { File: file, ConfigName: object.name };
}

function mode(deploy: SwarmDeploy, replicas: number): Json {
  switch (deploy.mode) {
    case 'global':
      return { Global: {} };
    case 'global-job':
      return { GlobalJob: {} };
    case 'replicated-job':
      // As docker stack deploy: up to all completions at once.
      return { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } };
    default:
      return { Replicated: { Replicas: replicas } };
  }
}

/**
 * The field groups of a spec: one short hash each goes in the field-hashes label, and a plan
 * names the groups whose hash changed (reason codes, stable, snake_case).
 */
export function specFieldGroups(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const task = (spec['TaskTemplate'] ?? {}) as Json;
  const container = (task['ContainerSpec'] ?? {}) as Json;
  const { Image, Command, Args, Env, Labels, Mounts, Secrets, Configs, Healthcheck, ...rest } = container;
  const serviceLabels = { ...((spec['Labels'] ?? {}) as Record<string, string>) };
  delete serviceLabels[SwarmLabel.configHash];
  delete serviceLabels[SwarmLabel.fieldHashes];
  return {
    image: Image,
    command: { Command, Args },
    environment: Env,
    labels: { service: serviceLabels, container: Labels },
    mounts: Mounts,
    secrets: Secrets,
    configs: Configs,
    healthcheck: Healthcheck,
    container: rest,
    networks: task['Networks'],
    resources: task['Resources'],
    placement: task['Placement'],
    restart_policy: task['RestartPolicy'],
    logging: task['LogDriver'],
    mode: spec['Mode'],
    update_config: spec['UpdateConfig'],
    rollback_config: spec['RollbackConfig'],
    endpoint: spec['EndpointSpec'],
  };
}

/** The short hash of each field group. */
export function hashFieldGroups(spec: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(specFieldGroups(spec)).map(([group, value]) => [group, shortHash(value ?? null)]),
  );
}

function convertService(
  key: string,
  model: StackModel,
  inputs: ConvertInputs,
  objects: ReadonlyMap<string, DesiredFileObject>,
): DesiredService {
  const service = model.services[key]!;
  const deploy = inputs.deploys[key] ?? { mode: 'replicated', labels: {}, constraints: [], preferences: [] };
  const namespace = { [SwarmLabel.namespace]: model.name };
  const env = Object.entries(service.environment)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .sort(byCodePoint);
  const networks = Object.entries(service.networks)
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([netKey, attach]) => ({
      Target: model.networks[netKey]?.name ?? `${model.name}_${netKey}`,
      Aliases: [key, ...attach.aliases],
    }));
  const limits = defined({
    NanoCPUs: service.resources.cpus === undefined ? undefined : Math.round(service.resources.cpus * 1e9),
    MemoryBytes: service.resources.memLimit,
    Pids: service.resources.pidsLimit,
  });
  const reservations = defined({
    NanoCPUs: deploy.reservationCpus === undefined ? undefined : Math.round(deploy.reservationCpus * 1e9),
    MemoryBytes: service.resources.memReservation,
  });
  const ports = service.ports
    .filter((p) => p.published === undefined || /^\d+$/.test(p.published))
    .map((p) =>
      defined({
        Protocol: p.protocol,
        TargetPort: p.target,
        PublishedPort: p.published === undefined ? undefined : Number(p.published),
        PublishMode: p.mode,
      }),
    );
  const container = defined({
    Image: inputs.images[key] ?? service.image,
    Labels: { ...service.labels, ...namespace },
    Command: service.entrypoint,
    Args: service.command,
    Hostname: service.hostname,
    Env: nonEmpty(env),
    Dir: service.workingDir,
    User: service.user,
    Groups: nonEmpty(service.groupAdd),
    Mounts: nonEmpty([...service.volumes.map((m) => convertMount(m, model)), ...tmpfsMounts(service.tmpfs)]),
    StopGracePeriod: service.stopGracePeriod,
    StopSignal: service.stopSignal,
    TTY: service.tty || undefined,
    ReadOnly: service.readOnly || undefined,
    Healthcheck: healthcheck(service),
    Hosts: nonEmpty(
      service.extraHosts.map((entry) => {
        const [host = '', ip = ''] = entry.split(/[:=](.*)/s);
        return `${ip} ${host}`;
      }),
    ),
    DNSConfig:
      service.dns.length + service.dnsSearch.length + service.dnsOpt.length > 0
        ? defined({
            Nameservers: nonEmpty(service.dns),
            Search: nonEmpty(service.dnsSearch),
            Options: nonEmpty(service.dnsOpt),
          })
        : undefined,
    Secrets: nonEmpty(service.secrets.map((ref) => fileReference('secret', ref, objects.get(`secret:${ref.source}`)!))),
    Configs: nonEmpty(service.configs.map((ref) => fileReference('config', ref, objects.get(`config:${ref.source}`)!))),
    Init: service.init,
    Sysctls: nonEmptyMap(service.sysctls),
    CapabilityAdd: nonEmpty(service.capAdd),
    CapabilityDrop: nonEmpty(service.capDrop),
    Ulimits: nonEmpty(
      Object.entries(service.ulimits)
        .sort(([a], [b]) => byCodePoint(a, b))
        .map(([name, u]) => ({ Name: name, Soft: u.soft, Hard: u.hard })),
    ),
  });
  const task = defined({
    ContainerSpec: container,
    Resources:
      Object.keys(limits).length + Object.keys(reservations).length > 0
        ? defined({ Limits: nonEmptyMap(limits), Reservations: nonEmptyMap(reservations) })
        : undefined,
    RestartPolicy: restartPolicy(service, deploy),
    Placement:
      deploy.constraints.length + deploy.preferences.length > 0 || deploy.maxReplicasPerNode !== undefined
        ? defined({
            Constraints: nonEmpty(deploy.constraints),
            Preferences: nonEmpty(deploy.preferences.map((s) => ({ Spread: { SpreadDescriptor: s } }))),
            MaxReplicas: deploy.maxReplicasPerNode,
          })
        : undefined,
    Networks: nonEmpty(networks),
    LogDriver: service.logging?.driver
      ? defined({ Name: service.logging.driver, Options: nonEmptyMap(service.logging.options) })
      : undefined,
  });
  const written = service.image;
  const body: Json = defined({
    Name: `${model.name}_${key}`,
    Labels: {
      ...deploy.labels,
      ...namespace,
      ...(written !== undefined && inputs.images[key] !== written ? { [SwarmLabel.image]: written } : {}),
      ...(inputs.authRegistries?.[key] !== undefined ? { [SwarmLabel.registryAuth]: inputs.authRegistries[key] } : {}),
    },
    TaskTemplate: task,
    Mode: mode(deploy, service.replicas),
    UpdateConfig: convertUpdateConfig(deploy.updateConfig),
    RollbackConfig: convertUpdateConfig(deploy.rollbackConfig),
    EndpointSpec:
      deploy.endpointMode !== undefined || ports.length > 0
        ? defined({ Mode: deploy.endpointMode, Ports: nonEmpty(ports) })
        : undefined,
  });
  const hash = hashServiceSpec(body);
  const name = `${model.name}_${key}`;
  // The field hashes (one sha256 per group) and the spec that carries them are made on first
  // read: a plan reads them only for the services it creates or updates.
  let fieldHashes: Record<string, string> | undefined;
  let spec: ServiceSpecBody | undefined;
  const groups = (): Record<string, string> => (fieldHashes ??= hashFieldGroups(body));
  const image = container['Image'];
  return {
    key,
    name,
    get spec(): ServiceSpecBody {
      return (spec ??= {
        ...body,
        Name: name,
        Labels: {
          ...(body['Labels'] as Record<string, string>),
          [SwarmLabel.configHash]: hash,
          [SwarmLabel.fieldHashes]: JSON.stringify(groups()),
        },
      });
    },
    hash,
    get fieldHashes(): Record<string, string> {
      return groups();
    },
    mode: Object.keys(body['Mode'] as Json)[0]!,
    ...(typeof image === 'string' ? { image } : {}),
    dependsOn: Object.keys(service.dependsOn)
      .filter((d) => d in model.services)
      .sort(byCodePoint),
    ...(deploy.mode === 'replicated' ? { replicas: service.replicas } : {}),
    job: deploy.mode.endsWith('-job'),
    hasHealthcheck: service.healthcheck !== undefined && !service.healthcheck.disable,
  };
}

function convertFileObjects(
  kind: 'secret' | 'config',
  model: StackModel,
  files: ReadonlyMap<string, Uint8Array>,
): DesiredFileObject[] {
  const specs = kind === 'secret' ? model.secrets : model.configs;
  const used = new Set(
    Object.values(model.services).flatMap((s) => (kind === 'secret' ? s.secrets : s.configs).map((r) => r.source)),
  );
  return Object.keys(specs)
    .filter((key) => used.has(key))
    .sort(byCodePoint)
    .map((key) => {
      const spec = specs[key]!;
      if (spec.external) return { kind, key, name: spec.name, external: true, labels: {} };
      const data = files.get(`${kind}:${key}`) ?? new Uint8Array();
      return {
        kind,
        key,
        name: `${spec.name}_${contentHash(data)}`,
        external: false,
        data: Buffer.from(data).toString('base64'),
        labels: { [SwarmLabel.namespace]: model.name, [SwarmLabel.fileKey]: key },
      };
    });
}

function convertNetworks(model: StackModel): DesiredNetwork[] {
  const used = new Set(Object.values(model.services).flatMap((s) => Object.keys(s.networks)));
  return Object.keys(model.networks)
    .filter((key) => used.has(key))
    .sort(byCodePoint)
    .map((key) => {
      const net = model.networks[key]!;
      const body = defined({
        Driver: net.driver ?? 'overlay',
        Options: nonEmptyMap(net.driverOpts),
        Attachable: net.attachable || undefined,
        Internal: net.internal || undefined,
        EnableIPv6: net.enableIpv6 || undefined,
        IPAM: net.ipam
          ? defined({
              Driver: net.ipam.driver,
              Config: net.ipam.config.map((c) => defined({ Subnet: c.subnet, IPRange: c.ipRange, Gateway: c.gateway })),
              Options: nonEmptyMap(net.ipam.options),
            })
          : undefined,
        Labels: { ...net.labels, [SwarmLabel.namespace]: model.name },
      });
      const { hash, fieldHashes } = hashNetworkBody(body);
      const labels = {
        ...(body['Labels'] as Record<string, string>),
        [SwarmLabel.resourceHash]: hash,
        [SwarmLabel.fieldHashes]: JSON.stringify(fieldHashes),
      };
      return { key, name: net.name, external: net.external, body: { ...body, Labels: labels }, hash, fieldHashes };
    });
}

/** The desired Swarm state of a stack. */
export function convertStack(model: StackModel, inputs: ConvertInputs): DesiredSwarm {
  const secrets = convertFileObjects('secret', model, inputs.files);
  const configs = convertFileObjects('config', model, inputs.files);
  const objects = new Map<string, DesiredFileObject>([...secrets, ...configs].map((o) => [`${o.kind}:${o.key}`, o]));
  return {
    project: model.name,
    services: Object.keys(model.services)
      .sort(byCodePoint)
      .map((key) => convertService(key, model, inputs, objects)),
    networks: convertNetworks(model),
    secrets,
    configs,
  };
}
