/**
 * `ports:` short and long syntax → PortSpec. Short: `[[host_ip:]published:]target[/proto]`,
 * IPv6 host IPs in brackets, port ranges; a target range becomes one entry per port.
 */
import type { PortSpec, Protocol } from '../../model.js';
import { asInt, asString, isMap, opt } from './helpers.js';
import type { Issues } from './helpers.js';
import type { Path } from '../types.js';

const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];
const FORMS =
  'expected "target", "published:target" or "host_ip:published:target", with an optional "/tcp", "/udp" or "/sctp"';

interface Range {
  readonly start: number;
  readonly end: number;
}

function parseRange(text: string): Range | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start < 1 || end > 65535 || end < start) return undefined;
  return { start, end };
}

function rangeText(range: Range): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/** Splits `ip:published:target` with a bracketed IPv6 address allowed in front. */
function splitShort(text: string): { hostIp?: string; published?: string; target: string } | undefined {
  let rest = text;
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end === -1 || rest[end + 1] !== ':') return undefined;
    hostIp = rest.slice(1, end);
    rest = rest.slice(end + 2);
  }
  const parts = rest.split(':');
  if (parts.length === 1 && hostIp === undefined) return { target: parts[0]! };
  if (parts.length === 2) return { ...opt('hostIp', hostIp), published: parts[0]!, target: parts[1]! };
  if (parts.length === 3 && hostIp === undefined) return { hostIp: parts[0]!, published: parts[1]!, target: parts[2]! };
  return undefined;
}

function parseShort(text: string, path: Path, issues: Issues): PortSpec[] {
  const bad = (why: string): PortSpec[] =>
    issues.error('INVALID_PORT', `invalid port "${text}": ${why}`, path, FORMS) ?? [];
  const slash = text.lastIndexOf('/');
  const protocol = slash === -1 ? 'tcp' : text.slice(slash + 1).toLowerCase();
  if (!PROTOCOLS.includes(protocol)) return bad(`unknown protocol "${protocol}"`);
  const parts = splitShort(slash === -1 ? text : text.slice(0, slash));
  if (!parts) return bad('too many ":" (write an IPv6 host IP in brackets: "[::1]:80:80")');
  const target = parseRange(parts.target);
  if (!target) return bad('the container port must be a number (or range) from 1 to 65535');
  const published = parts.published === undefined || parts.published === '' ? undefined : parseRange(parts.published);
  if (parts.published && !published) return bad('the host port must be a number (or range) from 1 to 65535');
  const base = {
    protocol: protocol as Protocol,
    mode: 'ingress' as const,
    ...opt('hostIp', parts.hostIp || undefined),
  };
  const count = target.end - target.start + 1;
  if (published && count > 1 && published.end - published.start + 1 !== count)
    return bad('the host and container ranges differ in length');
  const out: PortSpec[] = [];
  for (let i = 0; i < count; i++) {
    // A single target with a host range lets the engine pick one port of the range.
    const host = published === undefined ? undefined : count > 1 ? String(published.start + i) : rangeText(published);
    out.push({ target: target.start + i, ...opt('published', host), ...base });
  }
  return out;
}

function parseLong(raw: Record<string, unknown>, path: Path, issues: Issues): PortSpec[] {
  const target = asInt(raw['target']);
  if (target === undefined || target < 1 || target > 65535) {
    return (
      issues.error('INVALID_PORT', 'the container port "target" must be a number from 1 to 65535', [
        ...path,
        'target',
      ]) ?? []
    );
  }
  const publishedText = asString(raw['published']);
  if (publishedText !== undefined && publishedText !== '' && !parseRange(publishedText)) {
    return (
      issues.error(
        'INVALID_PORT',
        `invalid host port "${publishedText}"`,
        [...path, 'published'],
        'a number or range from 1 to 65535',
      ) ?? []
    );
  }
  const protocol = (asString(raw['protocol']) ?? 'tcp').toLowerCase();
  const mode = asString(raw['mode']) === 'host' ? 'host' : 'ingress';
  return [
    {
      target,
      ...opt('published', publishedText || undefined),
      ...opt('hostIp', asString(raw['host_ip']) || undefined),
      protocol: protocol as Protocol,
      mode,
      ...opt('name', asString(raw['name'])),
      ...opt('appProtocol', asString(raw['app_protocol'])),
    },
  ];
}

/** Normalizes a service's `ports:` list; `path` is the path of the list. */
export function normalizePorts(value: unknown, path: Path, issues: Issues): PortSpec[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i) => {
    const at = [...path, i];
    if (typeof item === 'number') return parseShort(String(item), at, issues);
    if (typeof item === 'string') return parseShort(item.trim(), at, issues);
    if (isMap(item)) return parseLong(item, at, issues);
    return [];
  });
}
