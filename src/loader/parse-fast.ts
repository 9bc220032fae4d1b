/**
 * A fast path for the YAML most stack files are made of: block mappings and sequences of
 * one-line scalars (plain, quoted) and one-line flow sequences and mappings of scalars, with
 * comments. It returns the
 * same data as yaml's `parseDocument(...).toJS()` under our options (YAML 1.2 core schema,
 * Go-style octal) and the same positions as `createLocate` over yaml's node tree, in one
 * pass over the text: yaml's lexer, parser and composer took ~240 ms of a 500-service load.
 *
 * It accepts nothing it is unsure of. Anything else (anchors, aliases, tags, block scalars,
 * multi-line scalars, nested flow collections, tabs, CR, directives, duplicate or non-string keys,
 * prototype keys, `<<`, ...) returns undefined and the caller parses with yaml, which also
 * finds and positions every error: a file with a mistake never takes this path to the end.
 * A property test compares both parsers on generated and fixture documents.
 */
import type { SourceLocation } from '../errors.js';
import { FORBIDDEN_KEYS, YAML_LIMITS } from './yaml-safety.js';
import type { Locate, Path } from './types.js';

/** Nothing this parser handles: the caller parses with yaml. */
class Unsupported extends Error {}

/** Offsets of a collection's entries: a scalar child is its value offset. */
type Child = number | MapIndex | SeqIndex;
interface MapIndex {
  readonly at: number;
  readonly keys: Map<string, number>;
  readonly values: Map<string, Child>;
}
interface SeqIndex {
  readonly at: number;
  readonly items: Child[];
}

interface Line {
  /** Column of the content (0-based); for a line split after `- `, the column after it. */
  indent: number;
  /** Offset of the content's first character. */
  start: number;
  /** Offset of the end of the line (the newline or the end of the text). */
  readonly end: number;
}

// Characters a plain scalar may not start with (yaml's plainString rule, and what the
// lexer reads as something else).
const INDICATOR = new Set([...',[]{}#&*!|>\'"%@`']);

