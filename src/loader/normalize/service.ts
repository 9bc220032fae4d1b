/**
 * One service, raw → ServiceSpec: every short syntax in its long form, paths resolved,
 * durations in ns and sizes in bytes. Problems are collected, never thrown.
 */
import type { PullPolicy, ResourcesSpec, ServiceSpec, VolumesFromSpec } from '../../model.js';
import { normalizeEnvironment, normalizeExtraHosts } from './env.js';
import { asBool, asInt, asList, asMap, asNumber, asString, opt, stringDict, stringList } from './helpers.js';
import type { Issues } from './helpers.js';
import { normalizePorts } from './ports.js';
import {
  normalizeBuild,
  normalizeDependsOn,
  normalizeDevelop,
  normalizeDevices,
  normalizeFileRefs,
  normalizeHealthcheck,
  normalizeHooks,
  normalizeLogging,
  normalizePreStartHooks,
  normalizeServiceNetworks,
  normalizeUlimits,
} from './service-parts.js';
import { normalizeCommand, normalizeDuration, normalizeSize } from './values.js';
import { normalizeVolumes } from './volumes.js';
import type { NormalizeContext, Path } from '../types.js';
import { displayValue } from '../../errors.js';

/** The `x-*` keys of a service, undefined when there are none. */
function extensionsOf(raw: Record<string, unknown>): Record<string, unknown> | undefined {
  const keys = Object.keys(raw).filter((k) => k.startsWith('x-'));
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k) => [k, raw[k]]));
}

/** The model keys a service's `models:` names (a list, or a mapping by key). */
function modelKeys(value: unknown): string[] | undefined {
  const keys = Array.isArray(value) ? stringList(value) : Object.keys(asMap(value));
  return keys.length > 0 ? keys.sort() : undefined;
}

/** The values of the accepted but unimplemented keys, for `stack config`; undefined when none. */
function retainedOf(raw: Record<string, unknown>, unsupported: readonly string[]): Record<string, unknown> | undefined {
  const keys = unsupported.filter((k) => raw[k] !== undefined);
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k) => [k, raw[k]]));
}

/**
 * The restart policy as the engine names it (`name[:max]`): `restart:`, overridden by
 * `deploy.restart_policy` when present, as Compose does for local containers (condition
 * `none` → `no`, `any` → `always`, `on-failure` with `max_attempts`; `delay` and `window` are
 * Swarm's and have no local equivalent).
 */
function normalizeRestart(raw: Record<string, unknown>): string | undefined {
  const policy = asMap(raw['deploy'])['restart_policy'];
  if (policy === undefined || policy === null) return asString(raw['restart']);
  const { condition, max_attempts: attempts } = asMap(policy);
  const names: Record<string, string> = { none: 'no', no: 'no', any: 'always', always: 'always' };
  const name = typeof condition === 'string' ? (names[condition] ?? condition) : 'no';
  const max = asInt(attempts);
  return name === 'on-failure' && max !== undefined && max > 0 ? `on-failure:${max}` : name;
}

/** The `type` of a `provider:` block. */
function isProvider(value: unknown): string | undefined {
  const map = asMap(value);
  return typeof map['type'] === 'string' ? map['type'] : undefined;
}

function normalizeResources(raw: Record<string, unknown>, path: Path, issues: Issues): ResourcesSpec {
  const resources = asMap(asMap(raw['deploy'])['resources']);
  const limits = asMap(resources['limits']);
  const reservations = asMap(resources['reservations']);
  const limitsPath = [...path, 'deploy', 'resources', 'limits'];
  // The top-level key wins over deploy.resources when both are set, as in Compose.
  const size = (key: string, deployValue: unknown, deployPath: Path): number | undefined =>
    raw[key] !== undefined
      ? normalizeSize(raw[key], [...path, key], issues)
      : normalizeSize(deployValue, deployPath, issues);
  const cpus = raw['cpus'] ?? limits['cpus'];
  const cpusValue = asNumber(cpus);
  if (cpus !== undefined && (cpusValue === undefined || cpusValue < 0)) {
    issues.error(
      'INVALID_VALUE',
      `invalid cpus "${displayValue(cpus)}"`,
      raw['cpus'] !== undefined ? [...path, 'cpus'] : [...limitsPath, 'cpus'],
      'a number of CPUs, e.g. 0.5',
    );
  }
  return {
    ...opt('cpus', cpusValue),
    ...opt('cpuShares', asInt(raw['cpu_shares'])),
    ...opt('cpuQuota', asInt(raw['cpu_quota'])),
    ...opt('cpuPeriod', asInt(raw['cpu_period'])),
    ...opt('cpuset', asString(raw['cpuset'])),
    ...opt('memLimit', size('mem_limit', limits['memory'], [...limitsPath, 'memory'])),
    ...opt(
      'memReservation',
      size('mem_reservation', reservations['memory'], [...path, 'deploy', 'resources', 'reservations', 'memory']),
    ),
    ...opt('memswapLimit', normalizeSize(raw['memswap_limit'], [...path, 'memswap_limit'], issues)),
    ...opt('pidsLimit', asInt(raw['pids_limit'] ?? limits['pids'])),
    ...opt('oomKillDisable', asBool(raw['oom_kill_disable'])),
    ...opt('oomScoreAdj', asInt(raw['oom_score_adj'])),
    ...opt('shmSize', normalizeSize(raw['shm_size'], [...path, 'shm_size'], issues)),
  };
}

