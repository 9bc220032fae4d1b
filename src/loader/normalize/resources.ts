/**
 * Top-level networks, volumes, secrets and configs with their engine names:
 * `<project>_<key>` unless `name:` is set; an external resource keeps its key (or `name:`).
 */
import type { IpamSpec, NetworkSpec, SecretSpec, VolumeSpec } from '../../model.js';
import { asBool, asList, asString, irregularHint, isMap, opt, resolveHostPath, stringDict } from './helpers.js';
import type { Issues } from './helpers.js';
import type { NormalizeContext } from '../types.js';

interface Naming {
  readonly name: string;
  readonly external: boolean;
}

function naming(key: string, raw: Record<string, unknown>, ctx: NormalizeContext): Naming {
  const externalRaw = raw['external'];
  // `external: {name: x}` is the legacy spelling of `external: true` + `name: x`.
  const legacyName = isMap(externalRaw) ? asString(externalRaw['name']) : undefined;
  const external = isMap(externalRaw) || asBool(externalRaw) === true;
  const explicit = asString(raw['name']) ?? legacyName;
  return { external, name: explicit ?? (external ? key : `${ctx.projectName}_${key}`) };
}

function normalizeIpam(value: unknown): IpamSpec | undefined {
  if (!isMap(value)) return undefined;
  return {
    ...opt('driver', asString(value['driver'])),
    config: asList(value['config'])
      .filter(isMap)
      .map((c) => ({
        ...opt('subnet', asString(c['subnet'])),
        ...opt('ipRange', asString(c['ip_range'])),
        ...opt('gateway', asString(c['gateway'])),
        ...(isMap(c['aux_addresses']) ? { auxAddresses: stringDict(c['aux_addresses']) } : {}),
      })),
    options: stringDict(value['options']),
  };
}

/** One top-level network. */
export function normalizeNetwork(key: string, value: unknown, ctx: NormalizeContext): NetworkSpec {
  const raw = isMap(value) ? value : {};
  return {
    key,
    ...naming(key, raw, ctx),
    ...opt('driver', asString(raw['driver'])),
    driverOpts: stringDict(raw['driver_opts']),
    attachable: asBool(raw['attachable']) ?? false,
    internal: asBool(raw['internal']) ?? false,
    enableIpv6: asBool(raw['enable_ipv6']) ?? false,
    ...opt('ipam', normalizeIpam(raw['ipam'])),
    labels: stringDict(raw['labels']),
    ...opt('location', ctx.locate(['networks', key], 'key')),
  };
}

/** The implicit `default` network, `<project>_default`. */
export function defaultNetwork(ctx: NormalizeContext): NetworkSpec {
  return {
    key: 'default',
    name: `${ctx.projectName}_default`,
    external: false,
    driverOpts: {},
    attachable: false,
    internal: false,
    enableIpv6: false,
    labels: {},
  };
}

/** One top-level volume. */
export function normalizeVolume(key: string, value: unknown, ctx: NormalizeContext): VolumeSpec {
  const raw = isMap(value) ? value : {};
  return {
    key,
    ...naming(key, raw, ctx),
    ...opt('driver', asString(raw['driver'])),
    driverOpts: stringDict(raw['driver_opts']),
    labels: stringDict(raw['labels']),
    ...opt('location', ctx.locate(['volumes', key], 'key')),
  };
}

/** One top-level secret or config (`kind`); `file:` resolved to an absolute path, a regular file. */
export function normalizeFileResource(
  kind: 'secrets' | 'configs',
  key: string,
  value: unknown,
  ctx: NormalizeContext,
  issues: Issues,
): SecretSpec {
  const raw = isMap(value) ? value : {};
  const file = asString(raw['file']);
  const variable = asString(raw['environment']);
  const path = file === undefined ? undefined : resolveHostPath(file, ctx);
  const irregular = path === undefined || raw['external'] ? undefined : ctx.irregularFile?.(path);
  if (irregular !== undefined)
    issues.error(
      'NOT_A_REGULAR_FILE',
      `${kind === 'secrets' ? 'secret' : 'config'} ${key}: file "${file}" is ${irregular} (${path})`,
      [kind, key, 'file'],
      irregularHint,
    );
  return {
    key,
    ...naming(key, raw, ctx),
    ...opt('file', path),
    ...opt('digest', path === undefined || raw['external'] ? undefined : ctx.digestFile?.(path)),
    ...opt('environment', variable),
    ...opt('value', variable === undefined ? undefined : ctx.env[variable]),
    ...opt('content', asString(raw['content'])),
  };
}
