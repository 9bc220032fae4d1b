/**
 * The model back in Compose-spec long syntax (snake_case keys, durations as `1m30s`, sizes
 * in bytes) for `stack config`, with keys sorted so the output is stable.
 */
import type {
  BuildSpec,
  HealthcheckSpec,
  HookSpec,
  PreStartHookSpec,
  MountSpec,
  NetworkSpec,
  PortSpec,
  ResourcesSpec,
  SecretSpec,
  ServiceFileRef,
  ServiceSpec,
  StackModel,
  VolumeSpec,
  WatchRule,
} from '../model.js';
import { formatDuration } from './normalize/units.js';

type Json = Record<string, unknown>;

function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Drops undefined values and empty lists/maps (except keys in `keep`), sorts the keys. */
function clean(object: Json, keep: readonly string[] = []): Json {
  // Filtered before sorting: a service's literal has ~80 keys, most of them unset.
  const present = Object.keys(object).filter((key) => {
    const value = object[key];
    return value !== undefined && (!isEmpty(value) || keep.includes(key));
  });
  const out: Json = {};
  for (const key of present.sort()) out[key] = object[key];
  return out;
}

function sorted<T>(record: Readonly<Record<string, T>>, each: (value: T, key: string) => unknown): Json {
  const out: Json = {};
  for (const key of Object.keys(record).sort()) out[key] = each(record[key]!, key);
  return out;
}

const duration = (ns: number | undefined): string | undefined => (ns === undefined ? undefined : formatDuration(ns));

function port(p: PortSpec): Json {
  return clean({
    mode: p.mode,
    target: p.target,
    published: p.published,
    host_ip: p.hostIp,
    protocol: p.protocol,
    name: p.name,
    app_protocol: p.appProtocol,
  });
}

function mount(m: MountSpec): Json {
  return clean({
    type: m.type,
    source: m.source,
    target: m.target,
    read_only: m.readOnly || undefined,
    consistency: m.consistency,
    bind: m.bind
      ? clean({
          create_host_path: m.bind.createHostPath || undefined,
          propagation: m.bind.propagation,
          selinux: m.bind.selinux,
        })
      : undefined,
    volume: m.volume ? clean({ nocopy: m.volume.nocopy || undefined, subpath: m.volume.subpath }) : undefined,
    tmpfs: m.tmpfs ? clean({ size: m.tmpfs.size, mode: m.tmpfs.mode }) : undefined,
  });
}

function build(b: BuildSpec): Json {
  return clean({
    context: b.context,
    dockerfile: b.dockerfile ?? (b.dockerfileInline === undefined ? 'Dockerfile' : undefined),
    dockerfile_inline: b.dockerfileInline,
    args: sorted(b.args, (v) => v),
    target: b.target,
    labels: sorted(b.labels, (v) => v),
    tags: b.tags,
    network: b.network,
    extra_hosts: b.extraHosts,
    shm_size: b.shmSize,
    cache_from: b.cacheFrom,
    no_cache: b.noCache,
    pull: b.pull,
    platforms: b.platforms,
  });
}

function healthcheck(h: HealthcheckSpec): Json {
  return clean({
    test: h.test,
    interval: duration(h.interval),
    timeout: duration(h.timeout),
    retries: h.retries,
    start_period: duration(h.startPeriod),
    start_interval: duration(h.startInterval),
    disable: h.disable || undefined,
  });
}

function fileRef(r: ServiceFileRef): Json {
  return clean({ source: r.source, target: r.target, uid: r.uid, gid: r.gid, mode: r.mode });
}

function hook(h: HookSpec): Json {
  return clean({
    command: h.command,
    user: h.user,
    privileged: h.privileged || undefined,
    working_dir: h.workingDir,
    environment: sorted(h.environment, (v) => v),
  });
}