function normalizeReplicas(raw: Record<string, unknown>, path: Path, issues: Issues): number {
  const scale = raw['scale'] === undefined ? undefined : asInt(raw['scale']);
  const deployRaw = asMap(raw['deploy'])['replicas'];
  const deploy = deployRaw === undefined ? undefined : asInt(deployRaw);
  if (
    (raw['scale'] !== undefined && (scale === undefined || scale < 0)) ||
    (deployRaw !== undefined && (deploy === undefined || deploy < 0))
  ) {
    return (
      issues.error(
        'INVALID_VALUE',
        'replicas must be a whole number of 0 or more',
        raw['scale'] !== undefined ? [...path, 'scale'] : [...path, 'deploy', 'replicas'],
      ) ?? 1
    );
  }
  if (scale !== undefined && deploy !== undefined && scale !== deploy) {
    issues.error(
      'INVALID_VALUE',
      `"scale" (${scale}) and "deploy.replicas" (${deploy}) disagree`,
      [...path, 'scale'],
      'set only one of them',
    );
  }
  return scale ?? deploy ?? 1;
}

function normalizePullPolicy(value: unknown): PullPolicy | undefined {
  const text = asString(value);
  // `if_not_present` is the older spelling of `missing`.
  return (text === 'if_not_present' ? 'missing' : text) as PullPolicy | undefined;
}

function normalizeExpose(value: unknown): string[] {
  return asList(value)
    .map((item) => asString(item) ?? '')
    .filter((s) => s !== '');
}

/** `volumes_from` entries: `svc[:ro|rw]` or `container:name[:ro|rw]` (default read-write). */
function normalizeVolumesFrom(value: unknown): VolumesFromSpec[] | undefined {
  const entries = stringList(value);
  if (entries.length === 0) return undefined;
  return entries.map((entry) => {
    const parts = entry.split(':');
    const kind = parts[0] === 'container' && parts.length > 1 ? 'container' : 'service';
    const rest = kind === 'container' ? parts.slice(1) : parts;
    const mode = rest.length > 1 && (rest.at(-1) === 'ro' || rest.at(-1) === 'rw') ? rest.pop() : undefined;
    return { kind, name: rest.join(':'), readOnly: mode === 'ro' };
  });
}

/** `links` entries: `svc` or `svc:alias`. */
function normalizeLinks(value: unknown): { service: string; alias: string }[] | undefined {
  const entries = stringList(value);
  if (entries.length === 0) return undefined;
  return entries.map((entry) => {
    const [service = entry, alias] = entry.split(':');
    return { service, alias: alias ?? service };
  });
}

