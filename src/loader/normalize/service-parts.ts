/**
 * The structured parts of a service: depends_on, healthcheck, build, networks, ulimits,
 * devices, secret/config references, develop.watch and logging, each to its long form.
 */
import { isAbsolute, posix } from 'node:path';
import type {
  BuildSpec,
  DependencyCondition,
  DependsOnSpec,
  DeviceSpec,
  HealthcheckSpec,
  HookSpec,
  PreStartHookSpec,
  LoggingSpec,
  ServiceFileRef,
  ServiceNetworkSpec,
  UlimitSpec,
  WatchAction,
  WatchRule,
} from '../../model.js';
import { normalizeCommand, normalizeDuration } from './values.js';
import {
  asBool,
  asInt,
  asList,
  asMode,
  asNumber,
  asString,
  isMap,
  listOrDict,
  opt,
  resolveHostPath,
  stringDict,
  stringList,
} from './helpers.js';
import type { Issues } from './helpers.js';
import { normalizeExtraHosts } from './env.js';
import { parseSize } from './units.js';
import type { NormalizeContext, Path } from '../types.js';
import { displayValue } from '../../errors.js';

/** `depends_on:` list or mapping, with Compose's defaults. */
export function normalizeDependsOn(value: unknown): Record<string, DependsOnSpec> {
  const out: Record<string, DependsOnSpec> = {};
  const defaults: DependsOnSpec = { condition: 'service_started', required: true, restart: false };
  if (Array.isArray(value)) for (const name of stringList(value)) out[name] = defaults;
  else if (isMap(value)) {
    for (const [name, raw] of Object.entries(value)) {
      const spec = isMap(raw) ? raw : {};
      out[name] = {
        condition: (asString(spec['condition']) ?? 'service_started') as DependencyCondition,
        required: asBool(spec['required']) ?? true,
        restart: asBool(spec['restart']) ?? false,
      };
    }
  }
  return out;
}

/** `healthcheck:`: the test in exec form, durations in ns; `disable` or `["NONE"]` disable it. */
export function normalizeHealthcheck(value: unknown, path: Path, issues: Issues): HealthcheckSpec | undefined {
  if (!isMap(value)) return undefined;
  let test: string[] | undefined;
  const raw = value['test'];
  if (typeof raw === 'string') test = raw === '' ? undefined : ['CMD-SHELL', raw];
  else if (Array.isArray(raw)) {
    test = stringList(raw);
    if (test.length > 0 && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!)) {
      issues.error(
        'INVALID_VALUE',
        `a healthcheck test list must start with "CMD", "CMD-SHELL" or "NONE", not "${test[0]}"`,
        [...path, 'test', 0],
        'e.g. ["CMD", "curl", "-f", "http://localhost"]',
      );
    }
  }
  const disable = (asBool(value['disable']) ?? false) || test?.[0] === 'NONE';
  const duration = (key: string): number | undefined => normalizeDuration(value[key], [...path, key], issues);
  const retries = asInt(value['retries']);
  if (value['retries'] !== undefined && value['retries'] !== null && (retries === undefined || retries < 0)) {
    issues.error(
      'INVALID_VALUE',
      `healthcheck retries must be a whole number, not ${JSON.stringify(value['retries'])}`,
      [...path, 'retries'],
      'e.g. retries: 3',
    );
  }
  return {
    ...opt('test', disable ? ['NONE'] : test),
    ...opt('interval', duration('interval')),
    ...opt('timeout', duration('timeout')),
    ...opt('retries', retries),
    ...opt('startPeriod', duration('start_period')),
    ...opt('startInterval', duration('start_interval')),
    disable,
  };
}

function isRemoteContext(context: string): boolean {
  return /^[a-z]+:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
}

