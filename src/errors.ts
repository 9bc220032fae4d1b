/**
 * One error type for everything stack reports. A run collects every problem it can find as
 * a Diagnostic and throws them together once, so the user fixes all of them in one go.
 */

/** A position in a source file, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** Stable codes; tests assert these, never the wording. One entry each in docs/errors.md. */
export type ErrorCode =
  // YAML
  | 'YAML_SYNTAX'
  | 'YAML_DUPLICATE_KEY'
  | 'YAML_MULTIPLE_DOCS'
  | 'YAML_TAB_INDENT'
  | 'YAML_ALIAS_LIMIT'
  | 'YAML_CYCLIC_ALIAS'
  | 'YAML_TOO_LARGE'
  | 'YAML_TOO_DEEP'
  | 'YAML_BINARY'
  | 'YAML_FORBIDDEN_KEY'
  | 'YAML_NON_STRING_KEY'
  | 'EMPTY_FILE'
  | 'ROOT_NOT_MAPPING'
  // files and env
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'NO_STACK_FILE'
  | 'ENV_FILE_NOT_FOUND'
  | 'NOT_A_REGULAR_FILE'
  | 'ENV_FILE_SYNTAX'
  | 'INCLUDE_NOT_FOUND'
  | 'INCLUDE_CYCLE'
  | 'INCLUDE_CONFLICT'
  // interpolation
  | 'INTERPOLATION_REQUIRED'
  | 'INTERPOLATION_SYNTAX'
  // schema
  | 'SCHEMA_UNKNOWN_KEY'
  | 'SCHEMA_MISSING_KEY'
  | 'SCHEMA_TYPE'
  | 'SCHEMA_ENUM'
  | 'SCHEMA_FORMAT'
  | 'SCHEMA_INVALID'
  | 'UNSUPPORTED_KEY'
  | 'BOOLEAN_COERCED'
  // normalization
  | 'INVALID_PORT'
  | 'INVALID_VOLUME'
  | 'INVALID_DURATION'
  | 'INVALID_SIZE'
  | 'INVALID_COMMAND'
  | 'INVALID_EXTRA_HOST'
  | 'INVALID_PROJECT_NAME'
  | 'INVALID_VALUE'
  // semantic rules
  | 'UNKNOWN_SERVICE'
  | 'UNKNOWN_NETWORK'
  | 'UNKNOWN_VOLUME'
  | 'UNKNOWN_SECRET'
  | 'UNKNOWN_CONFIG'
  | 'DEPENDS_ON_DISABLED'
  | 'DEPENDENCY_CYCLE'
  | 'EXTENDS_CYCLE'
  | 'EXTENDS_NOT_FOUND'
  | 'PORT_CONFLICT'
  | 'DUPLICATE_MOUNT_TARGET'
  | 'NETWORK_MODE_WITH_NETWORKS'
  | 'CONTAINER_NAME_REPLICAS'
  | 'NO_IMAGE'
  | 'NO_SERVICES'
  | 'MERGE_CONFLICT'
  // usage
  | 'USAGE'
  // engine and apply
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_PERMISSION'
  | 'ENGINE_INSECURE'
  | 'ENGINE_ERROR'
  | 'ENGINE_WRITE_AMBIGUOUS'
  | 'ENGINE_API_VERSION'
  | 'APPLY_FAILED'
  | 'EXTERNAL_NOT_FOUND'
  | 'UNSUPPORTED_PROVIDER'
  | 'UNSUPPORTED_PLATFORM'
  | 'WAIT_TIMEOUT'
  | 'DEPENDENCY_FAILED'
  | 'LOCK_HELD'
  | 'LOCK_NOT_OURS'
  | 'NAME_CONFLICT'
  | 'NETWORK_IN_USE'
  | 'CONFIRMATION_REQUIRED'
  | 'IMAGE_NOT_FOUND'
  | 'PULL_FAILED'
  | 'BUILD_FAILED'
  | 'LOCK_FILE_STALE'
  | 'INTERRUPTED'
  | 'INTERNAL';

export type Severity = 'error' | 'warning';

/** One problem, positioned where the user wrote the value when that is known. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: ErrorCode;
  readonly message: string;
  readonly location?: SourceLocation;
  readonly hint?: string;
}

/** Exit codes of the CLI: 0 ok, 1 engine or apply failure, 2 invalid input or usage, 130 interrupted. */
export const ExitCode = { ok: 0, failure: 1, invalid: 2, interrupted: 130 } as const;

const INPUT_CODES = new Set<ErrorCode>([
  'USAGE',
  'NO_STACK_FILE',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'CONFIRMATION_REQUIRED',
  'LOCK_FILE_STALE',
]);