/** A `pre_start` hook; without its own image it shows the service's, as compose-go normalizes it. */
function preStartHook(h: PreStartHookSpec, serviceImage: string | undefined): Json {
  return clean({
    command: h.command,
    image: h.image ?? serviceImage,
    user: h.user,
    privileged: h.privileged || undefined,
    working_dir: h.workingDir,
    environment: sorted(h.environment, (v) => v),
    per_replica: h.perReplica || undefined,
  });
}

function watchRule(w: WatchRule): Json {
  return clean({
    action: w.action,
    path: w.path,
    target: w.target,
    include: w.include,
    ignore: w.ignore,
    initial_sync: w.initialSync || undefined,
    exec: w.exec
      ? clean({
          command: w.exec.command,
          user: w.exec.user,
          privileged: w.exec.privileged,
          working_dir: w.exec.workingDir,
          environment: sorted(w.exec.environment, (v) => v),
        })
      : undefined,
  });
}

function resources(r: ResourcesSpec): Json {
  return {
    cpus: r.cpus,
    cpu_shares: r.cpuShares,
    cpu_quota: r.cpuQuota,
    cpu_period: r.cpuPeriod,
    cpuset: r.cpuset,
    mem_limit: r.memLimit,
    mem_reservation: r.memReservation,
    memswap_limit: r.memswapLimit,
    pids_limit: r.pidsLimit,
    oom_kill_disable: r.oomKillDisable,
    oom_score_adj: r.oomScoreAdj,
    shm_size: r.shmSize,
  };
}

function service(s: ServiceSpec): Json {
  return clean(
    {
      image: s.image,
      // As Compose prints it: only when written, `true` too.
      attach: s.attach,
      build: s.build ? build(s.build) : undefined,
      pull_policy: s.pullPolicy,
      command: s.command,
      entrypoint: s.entrypoint,
      environment: sorted(s.environment, (v) => v),
      env_file: s.envFiles.map((f) => ({ path: f.path, required: f.required })),
      labels: sorted(s.labels, (v) => v),
      annotations: sorted(s.annotations, (v) => v),
      ports: s.ports.map(port),
      expose: s.expose,
      volumes: s.volumes.map(mount),
      tmpfs: s.tmpfs,
      depends_on: sorted(s.dependsOn, (d) => ({ condition: d.condition, required: d.required, restart: d.restart })),
      healthcheck: s.healthcheck ? healthcheck(s.healthcheck) : undefined,
      // Compose prints a network without settings as null.
      networks: sorted(s.networks, (n) => {
        const body = clean({
          aliases: n.aliases,
          ipv4_address: n.ipv4Address,
          ipv6_address: n.ipv6Address,
          priority: n.priority,
          mac_address: n.macAddress,
          link_local_ips: n.linkLocalIps,
        });
        return isEmpty(body) ? null : body;
      }),
      network_mode: s.networkMode,
      volumes_from: s.volumesFrom?.map(
        (v) => `${v.kind === 'container' ? 'container:' : ''}${v.name}${v.readOnly ? ':ro' : ''}`,
      ),
      links: s.links?.map((l) => (l.alias === l.service ? l.service : `${l.service}:${l.alias}`)),
      extra_hosts: s.extraHosts,
      dns: s.dns,
      dns_search: s.dnsSearch,
      dns_opt: s.dnsOpt,
      ulimits: sorted(s.ulimits, (u) => ({ soft: u.soft, hard: u.hard })),
      sysctls: sorted(s.sysctls, (v) => v),
      cap_add: s.capAdd,
      cap_drop: s.capDrop,
      devices: s.devices.map((d) => ({ source: d.source, target: d.target, permissions: d.permissions })),
      group_add: s.groupAdd,
      security_opt: s.securityOpt,
      privileged: s.privileged || undefined,
      init: s.init,
      read_only: s.readOnly || undefined,
      tty: s.tty || undefined,
      stdin_open: s.stdinOpen || undefined,
      user: s.user,
      working_dir: s.workingDir,
      hostname: s.hostname,
      domainname: s.domainname,
      mac_address: s.macAddress,
      pid: s.pid,
      ipc: s.ipc,
      platform: s.platform,
      stop_signal: s.stopSignal,
      stop_grace_period: duration(s.stopGracePeriod),
      restart: s.restart,
      container_name: s.containerName,
      scale: s.replicas === 1 ? undefined : s.replicas,
      logging: s.logging
        ? clean({ driver: s.logging.driver, options: sorted(s.logging.options, (v) => v) })
        : undefined,
      ...resources(s.resources),
      secrets: s.secrets.map(fileRef),
      configs: s.configs.map(fileRef),
      provider: s.provider === undefined ? undefined : { type: s.provider },
      post_start: s.postStart.map(hook),
      pre_start: s.preStart.map((h) => preStartHook(h, s.image)),
      pre_stop: s.preStop.map(hook),
      profiles: s.profiles,
      develop: s.develop ? { watch: s.develop.watch.map(watchRule) } : undefined,
      // Keys stack accepts without acting on them (models, provider options, ...), as written.
      ...s.retained,
      ...s.extensions,
    },
    // An explicit empty command is meaningful (it clears the image's CMD).
    ['command', 'entrypoint'],
  );
}

