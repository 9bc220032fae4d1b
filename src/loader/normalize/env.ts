/**
 * `environment:` (list, mapping, bare keys resolved from the env) overlaid on `env_file:`
 * (string, list, `{path, required}`), and `extra_hosts:` (list or mapping, `host:ip` or
 * `host=ip`) in the `host:ip` form.
 */
import { asBool, asList, asString, irregularHint, isMap, listOrDict, resolveHostPath } from './helpers.js';
import type { Issues } from './helpers.js';
import type { NormalizeContext, Path } from '../types.js';

/** A service's environment and the env files it was read from. */
export interface NormalizedEnvironment {
  readonly environment: Record<string, string | null>;
  readonly envFiles: { readonly path: string; readonly required: boolean }[];
}

function fromShell(ctx: NormalizeContext, key: string): string | null {
  return Object.hasOwn(ctx.env, key) ? (ctx.env[key] ?? null) : null;
}

/** Reads the env files of `service` (path of the service), then overlays `environment:`. */
export function normalizeEnvironment(
  service: Record<string, unknown>,
  path: Path,
  ctx: NormalizeContext,
  issues: Issues,
): NormalizedEnvironment {
  const environment: Record<string, string | null> = {};
  const envFiles: { path: string; required: boolean }[] = [];
  const rawFiles = service['env_file'];
  const entries = typeof rawFiles === 'string' ? [rawFiles] : asList(rawFiles);
  entries.forEach((entry, i) => {
    const at = typeof rawFiles === 'string' ? [...path, 'env_file'] : [...path, 'env_file', i];
    const file = isMap(entry) ? asString(entry['path']) : asString(entry);
    if (file === undefined) return;
    const required = isMap(entry) ? (asBool(entry['required']) ?? true) : true;
    const absolute = resolveHostPath(file, ctx);
    envFiles.push({ path: absolute, required });
    const irregular = ctx.irregularFile?.(absolute);
    if (irregular !== undefined) {
      issues.error('NOT_A_REGULAR_FILE', `env file "${file}" is ${irregular} (${absolute})`, at, irregularHint);
      return;
    }
    const values = ctx.readEnvFile(absolute);
    if (values === undefined) {
      if (required)
        issues.error(
          'ENV_FILE_NOT_FOUND',
          `env file "${file}" not found (${absolute})`,
          at,
          'create it, or mark it `required: false`',
        );
      return;
    }
    Object.assign(environment, values);
  });
  // A bare key, or a key without a value, takes its value from the shell (or stays unset).
  Object.assign(
    environment,
    listOrDict(
      service['environment'],
      (key) => fromShell(ctx, key),
      (key) => fromShell(ctx, key),
    ),
  );
  return { environment, envFiles };
}

function splitHost(entry: string): [string, string] | undefined {
  // `host=ip` first: an IPv6 address has ':' but never '='.
  const eq = entry.indexOf('=');
  const sep = eq !== -1 ? eq : entry.indexOf(':');
  if (sep <= 0 || sep === entry.length - 1) return undefined;
  return [entry.slice(0, sep).trim(), entry.slice(sep + 1).trim()];
}

function unbracket(ip: string): string {
  return ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}

/** `extra_hosts:` as `host:ip` strings. */
export function normalizeExtraHosts(value: unknown, path: Path, issues: Issues): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const text = asString(item) ?? '';
      const pair = splitHost(text);
      if (!pair) {
        issues.error(
          'INVALID_EXTRA_HOST',
          `invalid extra host "${text}"`,
          [...path, i],
          'expected "host:ip" or "host=ip"',
        );
        return;
      }
      out.push(`${pair[0]}:${unbracket(pair[1])}`);
    });
  } else if (isMap(value)) {
    for (const [host, ips] of Object.entries(value)) {
      const list = Array.isArray(ips) ? ips.map(asString) : [asString(ips)];
      for (const ip of list) {
        if (!ip)
          issues.error(
            'INVALID_EXTRA_HOST',
            `extra host "${host}" has no IP address`,
            [...path, host],
            'expected "host: ip"',
          );
        else out.push(`${host}:${unbracket(ip)}`);
      }
    }
  }
  return out;
}
