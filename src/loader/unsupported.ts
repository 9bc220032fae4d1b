/**
 * The one list of the Compose keys stack implements. Any key the schema knows that is not
 * listed here is accepted with an UNSUPPORTED_KEY warning naming it, so nothing a user wrote
 * is ignored silently. Add a key here when the normalizer and planner honour it.
 */
import { childNode } from './schema-index.js';
import type { SchemaNode } from './schema-index.js';
import type { Path } from './types.js';

/** Implemented keys by place: `*` is any mapping key, `#` any list index. */
export const IMPLEMENTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': ['name', 'include', 'services', 'networks', 'volumes', 'secrets', 'configs'],
  'services.*': [
    'annotations',
    'attach',
    'build',
    'cap_add',
    'cap_drop',
    'command',
    'configs',
    'container_name',
    'cpu_period',
    'cpu_quota',
    'cpu_shares',
    'cpus',
    'cpuset',
    'depends_on',
    'deploy',
    'develop',
    'devices',
    'dns',
    'dns_opt',
    'dns_search',
    'domainname',
    'entrypoint',
    'env_file',
    'environment',
    'expose',
    'extends',
    'extra_hosts',
    'group_add',
    'healthcheck',
    'hostname',
    'image',
    'init',
    'ipc',
    'labels',
    'links',
    'logging',
    'mac_address',
    'mem_limit',
    'mem_reservation',
    'memswap_limit',
    'network_mode',
    'networks',
    'oom_kill_disable',
    'oom_score_adj',
    'pid',
    'pids_limit',
    'platform',
    'ports',
    'post_start',
    'pre_start',
    'pre_stop',
    'privileged',
    'profiles',
    'pull_policy',
    'read_only',
    'restart',
    'scale',
    'secrets',
    'security_opt',
    'shm_size',
    'stdin_open',
    'stop_grace_period',
    'stop_signal',
    'sysctls',
    'tmpfs',
    'tty',
    'ulimits',
    'user',
    'volumes',
    'volumes_from',
    'working_dir',
  ],
  'services.*.build': [
    'context',
    'dockerfile',
    'dockerfile_inline',
    'args',
    'labels',
    'cache_from',
    'no_cache',
    'network',
    'pull',
    'target',
    'shm_size',
    'extra_hosts',
    'tags',
    'platforms',
  ],
  'services.*.deploy': ['replicas', 'resources', 'restart_policy'],
  'services.*.deploy.restart_policy': ['condition', 'max_attempts'],
  'services.*.deploy.resources': ['limits', 'reservations'],
  'services.*.deploy.resources.limits': ['cpus', 'memory', 'pids'],
  'services.*.deploy.resources.reservations': ['memory'],
  'services.*.networks.*': ['aliases', 'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'priority'],
  'services.*.volumes.#': ['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs'],
  'services.*.volumes.#.bind': ['propagation', 'create_host_path', 'selinux'],
  'networks.*': [
    'name',
    'driver',
    'driver_opts',
    'ipam',
    'external',
    'internal',
    'enable_ipv6',
    'attachable',
    'labels',
  ],
  'volumes.*': ['name', 'driver', 'driver_opts', 'external', 'labels'],
  // Secrets and configs from `file:` are bind-mounted read-only; `environment:` and `content:`
  // sources, and any reference with uid/gid/mode, are copied into the container before it
  // starts (as Compose). `external:` (Swarm) warns.
  'secrets.*': ['name', 'file', 'environment', 'content'],
  'configs.*': ['name', 'file', 'environment', 'content'],
  'services.*.secrets.#': ['source', 'target', 'uid', 'gid', 'mode'],
  'services.*.configs.#': ['source', 'target', 'uid', 'gid', 'mode'],
};

/** Top-level keys that are accepted and explained rather than merely "not implemented". */
const OBSOLETE: Readonly<Record<string, string>> = {
  version: 'the top-level "version" is obsolete and ignored',
};

/** One key stack accepts but does not act on. */
export interface UnsupportedKey {
  readonly path: Path;
  readonly message: string;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function patternOf(path: Path): string {
  return path.map((segment) => (typeof segment === 'number' ? '#' : segment)).join('.');
}

/** IMPLEMENTED_KEYS as a tree of path segments, so a lookup builds no pattern strings. */
interface PatternNode {
  keys?: readonly string[];
  readonly children: Map<string, PatternNode>;
}

const PATTERNS: PatternNode = (() => {
  const root: PatternNode = { children: new Map() };
  for (const [pattern, keys] of Object.entries(IMPLEMENTED_KEYS)) {
    let node = root;
    for (const segment of pattern === '' ? [] : pattern.split('.')) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { children: new Map() }));
      node = child;
    }
    node.keys = keys;
  }
  return root;
})();

/**
 * The implemented keys at `path` (services.web.build → `services.*.build`). The first segment
 * is a fixed top-level key; after it a mapping key matches itself before `*`, and a list index
 * matches `#`. Measured: the former version spelled out every combination as a string, 2^depth
 * per node of the file, about 20 ms of loading 50 services.
 */
function implementedAt(path: Path, node: PatternNode = PATTERNS, i = 0): readonly string[] | undefined {
  if (i === path.length) return node.keys;
  const segment = path[i]!;
  if (typeof segment === 'number') {
    const item = node.children.get('#');
    return item && implementedAt(path, item, i + 1);
  }
  const literal = node.children.get(segment);
  const found = literal && implementedAt(path, literal, i + 1);
  if (found || i === 0) return found;
  const any = node.children.get('*');
  return any && implementedAt(path, any, i + 1);
}

/**
 * Every key in `data` that the schema knows but stack does not implement, walking only the
 * places listed in IMPLEMENTED_KEYS (and their parents). Unknown keys are left to the schema.
 */
export function findUnsupportedKeys(data: unknown, schema: SchemaNode | undefined, path: Path = []): UnsupportedKey[] {
  const out: UnsupportedKey[] = [];
  const implemented = implementedAt(path);
  if (isMap(data)) {
    for (const [key, value] of Object.entries(data)) {
      if (key.startsWith('x-')) continue;
      const child = childNode(schema, key);
      const childPath = [...path, key];
      if (implemented && schema?.props.has(key) && !implemented.includes(key)) {
        const dotted = patternOf(childPath);
        const message =
          key === 'provider' && path[0] === 'services'
            ? `"${dotted}": stack runs no providers; "config" shows the service and "up" refuses to run it`
            : (OBSOLETE[dotted] ?? `"${dotted}" is not implemented by stack yet and has no effect`);
        out.push({ path: childPath, message });
        continue;
      }
      if (child) out.push(...findUnsupportedKeys(value, child, childPath));
    }
  } else if (Array.isArray(data)) {
    data.forEach((item, i) => out.push(...findUnsupportedKeys(item, childNode(schema, i), [...path, i])));
  }
  return out;
}