function external(r: { external: boolean; name: string }): Json {
  return { name: r.name, external: r.external || undefined };
}

function network(n: NetworkSpec): Json {
  return clean({
    ...external(n),
    driver: n.driver,
    driver_opts: sorted(n.driverOpts, (v) => v),
    attachable: n.attachable || undefined,
    internal: n.internal || undefined,
    enable_ipv6: n.enableIpv6 || undefined,
    ipam: n.ipam
      ? clean({
          driver: n.ipam.driver,
          config: n.ipam.config.map((c) =>
            clean({ subnet: c.subnet, ip_range: c.ipRange, gateway: c.gateway, aux_addresses: c.auxAddresses }),
          ),
          options: sorted(n.ipam.options, (v) => v),
        })
      : undefined,
    labels: sorted(n.labels, (v) => v),
  });
}

function volume(v: VolumeSpec): Json {
  return clean({
    ...external(v),
    driver: v.driver,
    driver_opts: sorted(v.driverOpts, (x) => x),
    labels: sorted(v.labels, (x) => x),
  });
}

function fileResource(r: SecretSpec): Json {
  return clean({ ...external(r), file: r.file, environment: r.environment, content: r.content });
}

/**
 * Every `$` in a string value written as `$$`, so the printed document means the same when it
 * is loaded again (values are already interpolated). docker-compose 1.29 and Compose v2 do the
 * same. Keys are never interpolated and stay as they are.
 */
function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('$') ? value.replaceAll('$', '$$$$') : value;
  if (value === null || typeof value !== 'object') return value;
  // Copied only along the paths that hold a `$` (most documents have none): the document is
  // fresh, but it shares lists and maps with the model, which must not change.
  if (Array.isArray(value)) {
    const list: readonly unknown[] = value;
    let out: unknown[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const escaped = escapeDollars(item);
      if (escaped !== item) (out ??= [...list])[i] = escaped;
    }
    return out ?? list;
  }
  let out: Json | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Json)[key];
    const escaped = escapeDollars(item);
    if (escaped !== item) (out ??= { ...value })[key] = escaped;
  }
  return out ?? value;
}

/** The model as a Compose-spec document (environment values included: `stack config` shows them). */
export function toComposeConfig(model: StackModel): Record<string, unknown> {
  return escapeDollars(composeDocument(model)) as Record<string, unknown>;
}

function composeDocument(model: StackModel): Json {
  return clean({
    name: model.name,
    services: sorted(model.services, service),
    networks: sorted(model.networks, network),
    volumes: sorted(model.volumes, volume),
    secrets: sorted(model.secrets, fileResource),
    configs: sorted(model.configs, fileResource),
    models: model.models,
    ...model.extensions,
  });
}
