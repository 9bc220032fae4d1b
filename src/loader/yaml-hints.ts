/**
 * Better positions and hints for yaml's own errors: an unclosed quote is reported where it
 * was opened (yaml reports where the scalar ran out), and each YAML error code gets a hint.
 */
import { CST, Lexer } from 'yaml';
import type { ErrorCode } from '../errors.js';

/** One lexeme of the source and where it starts; markers the lexer adds are not source text. */
interface Lexeme {
  readonly type: ReturnType<typeof CST.tokenType>;
  readonly text: string;
  readonly offset: number;
}

/**
 * The source re-lexed, with offsets: a plain or block scalar's text (which follows a SCALAR
 * marker) comes as one `scalar` lexeme; the doc-mode and flow-error-end markers take no room.
 */
function* lexemes(source: string): Generator<Lexeme> {
  let offset = 0;
  let atScalar = false;
  for (const text of new Lexer().lex(source)) {
    if (atScalar) {
      atScalar = false;
      yield { type: 'scalar', text, offset };
      offset += text.length;
      continue;
    }
    const type = CST.tokenType(text);
    if (type === 'scalar') {
      atScalar = true;
      continue;
    }
    yield { type, text, offset };
    if (type !== 'doc-mode' && type !== 'flow-error-end') offset += text.length;
  }
}

/**
 * The offset of the opening quote of the quoted scalar that ends at `end` (where yaml reports
 * "Missing closing quote"), found by re-lexing the source: linear, no recursion.
 */
export function openingQuoteOffset(source: string, end: number): number | undefined {
  for (const { type, text, offset } of lexemes(source)) {
    if (offset > end) return undefined;
    if ((type === 'double-quoted-scalar' || type === 'single-quoted-scalar') && offset + text.length === end)
      return offset;
  }
  return undefined;
}

/**
 * The offset of the `[` (or `{`, per `bracket`) left open that yaml reports at `end`, where
 * the flow collection was cut off by a less indented line or the end of the input: the
 * innermost such bracket still open there. Found by re-lexing, like openingQuoteOffset.
 */
export function openingBracketOffset(source: string, end: number, bracket: '[' | '{'): number | undefined {
  let open: { offset: number; bracket: string }[] = [];
  let abandoned: typeof open = [];
  for (const { type, text, offset } of lexemes(source)) {
    if (offset > end) break;
    if (type === 'flow-map-start' || type === 'flow-seq-start') open.push({ offset, bracket: text });
    else if (
      (type === 'flow-map-end' || type === 'flow-seq-end') &&
      open.at(-1)?.bracket === (text === ']' ? '[' : '{')
    )
      open.pop();
    else if (type === 'flow-error-end') {
      // The lexer gave up on the open collections here.
      if (open.length > 0) abandoned = open;
      open = [];
    }
  }
  const candidates = open.length > 0 ? open : abandoned;
  return (candidates.filter((o) => o.bracket === bracket).at(-1) ?? candidates[0])?.offset;
}

/** A key indented deeper than the key above it (see `overIndentedKey`). */
export interface OverIndentedKey {
  /** Offset of the deeper key. */
  readonly offset: number;
  readonly key: string;
  /** The key above, whose plain value the deeper line continues. */
  readonly above: string;
  /** The indentation of the key above, in spaces. */
  readonly indent: number;
}

/**
 * A key indented deeper than the key above it, which has a plain value on its line
 * (`image: x`, then `  ports: [...]` two spaces further in): yaml reads both lines as one value
 * and reports the line above ("Nested mappings are not allowed in compact mappings"), where a
 * hint about quoting ": " misleads. `offset` is where yaml reported it.
 */
export function overIndentedKey(source: string, offset: number): OverIndentedKey | undefined {
  const start = source.lastIndexOf('\n', offset - 1) + 1;
  const end = source.indexOf('\n', start);
  const keyLine = /^( *)([^\s#'"{[\-][^:#]*?):[ ]+[^\s#]/.exec(source.slice(start, end === -1 ? undefined : end));
  if (!keyLine || end === -1) return undefined;
  const indent = keyLine[1]!.length;
  for (let at = end + 1; at < source.length;) {
    const next = source.indexOf('\n', at);
    const line = source.slice(at, next === -1 ? undefined : next);
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) {
      const deeper = /^( *)([^\s#'"{[\-][^:#]*?):(?:[ ]|$)/.exec(line);
      if (!deeper || deeper[1]!.length <= indent) return undefined;
      return { offset: at + deeper[1]!.length, key: deeper[2]!, above: keyLine[2]!, indent };
    }
    if (next === -1) break;
    at = next + 1;
  }
  return undefined;
}

/** Hints for yaml's error codes (the ones users meet); anything else gets the generic one. */
const YAML_ERROR_HINTS: Readonly<Record<string, string>> = {
  TAB_AS_INDENT: 'indent with spaces: YAML does not allow tabs in indentation',
  MULTIPLE_DOCS: 'one stack per file: remove the "---" line, or pass each file with -f',
  BAD_INDENT: 'indent each entry by the same number of spaces as its siblings, and deeper than its parent key',
  BLOCK_AS_IMPLICIT_KEY:
    'a value cannot contain ": " unquoted: quote it ("a: b"), or put a nested mapping on its own indented lines',
  MULTILINE_IMPLICIT_KEY:
    'a key must be on one line and followed by ": " (colon and space); ' +
    'check for a missing colon, or a quote or bracket left open above',
  BAD_SCALAR_START: 'quote a value that starts with a special character (@, `, %, |, >, {, [, *, &, !)',
  UNEXPECTED_TOKEN: 'quote a value that contains ": " or " #", and check that each [ and { is closed',
  MISSING_CHAR: 'close the quote, [ or { opened above, on the same value',
};

/** The hint for each of our YAML-level codes, when the error itself gives none. */
const CODE_HINTS: Partial<Record<ErrorCode, string>> = {
  YAML_SYNTAX:
    'check the indentation and quoting of this line and the one before it; ' +
    'quote values that contain ": " or start with a special character',
  YAML_TAB_INDENT: YAML_ERROR_HINTS['TAB_AS_INDENT']!,
  YAML_DUPLICATE_KEY: 'keep one of them; to combine files, pass each with -f instead',
  YAML_MULTIPLE_DOCS: YAML_ERROR_HINTS['MULTIPLE_DOCS']!,
  EMPTY_FILE: 'a stack file is a mapping with a "services:" key, e.g. services: {web: {image: nginx}}',
  ROOT_NOT_MAPPING:
    'a stack file is a mapping with a "services:" key at the top level, e.g. services: {web: {image: nginx}}',
};

/** The hint for one of yaml's errors, by its code and message, falling back to the hint of our code. */
export function yamlErrorHint(yamlCode: string, message: string, code: ErrorCode): string | undefined {
  // yaml reports an unclosed [ or { as an indentation problem where the input ran out.
  const close = /end with an? ([\]}])/.exec(message)?.[1];
  if (close) return `close the ${close === ']' ? '[' : '{'} opened above with ${close}`;
  return YAML_ERROR_HINTS[yamlCode] ?? CODE_HINTS[code];
}

/** The generic hint of one of our YAML-level codes. */
export function codeHint(code: ErrorCode): string | undefined {
  return CODE_HINTS[code];
}
