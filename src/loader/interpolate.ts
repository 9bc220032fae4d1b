/**
 * Compose variable interpolation of string values (never keys): `$V ${V} ${V:-d} ${V-d}
 * ${V:?msg} ${V?msg} ${V:+a} ${V+a} $$`, with templates nested in the default/alternative.
 * A `$` that starts no variable stays as written, as in compose-go.
 * A substituted value is never interpolated again. Pure: the environment is passed in.
 */
import { diagnostic, noteVariableValue } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import type { Locate, Path, Result } from './types.js';

/** Variables for interpolation: shell env overlaid on `.env` (see env.ts). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Why a template could not be expanded. */
export interface TemplateError {
  readonly code: 'INTERPOLATION_REQUIRED' | 'INTERPOLATION_SYNTAX';
  readonly message: string;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
/** Nesting of `${...}` inside defaults; deeper is refused rather than risking the stack. */
const MAX_NESTING = 32;

class TemplateFailure extends Error {
  constructor(readonly detail: TemplateError) {
    super(detail.message);
  }
}

function lookup(env: Environment, name: string): string | undefined {
  // Own properties only: `${constructor}` must not find Object.prototype.constructor.
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  if (typeof value !== 'string') return undefined;
  noteVariableValue(name, value); // shown as ${NAME} wherever it is printed (errors.ts)
  return value;
}

function syntax(message: string): TemplateFailure {
  return new TemplateFailure({ code: 'INTERPOLATION_SYNTAX', message });
}

interface Scan {
  readonly text: string;
  readonly end: number;
}

/**
 * Expands `src` from `start` until the end (top level) or an unmatched `}` (nested). With
 * `active` false the text is only scanned: an unused default raises no "required" error.
 */
function expand(src: string, start: number, env: Environment, nested: boolean, active: boolean, depth: number): Scan {
  if (depth > MAX_NESTING) throw syntax(`templates nested more than ${MAX_NESTING} deep`);
  let out = '';
  let i = start;
  while (i < src.length) {
    const ch = src[i]!;
    if (nested && ch === '}') return { text: out, end: i };
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = src[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const braced = expandBraced(src, i + 2, env, active, depth);
      out += braced.text;
      i = braced.end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < src.length && NAME_CHAR.test(src[j]!)) j++;
      out += active ? (lookup(env, src.slice(i + 1, j)) ?? '') : '';
      i = j;
    } else {
      // As compose-go's template pattern: a `$` followed by neither `$`, `{` nor a name
      // starts no variable and is kept as written (`a $ string`, `^REGEX$`, `$1`, `$(cmd)`).
      out += '$';
      i++;
    }
  }
  if (nested) throw syntax('"${" is not closed by "}"');
  return { text: out, end: i };
}

/** `${NAME<op>word}` from just after `${`; `end` is the index of the closing `}`. */
function expandBraced(src: string, start: number, env: Environment, active: boolean, depth: number): Scan {
  let j = start;
  while (j < src.length && NAME_CHAR.test(src[j]!)) j++;
  const name = src.slice(start, j);
  if (name === '' || !NAME_START.test(name[0]!)) {
    if (!src.includes('}', start)) throw syntax('"${" is not closed by "}"');
    throw syntax(`"\${${src.slice(start, src.indexOf('}', start))}}" is not a valid variable name`);
  }
  if (src[j] === '}') return { text: active ? (lookup(env, name) ?? '') : '', end: j };
  const colon = src[j] === ':';
  const op = src[colon ? j + 1 : j];
  if (op !== '-' && op !== '?' && op !== '+') {
    if (j >= src.length) throw syntax('"${" is not closed by "}"');
    throw syntax(`"\${${name}" is followed by "${src[j]}"; expected "}", ":-", "-", ":?", "?", ":+" or "+"`);
  }
  const value = active ? lookup(env, name) : undefined;
  // `:` variants treat an empty value like an unset one.
  const isSet = colon ? value !== undefined && value !== '' : value !== undefined;
  const useWord = op === '-' ? !isSet : op === '+' ? isSet : !isSet;
  const word = expand(src, colon ? j + 2 : j + 1, env, true, active && useWord, depth + 1);
  if (!active) return { text: '', end: word.end };
  if (op === '?') {
    if (!isSet) {
      const message =
        word.text === ''
          ? `required variable ${name} is missing a value`
          : `required variable ${name} is missing a value: ${word.text}`;
      throw new TemplateFailure({ code: 'INTERPOLATION_REQUIRED', message });
    }
    return { text: value ?? '', end: word.end };
  }
  if (op === '-') return { text: isSet ? (value ?? '') : word.text, end: word.end };
  return { text: isSet ? word.text : '', end: word.end };
}

/** Expands one template string. */
export function interpolateString(template: string, env: Environment): { value: string } | { error: TemplateError } {
  if (!template.includes('$')) return { value: template };
  try {
    return { value: expand(template, 0, env, false, true, 0).text };
  } catch (error) {
    if (error instanceof TemplateFailure) return { error: error.detail };
    throw error;
  }
}

function dotted(path: Path): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/**
 * Interpolates every string value of `data` (keys are kept as written) into a new
 * prototype-free copy. Errors are positioned at the value via `locate`.
 */
export function interpolateData(
  data: Record<string, unknown>,
  env: Environment,
  locate: Locate,
): Result<Record<string, unknown>> {
  const diagnostics: Diagnostic[] = [];
  // One path stack for the whole walk (copied only for a diagnostic): a path array per node
  // was most of this pass's allocations on a large file.
  const path: (string | number)[] = [];
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value;
      const result = interpolateString(value, env);
      if ('value' in result) return result.value;
      const at: Path = [...path];
      diagnostics.push(
        diagnostic(
          result.error.code,
          `${dotted(at)}: ${result.error.message}`,
          locate(at),
          result.error.code === 'INTERPOLATION_SYNTAX'
            ? 'write "$$" for a literal "$"'
            : 'set it in the shell or in .env',
        ),
      );
      return value;
    }
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        out[index] = visit(value[index]);
        path.pop();
      }
      return out;
    }
    if (value !== null && typeof value === 'object') {
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(value)) {
        path.push(key);
        out[key] = visit((value as Record<string, unknown>)[key]);
        path.pop();
      }
      return out;
    }
    return value;
  };
  return { value: visit(data) as Record<string, unknown>, diagnostics };
}