// The core schema's default tags, in yaml's order, with our Go-style octal first (yaml-tags.ts).
const RESOLVE: readonly [RegExp, (s: string) => unknown][] = [
  [/^0[0-7]+$/, (s) => parseInt(s, 8)],
  [/^(?:~|[Nn]ull|NULL)?$/, () => null],
  [/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'],
  [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
  [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
  [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
  [
    /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity),
  ],
  [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (s) => parseFloat(s)],
  [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (s) => parseFloat(s)],
];
// A plain scalar that cannot match any of the above starts with none of these.
const MAYBE_NOT_STRING = /^[-+.0-9~nNtTfF]|^$/;

function resolvePlain(text: string): unknown {
  if (!MAYBE_NOT_STRING.test(text)) return text;
  for (const [test, resolve] of RESOLVE) if (test.test(text)) return resolve(text);
  return text;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
};

class FastParser {
  private readonly lines: Line[] = [];
  private i = 0;
  /** Nesting of the collection being read: past the limit, yaml reports YAML_TOO_DEEP. */
  private depth = 0;

  constructor(private readonly src: string) {
    let start = 0;
    while (start <= src.length) {
      let end = src.indexOf('\n', start);
      if (end === -1) end = src.length;
      let p = start;
      while (p < end && src.charCodeAt(p) === 32) p++;
      if (p < end && src.charCodeAt(p) !== 35 /* # */) {
        const c = src.charCodeAt(p);
        // Directives and document markers belong to yaml.
        if (p === start && (c === 37 /* % */ || src.startsWith('---', p) || src.startsWith('...', p)))
          throw new Unsupported();
        this.lines.push({ indent: p - start, start: p, end });
      }
      start = end + 1;
    }
  }

  /** The document: a block mapping at column 0. */
  parse(): { value: Record<string, unknown>; index: MapIndex } {
    const first = this.lines[0];
    if (!first || first.indent !== 0 || this.isSeqEntry(first)) throw new Unsupported();
    const parsed = this.parseMap(0);
    if (this.i !== this.lines.length) throw new Unsupported();
    return parsed;
  }

  /** True when the value at `offset` is a flow sequence. */
  isFlowSeqAt(offset: number): boolean {
    return this.src[offset] === '[';
  }

  private isSeqEntry(line: Line): boolean {
    const c = this.src.charCodeAt(line.start + 1);
    return this.src.charCodeAt(line.start) === 45 /* - */ && (line.start + 1 === line.end || c === 32);
  }

  /** A block collection whose first line is `lines[i]`, at that line's indent. */
  private parseBlock(): { value: unknown; index: Child } {
    const line = this.lines[this.i]!;
    if (++this.depth >= YAML_LIMITS.maxDepth) throw new Unsupported();
    const block = this.isSeqEntry(line) ? this.parseSeq(line.indent) : this.parseMap(line.indent);
    this.depth--;
    return block;
  }

  private parseMap(indent: number): { value: Record<string, unknown>; index: MapIndex } {
    const value = Object.create(null) as Record<string, unknown>;
    const index: MapIndex = { at: this.lines[this.i]!.start, keys: new Map(), values: new Map() };
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || this.isSeqEntry(line)) throw new Unsupported();
      const { key, colon } = this.readKey(line);
      if (FORBIDDEN_KEYS.has(key) || index.keys.has(key)) throw new Unsupported();
      index.keys.set(key, line.start);
      let p = colon + 1;
      while (p < line.end && this.src.charCodeAt(p) === 32) p++;
      this.i++;
      if (p === line.end || this.src.charCodeAt(p) === 35 /* # */) {
        const next = this.lines[this.i];
        if (next && (next.indent > indent || (next.indent === indent && this.isSeqEntry(next)))) {
          const nested = next.indent > indent ? this.parseBlock() : this.sameIndentSeq(indent);
          value[key] = nested.value;
          index.values.set(key, nested.index);
        } else {
          value[key] = null;
          index.values.set(key, p);
        }
      } else {
        value[key] = this.readInline(p, line.end);
        index.values.set(key, p);
        const next = this.lines[this.i];
        // A more indented line after a scalar continues it (a multi-line scalar): yaml's job.
        if (next && next.indent > indent) throw new Unsupported();
      }
    }
    return { value, index };
  }

  private sameIndentSeq(indent: number): { value: unknown[]; index: SeqIndex } {
    if (++this.depth >= YAML_LIMITS.maxDepth) throw new Unsupported();
    const seq = this.parseSeq(indent);
    this.depth--;
    return seq;
  }

  private parseSeq(indent: number): { value: unknown[]; index: SeqIndex } {
    const value: unknown[] = [];
    const index: SeqIndex = { at: this.lines[this.i]!.start, items: [] };
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent || (line.indent === indent && !this.isSeqEntry(line))) break;
      if (line.indent > indent) throw new Unsupported();
      let p = line.start + 1;
      while (p < line.end && this.src.charCodeAt(p) === 32) p++;
      if (p === line.end || this.src.charCodeAt(p) === 35) throw new Unsupported();
      // `- key: value` or `- - item`: the rest of the line opens a collection at its column.
      const rest: Line = { indent: indent + (p - line.start), start: p, end: line.end };
      if (this.isSeqEntry(rest) || this.keyEnd(p, line.end) !== undefined) {
        this.lines[this.i] = rest;
        const nested = this.parseBlock();
        value.push(nested.value);
        index.items.push(nested.index);
        continue;
      }
      value.push(this.readInline(p, line.end));
      index.items.push(p);
      this.i++;
      const next = this.lines[this.i];
      if (next && next.indent > indent) throw new Unsupported();
    }
    return { value, index };
  }

  /** Offset of the `:` ending a mapping key that starts at `p`, or undefined when the line is no mapping entry. */
  private keyEnd(p: number, end: number): number | undefined {
    const src = this.src;
    const c = src[p]!;
    if (c === '"' || c === "'") {
      const close = this.quotedEnd(p, end);
      return close !== undefined && src[close] === ':' && (close + 1 === end || src[close + 1] === ' ')
        ? close
        : undefined;
    }
    if (c === '[' || c === '{') return undefined;
    // The first `: ` or final `:` of the line ends the key, unless a comment (` #`) came first.
    for (let q = p; q < end; q++) {
      const ch = src.charCodeAt(q);
      if (ch === 35 /* # */ && src.charCodeAt(q - 1) === 32) return undefined;
      if (ch === 58 /* : */ && (q + 1 === end || src.charCodeAt(q + 1) === 32)) return q;
    }
    return undefined;
  }

  private readKey(line: Line): { key: string; colon: number } {
    const colon = this.keyEnd(line.start, line.end);
    if (colon === undefined) throw new Unsupported();
    const c = this.src[line.start]!;
    if (c === '"' || c === "'") return { key: this.readQuoted(line.start, colon), colon };
    const text = this.src.slice(line.start, colon);
    if (!this.isPlainStart(text) || text.endsWith(' ') || text === '<<') throw new Unsupported();
    const key = resolvePlain(text);
    // `1:`, `true:`, `~:` are no string keys: yaml reports them.
    if (typeof key !== 'string') throw new Unsupported();
    return { key, colon };
  }

  private isPlainStart(text: string): boolean {
    const c = text[0];
    if (c === undefined || INDICATOR.has(c)) return false;
    if ((c === '-' || c === '?' || c === ':') && (text.length === 1 || text[1] === ' ')) return false;
    return c !== '?' && !text.includes(' #');
  }

  /** Offset just after the closing quote of the quoted scalar at `p`, on this line. */
  private quotedEnd(p: number, end: number): number | undefined {
    const src = this.src;
    const quote = src[p];
    for (let q = p + 1; q < end; q++) {
      const c = src[q];
      if (quote === '"' && c === '\\') q++;
      else if (c === quote) {
        if (quote === "'" && src[q + 1] === "'") q++;
        else return q + 1;
      }
    }
    return undefined;
  }

  private readQuoted(p: number, close: number): string {
    const src = this.src;
    if (src[p] === "'") return src.slice(p + 1, close - 1).replaceAll("''", "'");
    const body = src.slice(p + 1, close - 1);
    if (!body.includes('\\')) return body;
    let out = '';
    for (let q = 0; q < body.length; q++) {
      const c = body[q]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = body[++q]!;
      const simple = ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(q + 1, q + 5))) {
        const code = parseInt(body.slice(q + 1, q + 5), 16);
        if (code >= 0xd800 && code <= 0xdfff) throw new Unsupported();
        out += String.fromCharCode(code);
        q += 4;
      } else throw new Unsupported();
    }
    return out;
  }

  /** After a scalar or flow sequence: spaces, then a comment or the end of the line. */
  private expectEnd(p: number, end: number): void {
    let q = p;
    while (q < end && this.src.charCodeAt(q) === 32) q++;
    if (q !== end && !(this.src.charCodeAt(q) === 35 && q > p)) throw new Unsupported();
  }

  /** A one-line value (scalar or flow sequence) starting at `p`. */
  private readInline(p: number, end: number): unknown {
    const src = this.src;
    const c = src[p]!;
    if (c === '"' || c === "'") {
      const close = this.quotedEnd(p, end);
      if (close === undefined) throw new Unsupported();
      this.expectEnd(close, end);
      return this.readQuoted(p, close);
    }
    if (c === '[') return this.readFlowSeq(p, end);
    if (c === '{') return this.readFlowMap(p, end);
    const line = src.slice(p, end);
    const hash = line.indexOf(' #');
    let stop = hash === -1 ? end : p + hash;
    while (stop > p && src.charCodeAt(stop - 1) === 32) stop--;
    const text = src.slice(p, stop);
    if (!this.isPlainStart(text) || text.includes(': ') || text.endsWith(':')) throw new Unsupported();
    return resolvePlain(text);
  }

  /** `[a, "b", c]` of scalars on one line (nothing nested). Its items' offsets are not kept. */
  private readFlowSeq(p: number, end: number): unknown[] {
    const src = this.src;
    const out: unknown[] = [];
    let q = p + 1;
    const skip = (): void => {
      while (q < end && src.charCodeAt(q) === 32) q++;
    };
    skip();
    if (src[q] === ']') {
      this.expectEnd(q + 1, end);
      return out;
    }
    for (;;) {
      skip();
      const item = this.flowScalar(q, end);
      out.push(item.value);
      q = item.next;
      skip();
      if (src[q] === ']') {
        this.expectEnd(q + 1, end);
        return out;
      }
      if (src[q] !== ',') throw new Unsupported();
      q++;
      skip();
      if (src[q] === ']') throw new Unsupported();
    }
  }

  /** A plain scalar in a flow collection from `q`: up to the next indicator, trailing spaces cut. */
  private flowPlain(q: number, end: number): { text: string; stop: number } {
    const src = this.src;
    let stop = q;
    while (stop < end && !',[]{}#:'.includes(src[stop]!)) stop++;
    let last = stop;
    while (last > q && src.charCodeAt(last - 1) === 32) last--;
    const text = src.slice(q, last);
    if (text === '' || !this.isPlainStart(text)) throw new Unsupported();
    return { text, stop };
  }

  /** One scalar of a flow collection at `q` (quoted or plain) and the offset after it. */
  private flowScalar(q: number, end: number): { value: unknown; next: number } {
    const c = this.src[q];
    if (c === '"' || c === "'") {
      const close = this.quotedEnd(q, end);
      if (close === undefined) throw new Unsupported();
      return { value: this.readQuoted(q, close), next: close };
    }
    const { text, stop } = this.flowPlain(q, end);
    return { value: resolvePlain(text), next: stop };
  }

  /**
   * `{ a: 1, "b": x }` of string keys and scalar values on one line (nothing nested, every
   * `:` followed by a space, no trailing comma, no key twice). Offsets are found on demand.
   */
  private readFlowMap(p: number, end: number): Record<string, unknown> {
    const src = this.src;
    const out = Object.create(null) as Record<string, unknown>;
    let q = p + 1;
    const skip = (): void => {
      while (q < end && src.charCodeAt(q) === 32) q++;
    };
    skip();
    if (src[q] === '}') {
      this.expectEnd(q + 1, end);
      return out;
    }
    for (;;) {
      skip();
      const key = this.flowScalar(q, end);
      // `1: x`, `true: x`: no string keys (yaml reports them); `__proto__`, a key twice: yaml's job.
      if (typeof key.value !== 'string' || FORBIDDEN_KEYS.has(key.value) || key.value in out || key.value === '<<')
        throw new Unsupported();
      q = key.next;
      if (src[q] !== ':' || src[q + 1] !== ' ') throw new Unsupported();
      q += 2;
      skip();
      const value = this.flowScalar(q, end);
      out[key.value] = value.value;
      q = value.next;
      skip();
      if (src[q] === '}') {
        this.expectEnd(q + 1, end);
        return out;
      }
      if (src[q] !== ',') throw new Unsupported();
      q++;
      skip();
      if (src[q] === '}') throw new Unsupported();
    }
  }

  /** True when the value at `offset` is a flow mapping. */
  isFlowMapAt(offset: number): boolean {
    return this.src[offset] === '{';
  }

  /** Offsets of the keys and values of the flow mapping at `p` (it was read: it is well formed). */
  flowMapOffsets(p: number): Map<string, { key: number; value: number }> {
    const out = new Map<string, { key: number; value: number }>();
    const src = this.src;
    let q = p + 1;
    const end = src.indexOf('\n', p) === -1 ? src.length : src.indexOf('\n', p);
    for (;;) {
      while (src.charCodeAt(q) === 32) q++;
      if (src[q] === '}') return out;
      const keyAt = q;
      const key = this.flowScalar(q, end);
      q = key.next + 2;
      while (src.charCodeAt(q) === 32) q++;
      out.set(String(key.value), { key: keyAt, value: q });
      q = this.flowScalar(q, end).next;
      while (src.charCodeAt(q) === 32) q++;
      if (src[q] === ',') q++;
    }
  }

  /** Offsets of the items of the flow sequence at `p` (computed on demand: rarely asked for). */
  flowItemOffsets(p: number): number[] {
    const src = this.src;
    const out: number[] = [];
    let q = p + 1;
    for (;;) {
      while (src.charCodeAt(q) === 32) q++;
      if (src[q] === ']') return out;
      out.push(q);
      const c = src[q];
      if (c === '"' || c === "'") q = this.quotedEnd(q, src.length) ?? src.length;
      while (q < src.length && src[q] !== ',' && src[q] !== ']') q++;
      if (src[q] === ',') q++;
    }
  }
}

