/**
 * ajv errors → diagnostics in YAML words. Wrapper errors (anyOf/oneOf/if) are dropped, and of
 * the errors about one field only the most specific is kept: the deepest path wins, counting
 * an unknown or missing key one level below its mapping.
 */
import { diagnostic, displayValue } from '../errors.js';
import type { Diagnostic, ErrorCode } from '../errors.js';
import { nodeAt } from './schema-index.js';
import type { SchemaNode } from './schema-index.js';
import { didYouMean } from './suggest.js';
import type { Locate, Path } from './types.js';
import type { AjvError } from './validator.js';

const WRAPPERS = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'then', 'else', 'not', 'propertyNames']);

/** Which of several errors at one place to show: the earlier in this list wins. */
const PRIORITY = ['additionalProperties', 'required', 'enum', 'const', 'type', 'pattern', 'format'];

const YAML_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true/false)',
  null: 'empty',
};

/** How each kind is written in YAML, for the hint of SCHEMA_TYPE. */
const YAML_FORMS: Readonly<Record<string, string>> = {
  object: 'a mapping: indented "key: value" lines under the key, or {key: value}',
  array: 'a list: indented "- item" lines under the key, or [a, b]',
  string: 'a string: one value after the colon, quoted if it looks like a number or a boolean ("1.0", "yes")',
  number: 'a number, without quotes',
  integer: 'a whole number, without quotes',
  boolean: 'true or false, without quotes',
  null: 'nothing after the colon',
};

/** The YAML word for a value's kind. */
export function yamlKind(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

/** Instance path → data path; list indexes become numbers (they are numbers in the data). */
function toPath(pointer: string, data: unknown): Path {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined;
  }
  return path;
}

function valueAt(data: unknown, path: Path): unknown {
  let node = data;
  for (const segment of path)
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined;
  return node;
}

/** `services.web.ports[0]`, or "the top level". */
export function describePath(path: Path): string {
  if (path.length === 0) return 'the top level';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

interface Candidate {
  readonly error: AjvError;
  readonly path: Path;
  /** The path the error is about (the unknown/missing key itself for those keywords). */
  readonly subject: Path;
}

function isAncestor(a: Path, b: Path): boolean {
  return a.length < b.length && a.every((s, i) => String(s) === String(b[i]));
}

/** Keeps the most specific errors: no wrappers, no error about an ancestor of another one. */
function mostSpecific(errors: readonly AjvError[], data: unknown): Candidate[] {
  const candidates: Candidate[] = [];
  for (const error of errors) {
    if (WRAPPERS.has(error.keyword)) continue;
    const path = toPath(error.instancePath, data);
    const extra = error.params['additionalProperty'] ?? error.params['missingProperty'] ?? error.propertyName;
    const subject = typeof extra === 'string' ? [...path, extra] : path;
    candidates.push({ error, path, subject });
  }
  const kept = candidates.filter((c) => !candidates.some((o) => isAncestor(c.subject, o.subject)));
  const best = new Map<string, Candidate>();
  for (const c of kept) {
    const id = JSON.stringify(c.subject.map(String));
    const current = best.get(id);
    const rank = (x: Candidate): number => {
      const r = PRIORITY.indexOf(x.error.keyword);
      return r === -1 ? PRIORITY.length : r;
    };
    if (!current || rank(c) < rank(current)) best.set(id, c);
  }
  return [...best.values()];
}

function toDiagnostic(c: Candidate, data: unknown, locate: Locate, index: SchemaNode): Diagnostic {
  const { error, path } = c;
  const where = describePath(path);
  const value = valueAt(data, path);
  const make = (code: ErrorCode, message: string, at: Path, hint?: string, key = false): Diagnostic =>
    diagnostic(code, message, locate(at, key ? 'key' : 'value') ?? locate(path), hint);

  if (error.propertyName !== undefined) {
    return make(
      'SCHEMA_FORMAT',
      `"${error.propertyName}" is not a valid name in ${where}`,
      c.subject,
      'names may use letters, digits, ".", "_" and "-"',
      true,
    );
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params['additionalProperty']);
      const known = [...(nodeAt(index, path)?.props.keys() ?? [])];
      return make('SCHEMA_UNKNOWN_KEY', `unknown key "${key}" in ${where}`, c.subject, didYouMean(key, known), true);
    }
    case 'required': {
      const key = String(error.params['missingProperty']);
      return make('SCHEMA_MISSING_KEY', `${where} is missing the required key "${key}"`, path);
    }
    case 'type': {
      const types = String(error.params['type']).split(',');
      const wanted = types.map((t) => YAML_WORDS[t] ?? t).join(' or ');
      const hint = `write ${types.map((t) => YAML_FORMS[t] ?? t).join('; or ')}`;
      return make('SCHEMA_TYPE', `${where} must be ${wanted}, not ${yamlKind(value)}`, path, hint);
    }
    case 'enum':
    case 'const': {
      const allowed = ((error.params['allowedValues'] as unknown[] | undefined) ?? [error.params['allowedValue']]).map(
        String,
      );
      const close = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      const hint = `${close ? close + ' ' : ''}allowed: ${allowed.join(', ')}`;
      return make('SCHEMA_ENUM', `${where} has an invalid value ${JSON.stringify(value)}`, path, hint);
    }
    case 'pattern':
    case 'format':
      return make(
        'SCHEMA_FORMAT',
        `${where} has an invalid value ${JSON.stringify(value)}`,
        path,
        error.params['pattern'] ? `expected to match ${displayValue(error.params['pattern'])}` : undefined,
      );
    default:
      return make('SCHEMA_INVALID', `${where} ${error.message ?? 'is invalid'}`, path);
  }
}

/** Turns the validator's errors into positioned diagnostics, most specific cause only. */
export function schemaDiagnostics(
  errors: readonly AjvError[],
  data: unknown,
  locate: Locate,
  index: SchemaNode,
): Diagnostic[] {
  return mostSpecific(errors, data).map((c) => toDiagnostic(c, data, locate, index));
}
