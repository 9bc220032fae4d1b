/**
 * Why a container diverged, in field names (`environment.DB_URL`, `ports`, `image`). Display
 * only: the executor never branches on a reason. Values of environment variables are never
 * put in a reason, only their keys.
 *
 * The engine's inspect output is a superset of what we asked for (image ENV and labels are
 * merged in, defaults filled), so only fields the desired body sets are compared, and a key
 * the image adds is not reported as removed.
 */
import type { DesiredContainer } from './desired.js';
import { canonicalJson } from './hash.js';
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

function compareSection(desired: Readonly<Record<string, unknown>>, observed: Readonly<Record<string, unknown>>, fields: Set<string>): void {
  for (const key of Object.keys(desired).sort()) {
    const want = desired[key];
    const have = observed[key];
    if (key === 'Env') {
      const a = envMap(want);
      const b = envMap(have);
      for (const [k, v] of a) if (b.get(k) !== v) fields.add(`environment.${k}`);
    } else if (key === 'Labels') {
      const a = (want ?? {}) as Record<string, unknown>;
      const b = (have ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(a)) {
        if (MANAGED_LABEL_PREFIXES.some((p) => k.startsWith(p))) continue;
        if (a[k] !== b[k]) fields.add(`labels.${k}`);
      }
    } else if (key === 'HostConfig' || key === 'NetworkingConfig' || key === 'Image') {
      continue;
    } else if (!same(want, have)) fields.add(fieldName(key));
  }
}

/**
 * The changed fields of a diverged container, as a `diverged` reason. Without inspect detail
 * (the reconciler inspects only diverged containers, and may not have) the detail is the
 * generic "configuration changed".
 */
export function divergedReason(desired: DesiredContainer, container: ObservedContainer, resolvedImageId: string | undefined): Reason {
  const fields = new Set<string>();
  if (container.image !== desired.imageRef || (resolvedImageId !== undefined && container.imageId !== resolvedImageId)) fields.add('image');
  if (container.detail) {
    const body = desired.body;
    compareSection(body, container.detail.config, fields);
    compareSection((body['HostConfig'] ?? {}) as Record<string, unknown>, container.detail.hostConfig, fields);
  }
  if (fields.size === 0) return { code: 'diverged', detail: 'configuration changed' };
  return { code: 'diverged', detail: [...fields].sort().join(', ') };
}
