/**
 * The Compose merge rules for one value over another: mappings merge deeply, sequences
 * append, some fields replace, key=value fields merge by key, ports and volumes are unique
 * by target. Used for override files (merge.ts) and for `extends` (extends.ts).
 */
import type { Locate, Path } from './types.js';
import type { Provenance } from './provenance.js';
import { displayValue } from '../errors.js';

/** How one source is merged over the accumulated data. */
export interface MergeSource {
  readonly locate: Locate;
  readonly prov: Provenance;
  /** JSON keys (see pathKey) of paths tagged `!reset` / `!override` in this source. */
  readonly resets: ReadonlySet<string>;
  readonly overrides: ReadonlySet<string>;
  /** Maps a merged path to this source's path (extends merges a service under another name). */
  readonly sourcePath: (path: Path) => Path;
}

type Rule = 'replace' | 'by-key' | 'ports' | 'volumes' | 'by-source' | 'list-or-map' | 'append' | 'deep';

export function pathKey(path: Path): string {
  return JSON.stringify(path.map(String));
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const SERVICE_RULES: Readonly<Record<string, Rule>> = {
  command: 'replace',
  entrypoint: 'replace',
  'healthcheck.test': 'replace',
  environment: 'by-key',
  labels: 'by-key',
  annotations: 'by-key',
  sysctls: 'by-key',
  extra_hosts: 'by-key',
  'build.args': 'by-key',
  'build.labels': 'by-key',
  'build.extra_hosts': 'by-key',
  'deploy.labels': 'by-key',
  ports: 'ports',
  volumes: 'volumes',
  secrets: 'by-source',
  configs: 'by-source',
  depends_on: 'list-or-map',
  networks: 'list-or-map',
};

function ruleFor(path: Path): Rule {
  if (path[0] === 'services' && path.length >= 3) {
    const rule = SERVICE_RULES[path.slice(2).join('.')];
    if (rule) return rule;
  } else if (path.length === 3 && (path[2] === 'labels' || path[2] === 'driver_opts')) {
    return 'by-key';
  }
  return 'deep';
}

/** Deep copy into prototype-free maps. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (!isPlainMap(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = copy(value[key]);
  return out;
}

/**
 * Deep copy into prototype-free maps, leaving out paths tagged `!reset`. Without any, a plain
 * copy: a path key per node of the file took ~40 ms of loading 500 services.
 */
function clone(value: unknown, path: Path, src: MergeSource): unknown {
  if (src.resets.size === 0) return copy(value);
  if (Array.isArray(value)) return value.map((item: unknown, i) => clone(item, [...path, i], src));
  if (!isPlainMap(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) {
    if (!src.resets.has(pathKey([...path, key]))) out[key] = clone(item, [...path, key], src);
  }
  return out;
}

function take(value: unknown, path: Path, src: MergeSource): unknown {
  src.prov.record(path, src.locate, src.sourcePath(path));
  return clone(value, path, src);
}

/** `KEY=VALUE` (or `host:ip` for extra_hosts) list entries as [key, value]. */
function splitEntry(entry: unknown, hosts: boolean): [string, unknown] {
  const text = String(entry);
  const eq = text.indexOf('=');
  const colon = hosts ? text.indexOf(':') : -1;
  const at = eq === -1 ? colon : colon === -1 ? eq : Math.min(eq, colon);
  return at === -1 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
}

function toMap(value: unknown, hosts: boolean): Record<string, unknown> {
  if (isPlainMap(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  if (Array.isArray(value))
    for (const entry of value) {
      const [k, v] = splitEntry(entry, hosts);
      out[k] = v;
    }
  return out;
}

/** Identity of a list item for the unique-by rules; undefined = always appended. */
function identity(rule: Rule, item: unknown): string | undefined {
  if (rule === 'ports') {
    if (isPlainMap(item))
      return (
        `${displayValue(item['published'] ?? '')}:${displayValue(item['target'] ?? '')}/` +
        `${displayValue(item['protocol'] ?? 'tcp')}`
      );
    const [spec, protocol = 'tcp'] = String(item).split('/');
    const parts = (spec ?? '').split(':');
    const target = parts[parts.length - 1] ?? '';
    const published = parts.length > 1 ? parts[parts.length - 2] : '';
    return `${published}:${target}/${protocol}`;
  }
  if (rule === 'volumes') {
    if (isPlainMap(item)) return displayValue(item['target'] ?? '');
    const parts = String(item).split(':');
    return parts.length === 1 ? parts[0] : parts[1];
  }
  if (rule === 'by-source') return isPlainMap(item) ? displayValue(item['source'] ?? '') : String(item);
  // Plain appended lists drop exact scalar duplicates (a profile or capability listed twice).
  return item === null || typeof item !== 'object' ? `scalar:${typeof item}:${String(item)}` : undefined;
}

function mergeLists(rule: Rule, base: unknown[], over: unknown[], path: Path, src: MergeSource): unknown[] {
  const out = [...base];
  const index = new Map<string, number>();
  out.forEach((item, i) => {
    const id = identity(rule, item);
    if (id !== undefined) index.set(id, i);
  });
  over.forEach((item, i) => {
    const id = identity(rule, item);
    const at = id === undefined ? undefined : index.get(id);
    const target = at ?? out.length;
    if (id !== undefined) index.set(id, target);
    src.prov.record([...path, target], src.locate, src.sourcePath([...path, i]));
    out[target] = clone(item, [...path, i], src);
  });
  return out;
}

/** Merges `over` (from `src`) over `base` at `path`; returns the new value. */
export function mergeValue(base: unknown, over: unknown, path: Path, src: MergeSource): unknown {
  if (src.overrides.has(pathKey(path)) || base === undefined) return take(over, path, src);
  // An empty value in an override file keeps what was there (use `!reset` to remove).
  if (over === null && base !== null) return base;
  const rule = ruleFor(path);
  if (rule === 'replace') return take(over, path, src);
  if (rule === 'by-key' && (Array.isArray(base) || isPlainMap(base)) && (Array.isArray(over) || isPlainMap(over))) {
    const hosts = path[path.length - 1] === 'extra_hosts';
    if (Array.isArray(base) && Array.isArray(over)) {
      // Both lists: keep the list form, later entries replace earlier ones with the same key.
      const keyed = (item: unknown): string => splitEntry(item, hosts)[0];
      const out: unknown[] = (base as unknown[]).filter(
        (item) => !(over as unknown[]).some((o) => keyed(o) === keyed(item)),
      );
      const offset = out.length;
      over.forEach((_, i) => src.prov.record([...path, offset + i], src.locate, src.sourcePath([...path, i])));
      const cloned: unknown[] = clone(over, path, src) as unknown[];
      return [...out, ...cloned];
    }
    return mergeMaps(toMap(base, hosts), toMap(over, hosts), path, src, true);
  }
  if (
    rule === 'list-or-map' &&
    (Array.isArray(base) || isPlainMap(base)) &&
    (Array.isArray(over) || isPlainMap(over))
  ) {
    if (!Array.isArray(base) || !Array.isArray(over))
      return mergeMaps(toMap(base, false), toMap(over, false), path, src, false);
  }
  if (Array.isArray(base) && Array.isArray(over))
    return mergeLists(rule === 'deep' || rule === 'list-or-map' ? 'append' : rule, base, over, path, src);
  if (isPlainMap(base) && isPlainMap(over)) return mergeMaps(base, over, path, src, false);
  return take(over, path, src);
}

/** Merges two mappings key by key (`flat`: values replace, no deeper merge). */
export function mergeMaps(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  path: Path,
  src: MergeSource,
  flat: boolean,
): Record<string, unknown> {
  const out = Object.assign(Object.create(null) as Record<string, unknown>, base);
  for (const [key, value] of Object.entries(over)) {
    const at = [...path, key];
    if (src.resets.has(pathKey(at))) delete out[key];
    else out[key] = flat ? take(value, at, src) : mergeValue(out[key], value, at, src);
  }
  return out;
}