/** Normalizes the service `name`; `unsupported` lists the accepted but unimplemented keys. */
export function normalizeService(
  name: string,
  raw: Record<string, unknown>,
  ctx: NormalizeContext,
  issues: Issues,
  unsupported: readonly string[],
): ServiceSpec {
  const path: Path = ['services', name];
  const at = (key: string): Path => [...path, key];
  const env = normalizeEnvironment(raw, path, ctx, issues);
  const networkMode = asString(raw['network_mode']);
  const networks = normalizeServiceNetworks(raw['networks']);
  const build = normalizeBuild(raw['build'], at('build'), ctx, issues);
  const healthcheck = normalizeHealthcheck(raw['healthcheck'], at('healthcheck'), issues);
  const develop = normalizeDevelop(raw['develop'], at('develop'), ctx, issues);
  const logging = normalizeLogging(raw['logging']);
  const location = ctx.locate(path, 'key');
  return {
    name,
    ...opt('image', asString(raw['image'])),
    ...opt('build', build),
    ...opt('pullPolicy', normalizePullPolicy(raw['pull_policy'])),
    ...opt('command', normalizeCommand(raw['command'], at('command'), issues)),
    ...opt('entrypoint', normalizeCommand(raw['entrypoint'], at('entrypoint'), issues)),
    environment: env.environment,
    envFiles: env.envFiles,
    labels: stringDict(raw['labels']),
    annotations: stringDict(raw['annotations']),
    ports: normalizePorts(raw['ports'], at('ports'), issues),
    expose: normalizeExpose(raw['expose']),
    volumes: normalizeVolumes(raw['volumes'], at('volumes'), ctx, issues),
    tmpfs: stringList(raw['tmpfs']),
    dependsOn: normalizeDependsOn(raw['depends_on']),
    ...opt('healthcheck', healthcheck),
    // Without networks or network_mode a service joins the project's default network.
    networks:
      networkMode !== undefined
        ? {}
        : Object.keys(networks).length > 0
          ? networks
          : { default: { aliases: [], linkLocalIps: [] } },
    ...opt('networkMode', networkMode),
    ...opt('volumesFrom', normalizeVolumesFrom(raw['volumes_from'])),
    ...opt('links', normalizeLinks(raw['links'])),
    extraHosts: normalizeExtraHosts(raw['extra_hosts'], at('extra_hosts'), issues),
    dns: stringList(raw['dns']),
    dnsSearch: stringList(raw['dns_search']),
    dnsOpt: stringList(raw['dns_opt']),
    ulimits: normalizeUlimits(raw['ulimits'], at('ulimits'), issues),
    sysctls: stringDict(raw['sysctls']),
    capAdd: stringList(raw['cap_add']),
    capDrop: stringList(raw['cap_drop']),
    devices: normalizeDevices(raw['devices'], at('devices'), issues),
    groupAdd: stringList(raw['group_add']),
    securityOpt: stringList(raw['security_opt']),
    privileged: asBool(raw['privileged']) ?? false,
    ...opt('init', asBool(raw['init'])),
    readOnly: asBool(raw['read_only']) ?? false,
    tty: asBool(raw['tty']) ?? false,
    stdinOpen: asBool(raw['stdin_open']) ?? false,
    ...opt('user', asString(raw['user'])),
    ...opt('workingDir', asString(raw['working_dir'])),
    ...opt('hostname', asString(raw['hostname'])),
    ...opt('domainname', asString(raw['domainname'])),
    ...opt('macAddress', asString(raw['mac_address'])),
    ...opt('pid', asString(raw['pid'])),
    ...opt('ipc', asString(raw['ipc'])),
    ...opt('platform', asString(raw['platform'])),
    ...opt('stopSignal', asString(raw['stop_signal'])),
    ...opt('stopGracePeriod', normalizeDuration(raw['stop_grace_period'], at('stop_grace_period'), issues)),
    ...opt('restart', normalizeRestart(raw)),
    ...opt('containerName', asString(raw['container_name'])),
    replicas: normalizeReplicas(raw, path, issues),
    ...opt('logging', logging),
    resources: normalizeResources(raw, path, issues),
    secrets: normalizeFileRefs(raw['secrets'], 'secrets'),
    configs: normalizeFileRefs(raw['configs'], 'configs'),
    ...opt('provider', isProvider(raw['provider'])),
    ...opt('extensions', extensionsOf(raw)),
    postStart: normalizeHooks(raw['post_start'], at('post_start'), issues),
    preStop: normalizeHooks(raw['pre_stop'], at('pre_stop'), issues),
    preStart: normalizePreStartHooks(raw['pre_start'], at('pre_start'), issues),
    ...opt('models', modelKeys(raw['models'])),
    ...opt('retained', retainedOf(raw, unsupported)),
    profiles: stringList(raw['profiles']),
    ...opt('attach', asBool(raw['attach'])),
    ...opt('develop', develop),
    unsupported,
    ...opt('location', location),
  };
}