/** `build:` string or mapping; the context is resolved unless it is a URL. */
export function normalizeBuild(
  value: unknown,
  path: Path,
  ctx: NormalizeContext,
  issues: Issues,
): BuildSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const raw: Record<string, unknown> = typeof value === 'string' ? { context: value } : isMap(value) ? value : {};
  const context = asString(raw['context']) ?? '.';
  let shmSize: number | undefined;
  if (raw['shm_size'] !== undefined) {
    shmSize = parseSize(raw['shm_size']);
    if (shmSize === undefined)
      issues.error(
        'INVALID_SIZE',
        `invalid size "${displayValue(raw['shm_size'])}"`,
        [...path, 'shm_size'],
        'e.g. 64m, 1g or bytes',
      );
  }
  return {
    context: isRemoteContext(context) ? context : resolveHostPath(context, ctx),
    ...opt('dockerfile', asString(raw['dockerfile'])),
    ...opt('dockerfileInline', asString(raw['dockerfile_inline'])),
    args: listOrDict(
      raw['args'],
      (key) => (Object.hasOwn(ctx.env, key) ? (ctx.env[key] ?? null) : null),
      () => null,
    ),
    ...opt('target', asString(raw['target'])),
    labels: stringDict(raw['labels']),
    tags: stringList(raw['tags']),
    ...opt('network', asString(raw['network'])),
    extraHosts: normalizeExtraHosts(raw['extra_hosts'], [...path, 'extra_hosts'], issues),
    ...opt('shmSize', shmSize),
    cacheFrom: stringList(raw['cache_from']),
    ...opt('noCache', asBool(raw['no_cache'])),
    ...opt('pull', asBool(raw['pull'])),
    platforms: stringList(raw['platforms']),
  };
}

/** Service `networks:` list or mapping. */
export function normalizeServiceNetworks(value: unknown): Record<string, ServiceNetworkSpec> {
  const out: Record<string, ServiceNetworkSpec> = {};
  const empty: ServiceNetworkSpec = { aliases: [], linkLocalIps: [] };
  if (Array.isArray(value)) for (const name of stringList(value)) out[name] = empty;
  else if (isMap(value)) {
    for (const [name, raw] of Object.entries(value)) {
      const spec = isMap(raw) ? raw : {};
      out[name] = {
        aliases: stringList(spec['aliases']),
        ...opt('ipv4Address', asString(spec['ipv4_address'])),
        ...opt('ipv6Address', asString(spec['ipv6_address'])),
        ...opt('priority', asNumber(spec['priority'])),
        ...opt('macAddress', asString(spec['mac_address'])),
        linkLocalIps: stringList(spec['link_local_ips']),
      };
    }
  }
  return out;
}

/** `ulimits:` a number (soft = hard) or `{soft, hard}`. */
export function normalizeUlimits(value: unknown, path: Path, issues: Issues): Record<string, UlimitSpec> {
  const out: Record<string, UlimitSpec> = {};
  for (const [name, raw] of Object.entries(isMap(value) ? value : {})) {
    const single = asInt(raw);
    const soft = single ?? (isMap(raw) ? asInt(raw['soft']) : undefined);
    const hard = single ?? (isMap(raw) ? asInt(raw['hard']) : undefined);
    if (soft === undefined || hard === undefined) {
      issues.error('INVALID_VALUE', `ulimit "${name}" must be a number or {soft, hard} numbers`, [...path, name]);
      continue;
    }
    out[name] = { soft, hard };
  }
  return out;
}

/** `devices:` `source[:target[:permissions]]` or long form. */
export function normalizeDevices(value: unknown, path: Path, issues: Issues): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  asList(value).forEach((item, i) => {
    if (isMap(item)) {
      const source = asString(item['source']) ?? '';
      out.push({
        source,
        target: asString(item['target']) ?? source,
        permissions: asString(item['permissions']) ?? 'rwm',
      });
      return;
    }
    const parts = (asString(item) ?? '').split(':');
    if (parts.length > 3 || !parts[0]) {
      issues.error(
        'INVALID_VALUE',
        `invalid device "${String(item)}"`,
        [...path, i],
        'expected "/dev/host[:/dev/container[:rwm]]"',
      );
      return;
    }
    out.push({ source: parts[0], target: parts[1] || parts[0], permissions: parts[2] || 'rwm' });
  });
  return out;
}

