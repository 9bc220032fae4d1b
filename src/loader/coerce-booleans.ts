/**
 * YAML 1.2 reads `yes`/`no`/`on`/`off` as strings, Compose files written for YAML 1.1 still
 * use them, and interpolation always yields strings (`tty: ${TTY}`). Where the schema wants
 * a boolean, such strings are turned into booleans in place before validation.
 */
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { childNode } from './schema-index.js';
import type { SchemaNode } from './schema-index.js';
import type { Locate, Path } from './types.js';

const TRUE = new Set(['yes', 'on', 'true', 'y']);
const FALSE = new Set(['no', 'off', 'false', 'n']);

/** The boolean a YAML 1.1 style word stands for, or undefined. */
export function booleanWord(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return undefined;
}

function dotted(path: Path): string {
  return path.map(String).join('.');
}

/**
 * Coerces boolean-ish strings under `data` where `schema` says boolean, in place. A warning
 * is given for each, except for exactly `true`/`false`, which can only come from
 * interpolation (a literal `true` is already a boolean) and are not a mistake.
 */
export function coerceBooleans(
  data: unknown,
  schema: SchemaNode | undefined,
  locate: Locate,
  path: Path = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!schema || data === null || typeof data !== 'object') return out;
  const entries: [string | number, unknown][] = Array.isArray(data) ? data.map((v, i) => [i, v]) : Object.entries(data);
  for (const [key, value] of entries) {
    if (typeof key === 'string' && key.startsWith('x-')) continue;
    const child = childNode(schema, key);
    const childPath = [...path, key];
    if (child?.boolean && typeof value === 'string') {
      const coerced = booleanWord(value);
      if (coerced === undefined) continue;
      (data as Record<string | number, unknown>)[key] = coerced;
      if (value === 'true' || value === 'false') continue;
      out.push(
        diagnostic(
          'BOOLEAN_COERCED',
          `"${value}" in ${dotted(childPath)} is read as ${coerced}`,
          locate(childPath),
          `write ${coerced} (YAML 1.2 reads "${value}" as a string)`,
          'warning',
        ),
      );
    } else {
      out.push(...coerceBooleans(value, child, locate, childPath));
    }
  }
  return out;
}
