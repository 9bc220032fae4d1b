/**
 * Service `volumes:` short and long syntax → MountSpec. Short: `[source:]target[:mode]`,
 * where a source starting with `.`, `/` or `~` is a bind (resolved to an absolute path), any
 * other source names a top-level volume, and no source is an anonymous volume.
 */
import type { MountSpec, MountType } from '../../model.js';
import { asBool, asMode, asString, isMap, opt, resolveHostPath } from './helpers.js';
import type { Issues } from './helpers.js';
import { parseSize } from './units.js';
import type { NormalizeContext, Path } from '../types.js';
import { displayValue } from '../../errors.js';

const PROPAGATION = ['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** `C:\\data` or `C:/data`: an absolute path of a Windows engine (Compose accepts them). */
export const WINDOWS_PATH = /^[A-Za-z]:[\\/]/;

function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || WINDOWS_PATH.test(source);
}

/** Splits on ":" but keeps a drive letter with its path (`data:C:\\db:ro` → data, C:\\db, ro). */
function splitShort(text: string): string[] {
  const raw = text.split(':');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i]!;
    const next = raw[i + 1];
    if (/^[A-Za-z]$/.test(part) && next !== undefined && /^[\\/]/.test(next)) {
      out.push(`${part}:${next}`);
      i++;
    } else out.push(part);
  }
  return out;
}

function parseShort(text: string, path: Path, ctx: NormalizeContext, issues: Issues): MountSpec | undefined {
  const bad = (why: string): undefined =>
    issues.error(
      'INVALID_VOLUME',
      `invalid volume "${text}": ${why}`,
      path,
      'expected "target", "source:target" or "source:target:ro"',
    );
  const parts = splitShort(text);
  if (parts.length > 3 || parts.some((p) => p === ''))
    return bad('expected at most three ":"-separated parts, none empty');
  const [first, second, third] = parts as [string, string | undefined, string | undefined];
  const source = second === undefined ? undefined : first;
  const target = second ?? first;
  if (!target.startsWith('/') && !WINDOWS_PATH.test(target))
    return bad(`the container path "${target}" must be absolute`);
  let readOnly = false;
  let selinux: 'z' | 'Z' | undefined;
  let nocopy = false;
  let propagation: string | undefined;
  let consistency: string | undefined;
  for (const option of third?.split(',') ?? []) {
    if (option === 'ro' || option === 'rw') readOnly = option === 'ro';
    else if (option === 'z' || option === 'Z') selinux = option;
    else if (option === 'nocopy') nocopy = true;
    else if (PROPAGATION.includes(option)) propagation = option;
    else if (CONSISTENCY.includes(option)) consistency = option;
    else return bad(`unknown option "${option}" (ro, rw, z, Z, nocopy, a propagation or a consistency)`);
  }
  if (source === undefined) return { type: 'volume', target, readOnly, volume: { nocopy } };
  if (isHostPath(source)) {
    // The short syntax creates a missing host directory, as `docker run -v` does.
    const bind = {
      createHostPath: true,
      ...opt('propagation', propagation),
      ...opt<'selinux', 'z' | 'Z'>('selinux', selinux),
    };
    return {
      type: 'bind',
      source: WINDOWS_PATH.test(source) ? source : resolveHostPath(source, ctx),
      target,
      readOnly,
      ...opt('consistency', consistency),
      bind,
    };
  }
  if (!VOLUME_NAME.test(source)) return bad(`"${source}" is neither a path (start it with ./ or /) nor a volume name`);
  return { type: 'volume', source, target, readOnly, ...opt('consistency', consistency), volume: { nocopy } };
}

function parseLong(
  raw: Record<string, unknown>,
  path: Path,
  ctx: NormalizeContext,
  issues: Issues,
): MountSpec | undefined {
  const type = (asString(raw['type']) ?? 'volume') as MountType;
  const target = asString(raw['target']) ?? '';
  if (!target.startsWith('/') && !WINDOWS_PATH.test(target) && type !== 'npipe') {
    return issues.error('INVALID_VOLUME', `the container path "${target}" must be absolute`, [...path, 'target']);
  }
  const rawSource = asString(raw['source']) || undefined;
  if (type === 'bind' && rawSource === undefined)
    return issues.error('INVALID_VOLUME', 'a bind mount needs a "source"', path);
  const source = type === 'bind' && rawSource !== undefined ? resolveHostPath(rawSource, ctx) : rawSource;
  const bind = isMap(raw['bind']) ? raw['bind'] : {};
  const volume = isMap(raw['volume']) ? raw['volume'] : {};
  const tmpfs = isMap(raw['tmpfs']) ? raw['tmpfs'] : undefined;
  let size: number | undefined;
  if (tmpfs?.['size'] !== undefined) {
    size = parseSize(tmpfs['size']);
    if (size === undefined || size < 0)
      return issues.error(
        'INVALID_SIZE',
        `invalid tmpfs size "${displayValue(tmpfs['size'])}"`,
        [...path, 'tmpfs', 'size'],
        'e.g. 64m, 1g or a number of bytes',
      );
  }
  const selinuxRaw = asString(bind['selinux']);
  const selinux = selinuxRaw === 'z' || selinuxRaw === 'Z' ? selinuxRaw : undefined;
  return {
    type,
    ...opt('source', type === 'tmpfs' ? undefined : source),
    target,
    readOnly: asBool(raw['read_only']) ?? false,
    ...opt('consistency', asString(raw['consistency'])),
    ...(type === 'bind'
      ? {
          bind: {
            createHostPath: asBool(bind['create_host_path']) ?? false,
            ...opt('propagation', asString(bind['propagation'])),
            ...opt<'selinux', 'z' | 'Z'>('selinux', selinux),
          },
        }
      : {}),
    ...(type === 'volume'
      ? { volume: { nocopy: asBool(volume['nocopy']) ?? false, ...opt('subpath', asString(volume['subpath'])) } }
      : {}),
    ...(type === 'tmpfs' ? { tmpfs: { ...opt('size', size), ...opt('mode', asMode(tmpfs?.['mode'])) } } : {}),
  };
}

/** Normalizes a service's `volumes:` list; `path` is the path of the list. */
export function normalizeVolumes(value: unknown, path: Path, ctx: NormalizeContext, issues: Issues): MountSpec[] {
  if (!Array.isArray(value)) return [];
  const out: MountSpec[] = [];
  value.forEach((item, i) => {
    const at = [...path, i];
    const mount =
      typeof item === 'string'
        ? parseShort(item.trim(), at, ctx, issues)
        : isMap(item)
          ? parseLong(item, at, ctx, issues)
          : undefined;
    if (mount) out.push(mount);
  });
  return out;
}
