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
export function coerceBooleans(data: unknown, schema: SchemaNode | undefined, locate: Locate): Diagnostic[] {
  const out: Diagnostic[] = [];
  // One path stack for the whole walk, copied only for a warning (no array per node).
  const path: (string | number)[] = [];
  const visit = (value: unknown, node: SchemaNode | undefined): void => {
    if (!node || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) visitEntry(value, index, node);
      return;
    }
    for (const key of Object.keys(value))
      if (!key.startsWith('x-')) visitEntry(value as Record<string, unknown>, key, node);
  };
  const visitEntry = (parent: Record<string, unknown> | unknown[], key: string | number, node: SchemaNode): void => {
    const entries = parent as Record<string | number, unknown>;
    const value = entries[key];
    const child = childNode(node, key);
    path.push(key);
    if (child?.boolean && typeof value === 'string') {
      const coerced = booleanWord(value);
      if (coerced !== undefined) {
        entries[key] = coerced;
        if (value !== 'true' && value !== 'false') {
          const at: Path = [...path];
          out.push(
            diagnostic(
              'BOOLEAN_COERCED',
              `"${value}" in ${dotted(at)} is read as ${coerced}`,
              locate(at),
              `write ${coerced} (YAML 1.2 reads "${value}" as a string)`,
              'warning',
            ),
          );
        }
      }
    } else {
      visit(value, child);
    }
    path.pop();
  };
  visit(data, schema);
  return out;
}