/** Service `secrets:`/`configs:` short and long references, with Compose's default targets. */
export function normalizeFileRefs(value: unknown, kind: 'secrets' | 'configs'): ServiceFileRef[] {
  return asList(value).flatMap((item) => {
    const raw = isMap(item) ? item : { source: item };
    const source = asString(raw['source']);
    if (source === undefined) return [];
    const target = asString(raw['target']) ?? source;
    // Secrets live under /run/secrets unless an absolute target is given; configs at /<name>.
    const full = isAbsolute(target) ? target : kind === 'secrets' ? posix.join('/run/secrets', target) : `/${target}`;
    return [
      {
        source,
        target: full,
        ...opt('uid', asString(raw['uid'])),
        ...opt('gid', asString(raw['gid'])),
        ...opt('mode', asMode(raw['mode'])),
      },
    ];
  });
}

/** `develop.watch` rules with absolute host paths. */
export function normalizeDevelop(
  value: unknown,
  path: Path,
  ctx: NormalizeContext,
  issues: Issues,
): { watch: WatchRule[] } | undefined {
  if (!isMap(value)) return undefined;
  const watch = asList(value['watch']).flatMap((rule, i): WatchRule[] => {
    if (!isMap(rule)) return [];
    const exec = isMap(rule['exec']) ? rule['exec'] : undefined;
    const command = exec
      ? normalizeCommand(exec['command'], [...path, 'watch', i, 'exec', 'command'], issues)
      : undefined;
    return [
      {
        action: (asString(rule['action']) ?? 'sync') as WatchAction,
        path: resolveHostPath(asString(rule['path']) ?? '.', ctx),
        ...opt('target', asString(rule['target'])),
        include: stringList(rule['include']),
        ignore: stringList(rule['ignore']),
        initialSync: asBool(rule['initial_sync']) ?? false,
        ...(exec
          ? {
              exec: {
                command: command ?? [],
                ...opt('user', asString(exec['user'])),
                ...opt('privileged', asBool(exec['privileged'])),
                ...opt('workingDir', asString(exec['working_dir'])),
                environment: stringDict(exec['environment']),
              },
            }
          : {}),
      },
    ];
  });
  return { watch };
}

/** `logging:` driver and string options. */
export function normalizeLogging(value: unknown): LoggingSpec | undefined {
  if (!isMap(value)) return undefined;
  return { ...opt('driver', asString(value['driver'])), options: stringDict(value['options']) };
}

/** `post_start:` / `pre_stop:` hooks (the schema guarantees a list of maps with `command`). */
export function normalizeHooks(value: unknown, path: Path, issues: Issues): HookSpec[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((hook: unknown, i) => {
    if (!isMap(hook)) return [];
    const command = normalizeCommand(hook['command'], [...path, i, 'command'], issues);
    if (!command) return [];
    return [
      {
        command,
        ...opt('user', asString(hook['user'])),
        privileged: asBool(hook['privileged']) ?? false,
        ...opt('workingDir', asString(hook['working_dir'])),
        environment: stringDict(hook['environment']),
      },
    ];
  });
}

/** `pre_start:` hooks: like `post_start`, plus `image` and `per_replica`; `command` is optional. */
export function normalizePreStartHooks(value: unknown, path: Path, issues: Issues): PreStartHookSpec[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((hook: unknown, i) => {
    if (!isMap(hook)) return [];
    return [
      {
        ...opt('command', normalizeCommand(hook['command'], [...path, i, 'command'], issues)),
        ...opt('image', asString(hook['image'])),
        ...opt('user', asString(hook['user'])),
        privileged: asBool(hook['privileged']) ?? false,
        ...opt('workingDir', asString(hook['working_dir'])),
        environment: stringDict(hook['environment']),
        perReplica: asBool(hook['per_replica']) ?? false,
      },
    ];
  });
}
