/**
 * `.env` / `env_file` syntax as Compose reads it: `KEY=VALUE`, `export KEY=VALUE`, single
 * quotes (literal), double quotes (escapes, may span lines), `#` comments, blank lines and
 * a bare `KEY` that takes its value from the environment. Unquoted and double-quoted values
 * are interpolated (environment first, then earlier lines of the same file). Pure.
 */
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { interpolateString } from './interpolate.js';
import type { Environment } from './interpolate.js';
import type { Result } from './types.js';

const KEY = /^[A-Za-z_.][A-Za-z0-9_.-]*$/;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$$' };

interface Cursor {
  readonly lines: readonly string[];
  index: number;
}

/** Reads a quoted value starting after the opening quote; may consume further lines. */
function readQuoted(cursor: Cursor, first: string, quote: '"' | "'"): { raw: string; rest: string } | undefined {
  let text = first;
  let raw = '';
  for (;;) {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === quote) return { raw, rest: text.slice(i + 1) };
      if (quote === '"' && ch === '\\' && i + 1 < text.length) {
        const next = text[i + 1]!;
        // `\$` stays escaped for the interpolation that follows.
        raw += ESCAPES[next] ?? '\\' + next;
        i++;
        continue;
      }
      raw += ch;
    }
    if (cursor.index + 1 >= cursor.lines.length) return undefined;
    cursor.index++;
    text = cursor.lines[cursor.index]!;
    raw += '\n';
  }
}

/**
 * Parses the text of an env file. `lookup` provides the environment used for bare keys and
 * interpolation. Values are never put in diagnostics.
 */
export function parseEnvFile(file: string, text: string, lookup: Environment = {}): Result<Record<string, string>> {
  const values = Object.create(null) as Record<string, string>;
  const diagnostics: Diagnostic[] = [];
  const cursor: Cursor = { lines: text.replace(/^\uFEFF/, '').split(/\r?\n/), index: 0 };
  // The environment wins over earlier lines of the file, as in Compose. Looked up by name,
  // never copied: the environment's variables are only read when a value names them (what a
  // load depends on is then exactly what it read, see LoadTracer).
  const pick = (key: string | symbol): string | undefined =>
    typeof key !== 'string'
      ? undefined
      : Object.hasOwn(lookup, key)
        ? lookup[key]
        : Object.hasOwn(values, key)
          ? values[key]
          : undefined;
  const has = (key: string | symbol): boolean =>
    typeof key === 'string' && (Object.hasOwn(lookup, key) || Object.hasOwn(values, key));
  const scope = (): Environment =>
    new Proxy(Object.create(null) as Record<string, string | undefined>, {
      get: (_target, key) => pick(key),
      has: (_target, key) => has(key),
      getOwnPropertyDescriptor: (_target, key) =>
        has(key) ? { value: pick(key), writable: false, enumerable: true, configurable: true } : undefined,
    });
  for (; cursor.index < cursor.lines.length; cursor.index++) {
    const lineNo = cursor.index + 1;
    const line = cursor.lines[cursor.index]!;
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.replace(/^export\s+/, '');
    const col = line.length - body.length + 1;
    const eq = body.indexOf('=');
    const key = (eq === -1 ? body : body.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      diagnostics.push(
        diagnostic('ENV_FILE_SYNTAX', `line ${lineNo} is not KEY=VALUE (invalid variable name)`, {
          file,
          line: lineNo,
          col,
        }),
      );
      continue;
    }
    if (eq === -1) {
      const inherited = Object.hasOwn(lookup, key) ? lookup[key] : undefined;
      if (typeof inherited === 'string') values[key] = inherited;
      continue;
    }
    const after = body.slice(eq + 1).trimStart();
    const valueCol = line.length - after.length + 1;
    const quote = after[0];
    let raw: string;
    let interpolate = true;
    if (quote === '"' || quote === "'") {
      const quoted = readQuoted(cursor, after.slice(1), quote);
      if (!quoted) {
        diagnostics.push(
          diagnostic('ENV_FILE_SYNTAX', `the value of ${key} has no closing ${quote}`, {
            file,
            line: lineNo,
            col: valueCol,
          }),
        );
        break;
      }
      const rest = quoted.rest.trim();
      if (rest !== '' && !rest.startsWith('#')) {
        diagnostics.push(
          diagnostic('ENV_FILE_SYNTAX', `unexpected text after the quoted value of ${key}`, {
            file,
            line: cursor.index + 1,
            col: 1,
          }),
        );
        continue;
      }
      raw = quoted.raw;
      interpolate = quote === '"';
    } else {
      // An unquoted value ends at ` #` (an inline comment).
      raw = after.replace(/\s+#.*$/, '').trim();
    }
    if (!interpolate) {
      values[key] = raw;
      continue;
    }
    const expanded = interpolateString(raw, scope());
    if ('error' in expanded) {
      diagnostics.push(
        diagnostic('ENV_FILE_SYNTAX', `the value of ${key}: ${expanded.error.message}`, {
          file,
          line: lineNo,
          col: valueCol,
        }),
      );
      continue;
    }
    values[key] = expanded.value;
  }
  return { value: values, diagnostics };
}

/** The variables interpolation sees: `.env` / `--env-file` values overlaid by the shell env. */
export function mergeEnvironment(
  shell: Environment,
  ...files: readonly Readonly<Record<string, string>>[]
): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const file of files) Object.assign(out, file);
  for (const [key, value] of Object.entries(shell)) if (typeof value === 'string') out[key] = value;
  return out;
}