/** 1-based line and column of offsets, as yaml's LineCounter gives them. */
function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionOf(file: string, starts: number[], offset: number): SourceLocation {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, col: offset - starts[lo]! + 1 };
}

/** Result of the fast path: the data and its Locate. */
export interface FastParsed {
  readonly data: Record<string, unknown>;
  readonly locate: Locate;
}

/**
 * Parses `source` when it is within the subset described above; undefined otherwise (then
 * parse with yaml).
 */
export function parseFast(file: string, source: string): FastParsed | undefined {
  // Tabs and CR: yaml decides what they mean.
  if (/[\t\r]/.test(source)) return undefined;
  let parser: FastParser;
  let parsed: { value: Record<string, unknown>; index: MapIndex };
  try {
    parser = new FastParser(source);
    parsed = parser.parse();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  const { value: data, index: root } = parsed;
  let starts: number[] | undefined;
  const locate: Locate = (path: Path, at?: 'key' | 'value') => {
    const offset = find(parser, root, path, at);
    if (offset === undefined) return undefined;
    starts ??= lineStarts(source);
    return positionOf(file, starts, offset);
  };
  return { data, locate };
}

/** The offset `createLocate` would give for `path`, walking the index. */
function find(parser: FastParser, root: MapIndex, path: Path, at: 'key' | 'value' | undefined): number | undefined {
  let node: Child = root;
  let keyOffset: number | undefined;
  let flowDone = false;
  for (const segment of path) {
    keyOffset = undefined;
    if (typeof node === 'number' && parser.isFlowMapAt(node)) {
      // A flow mapping's entries lie under its offset; they are scalars themselves.
      if (flowDone) return undefined;
      const entry = parser.flowMapOffsets(node).get(String(segment));
      if (entry === undefined) return undefined;
      keyOffset = entry.key;
      node = entry.value;
      flowDone = true;
      continue;
    }
    if (typeof node === 'number') {
      // Only a flow sequence's items lie under a scalar offset; they are scalars themselves.
      if (!parser.isFlowSeqAt(node) || flowDone) return undefined;
      const index = typeof segment === 'number' ? segment : Number(segment);
      const item: number | undefined = Number.isInteger(index) ? parser.flowItemOffsets(node)[index] : undefined;
      if (item === undefined) return undefined;
      node = item;
      flowDone = true;
      continue;
    }
    if ('keys' in node) {
      const key = String(segment);
      const child = node.values.get(key);
      if (child === undefined) return undefined;
      keyOffset = node.keys.get(key);
      node = child;
    } else {
      const index = typeof segment === 'number' ? segment : Number(segment);
      const child: Child | undefined = Number.isInteger(index) ? node.items[index] : undefined;
      if (child === undefined) return undefined;
      node = child;
    }
  }
  if (at === 'key' && keyOffset !== undefined) return keyOffset;
  return typeof node === 'number' ? node : node.at;
}
