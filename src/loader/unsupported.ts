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
 * The pattern nodes a child of a place matches, best first: after the first segment a mapping
 * key matches itself before `*`, and a list index matches `#` (services.web.build →
 * `services.*.build`). Measured: spelling out every combination as a string cost 2^depth per
 * node of the file (about 20 ms of loading 50 services); looking each place up again from the
 * root, and walking places no pattern reaches, cost 43 ms at 500 services.
 */
function childPatterns(nodes: readonly PatternNode[], segment: string | number, depth: number): PatternNode[] {
  const next: PatternNode[] = [];
  for (const node of nodes) {
    if (typeof segment === 'number') {
      const item = node.children.get('#');
      if (item) next.push(item);
      continue;
    }
    const literal = node.children.get(segment);
    if (literal) next.push(literal);
    const any = depth > 0 ? node.children.get('*') : undefined;
    if (any) next.push(any);
  }
  return next;
}

/**
 * Every key in `data` that the schema knows but stack does not implement, walking only the
 * places listed in IMPLEMENTED_KEYS (and their parents). Unknown keys are left to the schema.
 */
export function findUnsupportedKeys(data: unknown, schema: SchemaNode | undefined): UnsupportedKey[] {
  const out: UnsupportedKey[] = [];
  const path: (string | number)[] = [];
  const walk = (value: unknown, node: SchemaNode | undefined, patterns: readonly PatternNode[]): void => {
    const implemented = patterns.find((p) => p.keys !== undefined)?.keys;
    if (isMap(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key.startsWith('x-')) continue;
        if (implemented && node?.props.has(key) && !implemented.includes(key)) {
          const dotted = patternOf([...path, key]);
          const message =
            key === 'provider' && path[0] === 'services'
              ? `"${dotted}": stack runs no providers; "config" shows the service and "up" refuses to run it`
              : (OBSOLETE[dotted] ?? `"${dotted}" is not implemented by stack yet and has no effect`);
          out.push({ path: [...path, key], message });
          continue;
        }
        const schemaChild = childNode(node, key);
        const next = schemaChild ? childPatterns(patterns, key, path.length) : [];
        if (next.length === 0) continue;
        path.push(key);
        walk(child, schemaChild, next);
        path.pop();
      }
    } else if (Array.isArray(value)) {
      const next = childPatterns(patterns, 0, path.length);
      if (next.length === 0) return;
      value.forEach((item, i) => {
        path.push(i);
        walk(item, childNode(node, i), next);
        path.pop();
      });
    }
  };
  walk(data, schema, [PATTERNS]);
  return out;
}
