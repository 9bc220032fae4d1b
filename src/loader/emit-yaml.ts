/**
 * A fast YAML emitter for the JSON-shaped data `stack config` prints. It writes the same text
 * as yaml's `stringify(data, { lineWidth: 0 })` (a property test compares them) at a fraction
 * of its cost: yaml builds a node tree and runs a general stringifier over it, which took
 * ~180 ms for 500 services. Scalars whose style needs yaml's judgement (quoted keys,
 * multi-line strings, control characters) are still written by yaml, one scalar at a time.
 * Anything outside the JSON shape (undefined, bigint, very long keys, ...) returns undefined,
 * and the caller uses yaml for the whole document.
 */
import { stringify } from 'yaml';

/** Nothing this emitter handles; the caller falls back to yaml. */
class Unsupported extends Error {}

// yaml's plainString refuses these (an indicator first, ': ' or ' #' inside, a space or ':'
// at the end, ...); a plain scalar must also not read back as another type (core schema).
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
// The default tags of yaml's core schema other than str (null, bool, int, float), as tested
// by plainString.
const CORE_NON_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
const SIMPLE_QUOTED = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Keys longer than this become explicit (`? key`) in yaml's output. */
const MAX_IMPLICIT_KEY = 1000;

/** Plain in any context; strings with a document marker are plain in some places only. */
function isPlain(value: string): boolean {
  return (
    !value.includes('\n') &&
    !NOT_PLAIN.test(value) &&
    !DOCUMENT_MARKER.test(value) &&
    !CONTROL.test(value) &&
    !CORE_NON_STRING.some((re) => re.test(value))
  );
}

/**
 * yaml's text for `inner` (a one-key mapping) written at `depth` levels of nesting: the line
 * of its key and what follows, without the indentation. yaml's choices that depend on the
 * context (block scalar indentation, document markers) are made as in the real document.
 */
function inContext(inner: Record<string, unknown>, depth: number): string {
  let wrapped: Record<string, unknown> = inner;
  for (let d = depth; d > 0; d--) wrapped = { k: wrapped };
  const text = stringify(wrapped, { lineWidth: 0 });
  const start = depth === 0 ? 0 : text.indexOf('\n' + '  '.repeat(depth)) + 1 + 2 * depth;
  if (start <= 0 && depth > 0) throw new Unsupported();
  return text.slice(start, -1);
}

/** yaml's text for a string value written after `- ` or `key: `; `indent` is the value's (the line's + 2). */
function stringValue(value: string, indent: string): string {
  if (isPlain(value)) return value;
  // Printable ASCII without quotes or backslashes: yaml double-quotes it as it is.
  if (SIMPLE_QUOTED.test(value) && !DOCUMENT_MARKER.test(value)) return `"${value}"`;
  if (!value.includes('\n') && !DOCUMENT_MARKER.test(value)) return stringify(value, { lineWidth: 0 }).slice(0, -1);
  const text = inContext({ k: value }, indent.length / 2 - 1);
  if (!text.startsWith('k: ')) throw new Unsupported();
  return text.slice(3);
}

function keyText(key: string, indent: string): string {
  if (key.length > MAX_IMPLICIT_KEY || key.includes('\n')) throw new Unsupported();
  if (isPlain(key)) return key;
  const text = inContext({ [key]: 0 }, indent.length / 2);
  if (!text.endsWith(': 0') || text.includes('\n')) throw new Unsupported();
  return text.slice(0, -3);
}

function scalarText(value: unknown, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return stringValue(value, indent);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  }
  throw new Unsupported();
}

function isCollection(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

function isEmpty(value: Record<string, unknown> | unknown[]): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function checkPlainObject(value: object): void {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== null && proto !== Object.prototype) throw new Unsupported();
}

/** Writes a collection's entries, each line starting with `indent`; `first` replaces the first indent. */
function emitCollection(
  value: Record<string, unknown> | unknown[],
  indent: string,
  out: string[],
  first: string,
): void {
  checkPlainObject(value);
  let lead = first;
  const child = indent + '  ';
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined) throw new Unsupported();
      if (isCollection(item) && !isEmpty(item)) {
        // `- ` then the collection's first entry on the same line, the rest under it.
        emitCollection(item, child, out, lead + '- ');
      } else {
        out.push(`${lead}- ${isCollection(item) ? emptyText(item) : scalarText(item, child)}\n`);
      }
      lead = indent;
    }
    return;
  }
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined) throw new Unsupported();
    const k = keyText(key, indent);
    if (isCollection(item) && !isEmpty(item)) {
      out.push(`${lead}${k}:\n`);
      emitCollection(item, child, out, child);
    } else {
      out.push(`${lead}${k}: ${isCollection(item) ? emptyText(item) : scalarText(item, child)}\n`);
    }
    lead = indent;
  }
}

function emptyText(value: object): string {
  checkPlainObject(value);
  return Array.isArray(value) ? '[]' : '{}';
}

/**
 * The YAML text of `data` (a mapping of JSON-shaped values) as yaml's
 * `stringify(data, { lineWidth: 0 })` writes it, or undefined when the data holds something
 * this emitter leaves to yaml.
 */
export function emitYaml(data: Record<string, unknown>): string | undefined {
  try {
    if (isEmpty(data)) return '{}\n';
    const out: string[] = [];
    emitCollection(data, '', out, '');
    return out.join('');
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
