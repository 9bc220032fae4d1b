/**
 * Why a container diverged, in field names (`environment.DB_URL`, `ports`, `image`). Display
 * only: the executor never branches on a reason. Values of environment variables are never
 * put in a reason, only their keys.
 *
 * The engine's inspect output is a superset of what we asked for (image ENV and labels are
 * merged in, defaults filled). Fields the desired body sets are compared; a field or env key
 * only the container has is reported as removed only when it cannot have come from the image
 * or the engine's defaults (REMOVABLE_HOST_FIELDS; env keys checked against the image's env).
 */
import type { DesiredContainer } from './desired.js';
import { canonicalJson, canonicalize } from './hash.js';
import type { ObservedContainer, Reason } from './types.js';

/** Create-body field → the Compose word users know. Unlisted fields are reported lower-cased. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  Image: 'image',
  Cmd: 'command',
  Entrypoint: 'entrypoint',
  ExposedPorts: 'ports',
  PortBindings: 'ports',
  Mounts: 'volumes',
  Binds: 'volumes',
  Tmpfs: 'tmpfs',
  User: 'user',
  WorkingDir: 'working_dir',
  Hostname: 'hostname',
  Domainname: 'domainname',
  Healthcheck: 'healthcheck',
  StopSignal: 'stop_signal',
  StopTimeout: 'stop_grace_period',
  Tty: 'tty',
  OpenStdin: 'stdin_open',
  RestartPolicy: 'restart',
  NanoCpus: 'cpus',
  Memory: 'mem_limit',
  MemoryReservation: 'mem_reservation',
  MemorySwap: 'memswap_limit',
  CapAdd: 'cap_add',
  CapDrop: 'cap_drop',
  ExtraHosts: 'extra_hosts',
  Dns: 'dns',
  DnsSearch: 'dns_search',
  DnsOptions: 'dns_opt',
  LogConfig: 'logging',
  ReadonlyRootfs: 'read_only',
  NetworkMode: 'network_mode',
  SecurityOpt: 'security_opt',
  PidMode: 'pid',
  IpcMode: 'ipc',
  GroupAdd: 'group_add',
  ShmSize: 'shm_size',
};

/** Labels that only bookkeeping sets; a difference there is not something the user changed. */
const MANAGED_LABEL_PREFIXES = ['com.docker.compose.', 'dev.stack.'];

function fieldName(key: string): string {
  return FIELD_NAMES[key] ?? key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

function envMap(value: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(value)) return map;
  for (const item of value) {
    if (typeof item !== 'string') continue;
    const eq = item.indexOf('=');
    map.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? '' : item.slice(eq + 1));
  }
  return map;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * HostConfig fields whose engine default is empty (inspect shows null, [], {} or false when we
 * did not set them), so a non-empty observed value the desired body lacks was set by us before
 * and has been removed. Config fields are not listed: the engine fills Cmd, Entrypoint, User,
 * WorkingDir, ExposedPorts, Healthcheck and StopSignal from the image. Nor are fields the
 * daemon fills at create (ShmSize, MemorySwap, Ulimits from default-ulimits, LogConfig,
 * RestartPolicy, NetworkMode, IpcMode).
 */
const REMOVABLE_HOST_FIELDS: ReadonlySet<string> = new Set([
  'Binds',
  'Mounts',
  'PortBindings',
  'CapAdd',
  'CapDrop',
  'Privileged',
  'ExtraHosts',
  'Dns',
  'DnsSearch',
  'DnsOptions',
  'Tmpfs',
  'Sysctls',
  'Init',
  'ReadonlyRootfs',
  'NanoCpus',
  'Memory',
  'MemoryReservation',
  'PidsLimit',
  'Devices',
  'GroupAdd',
  'SecurityOpt',
]);

/** Unset as the engine reports it: null, false, 0, "", [] or {}. */
function isEmpty(value: unknown): boolean {
  const c = canonicalize(value);
  return c === undefined || c === 0 || (typeof c === 'object' && Object.keys(c as object).length === 0);
}

/**
 * Env keys added, changed or removed. A key only the container has is removed from the stack
 * file unless the image sets it with that value (the engine merges image variables in); with
 * no `imageEnv` to tell, only-observed keys are not reported.
 */
function compareEnv(want: unknown, have: unknown, imageEnv: readonly string[] | undefined, fields: Set<string>): void {
  const a = envMap(want);
  const b = envMap(have);
  for (const [k, v] of a) if (b.get(k) !== v) fields.add(`environment.${k}`);
  if (imageEnv === undefined) return;
  const image = envMap(imageEnv);
  for (const [k, v] of b) if (!a.has(k) && image.get(k) !== v) fields.add(`environment.${k}`);
}

function compareSection(
  desired: Readonly<Record<string, unknown>>,
  observed: Readonly<Record<string, unknown>>,
  fields: Set<string>,
  options: {
    readonly removable: ReadonlySet<string>;
    readonly imageEnv?: readonly string[] | undefined;
    readonly imageLabels?: Readonly<Record<string, string>> | undefined;
  },
): void {
  for (const key of Object.keys(desired).sort()) {
    const want = desired[key];
    const have = observed[key];
    if (key === 'Env') compareEnv(want, have, options.imageEnv, fields);
    else if (key === 'Labels') {
      const a = (want ?? {}) as Record<string, unknown>;
      const b = (have ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(a)) {
        if (MANAGED_LABEL_PREFIXES.some((p) => k.startsWith(p))) continue;
        if (a[k] !== b[k]) fields.add(`labels.${k}`);
      }
      // Only the container has it: removed from the stack file, unless the image sets it
      // with that value (the engine merges image labels in). Without the image's labels,
      // not named.
      const image = options.imageLabels;
      if (image !== undefined) {
        for (const k of Object.keys(b)) {
          if (k in a || MANAGED_LABEL_PREFIXES.some((p) => k.startsWith(p))) continue;
          if (image[k] !== b[k]) fields.add(`labels.${k}`);
        }
      }
    } else if (key === 'HostConfig' || key === 'NetworkingConfig' || key === 'Image') {
      continue;
    } else if (!same(want, have)) fields.add(fieldName(key));
  }
  // Fields the stack file no longer sets: walking only the desired keys would miss them.
  if (!('Env' in desired) && options.imageEnv !== undefined) compareEnv([], observed['Env'], options.imageEnv, fields);
  for (const key of Object.keys(observed).sort()) {
    if (key in desired || !options.removable.has(key) || isEmpty(observed[key])) continue;
    fields.add(fieldName(key));
  }
}

/**
 * The changed fields of a diverged container, as a `diverged` reason. Without inspect detail
 * (the reconciler inspects only diverged containers, and may not have) the detail is the
 * generic "configuration changed".
 */
export function divergedReason(
  desired: DesiredContainer,
  container: ObservedContainer,
  resolvedImageId: string | undefined,
): Reason {
  const fields = new Set<string>();
  if (container.image !== desired.imageRef || (resolvedImageId !== undefined && container.imageId !== resolvedImageId))
    fields.add('image');
  if (container.detail) {
    const body = desired.body;
    compareSection(body, container.detail.config, fields, {
      removable: new Set(),
      imageEnv: container.detail.imageEnv,
      imageLabels: container.detail.imageLabels,
    });
    compareSection((body['HostConfig'] ?? {}) as Record<string, unknown>, container.detail.hostConfig, fields, {
      removable: REMOVABLE_HOST_FIELDS,
    });
  }
  if (fields.size === 0) return { code: 'diverged', detail: 'configuration changed' };
  return { code: 'diverged', detail: [...fields].sort().join(', ') };
}
