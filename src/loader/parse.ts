/**
 * Parses one stack file into prototype-free data with node positions kept. Hostile input
 * (huge, binary, deep, alias bombs, prototype keys) is refused with a positioned diagnostic
 * before any recursive step runs. Pure: the caller reads the file.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { YAMLError } from 'yaml';
import { diagnostic } from '../errors.js';
import type { Diagnostic, ErrorCode, SourceLocation } from '../errors.js';
import { createLocate, positionAt } from './locate.js';
import { parseFast } from './parse-fast.js';
import type { ParsedFile, Result } from './types.js';
import { YAML_LIMITS, scanDocument } from './yaml-safety.js';
import { codeHint, openingBracketOffset, openingQuoteOffset, overIndentedKey, yamlErrorHint } from './yaml-hints.js';
import { stackTags } from './yaml-tags.js';

export { YAML_LIMITS } from './yaml-safety.js';

/** yaml's error codes mapped to ours; anything else is a syntax error. */
const YAML_CODES: Readonly<Record<string, ErrorCode>> = {
  TAB_AS_INDENT: 'YAML_TAB_INDENT',
  DUPLICATE_KEY: 'YAML_DUPLICATE_KEY',
  MULTIPLE_DOCS: 'YAML_MULTIPLE_DOCS',
  RESOURCE_EXHAUSTION: 'YAML_TOO_DEEP',
};

// Characters YAML does not allow in a stream (c-printable), i.e. the file is not text.
const NON_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/;

/** 1-based location of a string offset without a LineCounter (for text yaml never sees). */
function locationAt(file: string, text: string, offset: number): SourceLocation {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { file, line, col: offset - start + 1 };
}

function fail(d: Diagnostic): Result<undefined> {
  return { value: undefined, diagnostics: [d] };
}

/**
 * Decodes the bytes of a stack file as strict UTF-8. Too large → YAML_TOO_LARGE; NUL bytes
 * or invalid UTF-8 → YAML_BINARY at the first bad byte. A leading BOM is dropped.
 */
export function decodeStackSource(file: string, bytes: Uint8Array): Result<string | undefined> {
  if (bytes.byteLength > YAML_LIMITS.maxBytes) {
    return fail(
      diagnostic('YAML_TOO_LARGE', `the file is larger than ${YAML_LIMITS.maxBytes} bytes`, { file, line: 1, col: 1 }),
    );
  }
  try {
    return { value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), diagnostics: [] };
  } catch {
    const lossy = new TextDecoder('utf-8').decode(bytes);
    const at = Math.max(0, lossy.indexOf('\uFFFD'));
    return fail(diagnostic('YAML_BINARY', 'the file is not valid UTF-8 text', locationAt(file, lossy, at)));
  }
}