/** The error every stage throws. `diagnostics` holds all problems found (errors and warnings). */
export class StackError extends Error {
  readonly code: ErrorCode;
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { diagnostics?: readonly Diagnostic[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StackError';
    this.code = code;
    this.diagnostics = options.diagnostics ?? [];
  }

  /** Invalid input: exit 2, nothing on the engine was touched. */
  get isInputError(): boolean {
    if (INPUT_CODES.has(this.code)) return true;
    return (
      this.diagnostics.some((d) => d.severity === 'error') &&
      !this.code.startsWith('ENGINE_') &&
      this.code !== 'APPLY_FAILED'
    );
  }

  get exitCode(): number {
    if (this.code === 'INTERRUPTED') return ExitCode.interrupted;
    return this.isInputError ? ExitCode.invalid : ExitCode.failure;
  }
}

/** Builds an error-severity diagnostic; `location` and `hint` only when known. */
export function diagnostic(
  code: ErrorCode,
  message: string,
  location?: SourceLocation,
  hint?: string,
  severity: Severity = 'error',
): Diagnostic {
  return {
    severity,
    code,
    message,
    ...(location ? { location } : {}),
    ...(hint ? { hint } : {}),
  };
}

/** Throws one StackError holding every error-severity diagnostic (and the warnings beside them). */
export function throwIfErrors(diagnostics: readonly Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return;
  const first = errors[0]!;
  const message = errors.length === 1 ? first.message : `${errors.length} problems found in the stack file`;
  throw new StackError(first.code, message, { diagnostics });
}

/** Options for formatting: the source text of each file (for the caret excerpt) and colour. */
export interface FormatOptions {
  readonly sources?: ReadonlyMap<string, string>;
  readonly color?: boolean;
  /** Shown paths are made relative to this directory. */
  readonly cwd?: string;
}

function relativeTo(cwd: string | undefined, file: string): string {
  if (!cwd || !file.startsWith(cwd + '/')) return file;
  return file.slice(cwd.length + 1);
}

/**
 * Characters that must never reach a terminal as they are: C0 controls but tab and newline
 * (ESC starts escape sequences, BEL rings, CR overwrites the line), DEL, C1 controls (CSI),
 * bidi embeddings, overrides and isolates (they reorder what is shown, "Trojan Source"),
 * line/paragraph separators, invisible zero-width characters and lone surrogates.
 */
const UNSAFE =
  /[\x00-\x08\x0B-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060\u2066-\u2069\uFEFF]|[\uD800-\uDFFF]/u;

function escapeChar(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Makes text from a stack file (or the engine) safe to print: every unsafe character is shown
 * as a `\u001b`-style escape, so it is visible and inert. Newlines and tabs are kept.
 */
export function escapeForTerminal(text: string): string {
  let out = '';
  for (const ch of text) out += UNSAFE.test(ch) ? escapeChar(ch) : ch;
  return out;
}

/**
 * One source line as printed under a diagnostic (tabs as one space, unsafe characters
 * escaped, newlines too), and where the caret goes in that rendering: `col` counts UTF-16
 * units of the raw line, the returned `caret` counts units of the rendered one.
 */
export function renderSourceLine(text: string, col: number): { line: string; caret: number } {
  let line = '';
  let caret = -1;
  let offset = 0;
  for (const ch of text) {
    if (caret < 0 && offset >= col - 1) caret = line.length;
    line += ch === '\t' ? ' ' : ch === '\n' || UNSAFE.test(ch) ? escapeChar(ch) : ch;
    offset += ch.length;
  }
  return { line, caret: caret < 0 ? line.length + Math.max(0, col - 1 - offset) : caret };
}

/**
 * Values that came from variables (interpolation), by value, with the name they came from.
 * The loader notes each value it substitutes (noteVariableValue); every output path (errors,
 * diagnostics, progress, plan --json) shows such a value as `${NAME}` (redactVariables), so a
 * secret from `.env` or the shell is never printed, whatever message quotes it (ours or the
 * engine's, which may change its case: `CAP_` + upper case). Process-wide: a CLI run loads one
 * project. Values shorter than 4 characters are not secrets worth garbling every message for.
 */
const variableValues = new Map<string, string>();
let variablePattern: RegExp | undefined;

/** Records that `value` was substituted for `${name}`. */
export function noteVariableValue(name: string, value: string): void {
  if (value.length < 4 || variableValues.has(value)) return;
  variableValues.set(value, name);
  variablePattern = undefined;
  variableForms = undefined;
}

/** The recorded values (for the model cache, which replays them on a hit). */
export function notedVariableValues(): Array<[name: string, value: string]> {
  return [...variableValues].map(([value, name]) => [name, value]);
}

/** Forgets the recorded values (tests). */
export function clearVariableValues(): void {
  variableValues.clear();
  variablePattern = undefined;
  variableForms = undefined;
}

/** `text` with every value that came from a variable shown as `${NAME}` (case-insensitive). */
export function redactVariables(text: string): string {
  if (variableValues.size === 0 || text === '') return text;
  if (variablePattern === undefined || variableForms === undefined) {
    variableForms = new Map();
    for (const [value, name] of variableValues)
      for (const form of quotedForms(value)) variableForms.set(form.toLowerCase(), name);
    const forms = [...variableForms.keys()].sort((a, b) => b.length - a.length);
    variablePattern = new RegExp(forms.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu');
  }
  const forms = variableForms;
  return text.replace(variablePattern, (match) => `\${${forms.get(match.toLowerCase()) ?? '?'}}`);
}

let variableForms: Map<string, string> | undefined;

/** A value as it is, as JSON quotes it and as Go's %q quotes it (the engine's messages). */
function quotedForms(value: string): string[] {
  const go = [...value]
    .map((ch) => {
      const code = ch.codePointAt(0)!;
      const named: Record<string, string> = {
        '\u0007': '\\a',
        '\b': '\\b',
        '\f': '\\f',
        '\n': '\\n',
        '\r': '\\r',
        '\t': '\\t',
        '\v': '\\v',
        '"': '\\"',
        '\\': '\\\\',
      };
      if (named[ch] !== undefined) return named[ch];
      if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
      if (UNSAFE.test(ch)) return `\\u${code.toString(16).padStart(4, '0')}`;
      return ch;
    })
    .join('');
  return [...new Set([value, JSON.stringify(value).slice(1, -1), go])];
}

/** Text from anywhere (the engine, a file, a variable) as it may be printed: redacted, then inert. */
export function inertText(text: string): string {
  return escapeForTerminal(redactVariables(text));
}

/**
 * `stack.yaml:12:5 error[UNKNOWN_REFERENCE] message`, then the source line with a caret under
 * the column, then `  hint: ...`. Everything taken from the input is passed through
 * escapeForTerminal, and the caret stays under the rendered character.
 */
export function formatDiagnostic(d: Diagnostic, options: FormatOptions = {}): string {
  const paint = (code: string, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const where = d.location
    ? `${escapeForTerminal(relativeTo(options.cwd, d.location.file))}:${d.location.line}:${d.location.col} `
    : '';
  const label = d.severity === 'error' ? paint('31;1', `error[${d.code}]`) : paint('33;1', `warning[${d.code}]`);
  const lines = [`${where}${label} ${inertText(d.message)}`];
  // An env file's line holds a value (a password): never echoed, its position is enough.
  const source = d.location && d.code !== 'ENV_FILE_SYNTAX' ? options.sources?.get(d.location.file) : undefined;
  if (d.location && source !== undefined) {
    const text = source.split(/\r?\n/)[d.location.line - 1];
    if (text !== undefined && text.length <= 500) {
      const gutter = String(d.location.line);
      const rendered = renderSourceLine(text, d.location.col);
      lines.push(`${' '.repeat(gutter.length)} |`);
      lines.push(`${gutter} | ${rendered.line}`);
      lines.push(`${' '.repeat(gutter.length)} | ${' '.repeat(rendered.caret)}${paint('31;1', '^')}`);
    }
  }
  if (d.hint) lines.push(`  ${paint('36', 'hint:')} ${inertText(d.hint)}`);
  return lines.join('\n');
}

/** Whether `error` (or an error in its `cause` chain) is an abort (AbortError / ABORT_ERR). */
export function isAbortError(error: unknown): boolean {
  for (
    let e = error as { name?: unknown; code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && typeof e === 'object' && depth < 8;
    e = e.cause as typeof e, depth++
  ) {
    if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return true;
  }
  return false;
}

/**
 * What a failure is once the run was interrupted (Ctrl-C, SIGTERM): an abort that surfaced
 * from any engine call or stream is INTERRUPTED (exit 130), never a bug; other errors are
 * kept as they are.
 */
export function asInterrupted(error: unknown, signal: AbortSignal): unknown {
  if (!signal.aborted || (error instanceof StackError && error.code !== 'INTERNAL') || !isAbortError(error))
    return error;
  return signal.reason instanceof StackError
    ? signal.reason
    : new StackError('INTERRUPTED', 'interrupted', { cause: error });
}

/**
 * A value from a file or an engine reply as text for a message: scalars as they are, mappings
 * and lists as JSON (never `[object Object]`).
 */
export function displayValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  if (typeof value === 'symbol') return value.toString();
  return String(value);
}
