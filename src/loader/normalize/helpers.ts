/**
 * Small helpers shared by the normalizers: a diagnostics collector positioned by path, and
 * readers that accept the loosely typed raw data the schema already checked.
 */
import { isAbsolute, resolve } from 'node:path';
import { diagnostic } from '../../errors.js';
import type { Diagnostic, ErrorCode } from '../../errors.js';
import type { Locate, NormalizeContext, Path } from '../types.js';

/** Collects positioned diagnostics while normalizing. */
export class Issues {
  readonly list: Diagnostic[] = [];
  constructor(private readonly locate: Locate) {}

  error(code: ErrorCode, message: string, path: Path, hint?: string): undefined {
    this.list.push(diagnostic(code, message, this.locate(path), hint));
    return undefined;
  }

  warn(code: ErrorCode, message: string, path: Path, hint?: string): void {
    this.list.push(diagnostic(code, message, this.locate(path), hint, 'warning'));
  }
}

/** The hint of NOT_A_REGULAR_FILE (env_file, secrets and configs). */
export const irregularHint = 'name a regular file: write the values into one (or use `environment:`)';

/** `{ key: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
export function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asMap(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A scalar as a string (numbers and booleans as YAML writes them); undefined for null/absent. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function asBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** Strings of a list (or a single string as a one-item list). */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return asList(value)
    .map(asString)
    .filter((s): s is string => s !== undefined);
}

/** An integer from a number or a numeric string (interpolation yields strings). */
export function asInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A list of `key=value` (bare key: `bare(key)`) or a mapping, as a record; scalars stringified. */
export function listOrDict<T>(
  value: unknown,
  bare: (key: string) => T,
  nullValue: (key: string) => T,
): Record<string, string | T> {
  const out: Record<string, string | T> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = asString(item);
      if (text === undefined) continue;
      const eq = text.indexOf('=');
      if (eq === -1) out[text] = bare(text);
      else out[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isMap(value)) {
    for (const [key, item] of Object.entries(value)) {
      const text = asString(item);
      out[key] = text === undefined ? nullValue(key) : text;
    }
  }
  return out;
}

/** A record of strings from a list or mapping; bare keys and nulls become "". */
export function stringDict(value: unknown): Record<string, string> {
  return listOrDict(
    value,
    () => '',
    () => '',
  );
}

/** Resolves a host path: `~` against HOME from the env, relative against the working dir. */
export function resolveHostPath(path: string, ctx: NormalizeContext): string {
  const home = ctx.env['HOME'];
  if ((path === '~' || path.startsWith('~/')) && home) return resolve(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(ctx.workingDir, path);
}

/** Octal modes: a number as written, or a string of octal digits. */
export function asMode(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^0?[0-7]+$/.test(value)) return parseInt(value, 8);
  return undefined;
}