function yamlDiagnostics(
  file: string,
  source: string,
  lineCounter: LineCounter,
  errors: readonly YAMLError[],
  severity: 'error' | 'warning',
): Diagnostic[] {
  const seen = new Set<string>();
  /** Lines whose syntax errors are the cascade of a key indented too far below them. */
  const cascade = new Set<number>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const code: ErrorCode = YAML_CODES[error.code] ?? 'YAML_SYNTAX';
    let pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    let hint = yamlErrorHint(error.code, error.message, code);
    // yaml reports an unclosed quote where the scalar ran out (often the end of the file);
    // the mistake is at the opening quote.
    if (error.code === 'MISSING_CHAR' && /closing ["']quote/.test(error.message)) {
      const open = openingQuoteOffset(source, error.pos[0]);
      if (open !== undefined) {
        pos = positionAt(file, lineCounter, open);
        hint = `this quote is never closed: add the closing ${source[open] ?? 'quote'} at the end of the value`;
      }
    }
    // Likewise an unclosed [ or { is reported where the input ran out or dedented.
    const close = /end with an? ([\]}])/.exec(error.message)?.[1];
    if (close) {
      const open = openingBracketOffset(source, error.pos[0], close === ']' ? '[' : '{');
      if (open !== undefined) {
        pos = positionAt(file, lineCounter, open);
        const closer = source[open] === '{' ? '}' : ']';
        hint = `this ${source[open] ?? 'bracket'} is never closed: add ${closer} after its last item`;
      }
    }
    // A key indented too far is reported on the line above, as a value holding ": ".
    let message: string | undefined;
    const deeper = error.code === 'BLOCK_AS_IMPLICIT_KEY' ? overIndentedKey(source, error.pos[0]) : undefined;
    if (deeper) {
      cascade.add(pos.line);
      pos = positionAt(file, lineCounter, deeper.offset);
      const { key, above, indent } = deeper;
      message = `"${key}" is indented deeper than "${above}" above it, so it is read as part of its value`;
      hint = `indent "${key}" by ${indent} spaces, as "${above}", to make it a key of the same mapping`;
    }
    // One diagnostic per code and line: yaml often reports a cascade for one mistake.
    const id = `${code}:${pos.line}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // yaml appends the position and an excerpt; the diagnostic carries both already.
    message ??=
      code === 'YAML_MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document (a second "---")'
        : code === 'YAML_TOO_DEEP'
          ? `nesting is deeper than ${YAML_LIMITS.maxDepth} levels`
          : (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '');
    out.push(diagnostic(code, message, { file, line: pos.line, col: pos.col }, hint, severity));
  }
  return out.filter((d) => d.code !== 'YAML_SYNTAX' || !cascade.has(d.location?.line ?? 0)).slice(0, 20);
}

function rootKind(data: unknown): string {
  if (Array.isArray(data)) return 'a list';
  return data === null ? 'empty' : typeof data === 'string' ? 'a string' : `a ${typeof data}`;
}

/** Deep copy into prototype-free maps; also a last line of defence against cycles. */
function toSafeData(value: unknown, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) throw new RangeError('cyclic data');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item: unknown) => toSafeData(item, ancestors));
    const out = Object.create(null) as Record<string, unknown>;
    for (const [key, item] of Object.entries(value)) out[key] = toSafeData(item, ancestors);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * Parses `source` (the text of `file`, an absolute path). `value` is undefined when any
 * error was found; warnings (unknown tags) come with a value.
 */
export function parseStackFile(file: string, source: string): Result<ParsedFile | undefined> {
  const start: SourceLocation = { file, line: 1, col: 1 };
  if (source.length > YAML_LIMITS.maxBytes || Buffer.byteLength(source, 'utf8') > YAML_LIMITS.maxBytes) {
    return fail(diagnostic('YAML_TOO_LARGE', `the file is larger than ${YAML_LIMITS.maxBytes} bytes`, start));
  }
  const bad = NON_PRINTABLE.exec(source);
  if (bad)
    return fail(
      diagnostic(
        'YAML_BINARY',
        'the file contains control characters or NUL bytes: it is not text',
        locationAt(file, source, bad.index),
      ),
    );

  // Most files are plain block YAML: read them in one pass (parse-fast.ts); the rest, and
  // every file with a mistake, through yaml.
  const fast = parseFast(file, source);
  if (fast)
    return {
      value: { file, source, data: fast.data, locate: fast.locate, resets: [], overrides: [] },
      diagnostics: [],
    };
  return parseWithYaml(file, source);
}

/**
 * Parses `source` with yaml (node positions, every error positioned). parseStackFile's
 * general path; exported for the test that compares it with the fast path.
 */
export function parseWithYaml(file: string, source: string): Result<ParsedFile | undefined> {
  const start: SourceLocation = { file, line: 1, col: 1 };
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, {
    lineCounter,
    merge: true,
    // Duplicate keys are found by scanDocument in linear time (yaml's check is quadratic).
    uniqueKeys: false,
    version: '1.2',
    prettyErrors: true,
    customTags: stackTags,
  });
  if (doc.errors.length > 0)
    return { value: undefined, diagnostics: yamlDiagnostics(file, source, lineCounter, doc.errors, 'error') };
  const warnings = yamlDiagnostics(file, source, lineCounter, doc.warnings, 'warning');
  if (doc.contents === null) return fail(diagnostic('EMPTY_FILE', 'the file is empty', start, codeHint('EMPTY_FILE')));

  const scan = scanDocument(doc);
  if (scan.fatal) {
    const diagnostics = scan.problems.map((p) => {
      const first = p.firstOffset === undefined ? undefined : positionAt(file, lineCounter, p.firstOffset);
      const hint = first
        ? `first written on line ${first.line}; ${codeHint(p.code) ?? 'keep one of them'}`
        : (p.hint ?? codeHint(p.code));
      return diagnostic(p.code, p.message, positionAt(file, lineCounter, p.offset), hint);
    });
    return { value: undefined, diagnostics };
  }
  const locate = createLocate(file, doc, lineCounter);
  const rootAt = locate([]) ?? start;
  let data: unknown;
  try {
    // The scan already bounded expansion; yaml's own alias limit is only a backstop.
    data = toSafeData(doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasExpansion }), new Set());
  } catch (error) {
    const code: ErrorCode = error instanceof ReferenceError ? 'YAML_ALIAS_LIMIT' : 'YAML_CYCLIC_ALIAS';
    return fail(diagnostic(code, 'aliases in the file cannot be expanded safely', rootAt));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return fail(
      diagnostic(
        'ROOT_NOT_MAPPING',
        `the top level of a stack file must be a mapping (key: value), not ${rootKind(data)}`,
        rootAt,
        codeHint('ROOT_NOT_MAPPING'),
      ),
    );
  }
  const parsed: ParsedFile = {
    file,
    source,
    data: data as Record<string, unknown>,
    locate,
    resets: scan.resets,
    overrides: scan.overrides,
  };
  return { value: parsed, diagnostics: warnings };
}
