/**
 * Positions of values in a parsed YAML document: a path of keys and indexes is walked over
 * the node tree (aliases resolved, `<<` merge keys searched after the map's own keys), and
 * the node's offset becomes a 1-based line:col.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import type { SourceLocation } from '../errors.js';
import type { Locate, Path } from './types.js';
import { displayValue } from '../errors.js';

/** The string a mapping key becomes in the data (non-string scalars are stringified, as toJS does). */
export function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? '' : displayValue(key.value);
  if (key === null || key === undefined) return '';
  return undefined;
}

/** True for the `<<` merge key (with `merge: true` its value is a Symbol whose source is `<<`). */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.source === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'));
}

type AnyDoc = Document.Parsed | Document;

function deref(doc: AnyDoc, node: unknown): unknown {
  // Bounded: an alias chain cannot be longer than the anchors in the file.
  let current = node;
  for (let i = 0; i < 1000 && isAlias(current); i++) current = current.resolve(doc);
  return current;
}

/** Finds the pair for `key` in a map, searching `<<` merge sources after the map's own keys. */
function findPair(doc: AnyDoc, map: unknown, key: string, seen: Set<unknown>): Pair | undefined {
  const node = deref(doc, map);
  if (!isMap(node) || seen.has(node)) return undefined;
  seen.add(node);
  for (const pair of node.items) if (!isMergeKey(pair.key) && keyString(pair.key) === key) return pair;
  for (const pair of node.items) {
    if (!isMergeKey(pair.key)) continue;
    const source = deref(doc, pair.value);
    const sources = isSeq(source) ? source.items : [source];
    for (const item of sources) {
      const found = findPair(doc, item, key, seen);
      if (found) return found;
    }
  }
  return undefined;
}

/** The node written at `path` (an alias is returned as written, not resolved), or undefined. */
export function findNode(doc: AnyDoc, path: Path, at: 'key' | 'value' = 'value'): Node | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const segment of path) {
    const current = deref(doc, node);
    keyNode = undefined;
    if (isMap(current)) {
      const pair = findPair(doc, current, String(segment), new Set());
      if (!pair) return undefined;
      keyNode = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(current)) {
      const index = typeof segment === 'number' ? segment : Number(segment);
      if (!Number.isInteger(index)) return undefined;
      node = current.items[index];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  const result = at === 'key' && keyNode ? keyNode : node;
  return isPair(result) ? undefined : ((result as Node | undefined) ?? undefined);
}

/** Converts a byte offset in the file to a 1-based location. */
export function positionAt(file: string, lineCounter: LineCounter, offset: number): SourceLocation {
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, col };
}

/** Builds the `Locate` of one file. Unknown paths give undefined (merged locators fall back). */
export function createLocate(file: string, doc: AnyDoc, lineCounter: LineCounter): Locate {
  return (path, at) => {
    const node = findNode(doc, path, at);
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : positionAt(file, lineCounter, offset);
  };
}
