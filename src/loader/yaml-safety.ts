/**
 * One iterative pass over a parsed YAML node tree that finds hostile or unusable input
 * before anything recursive (toJS) touches it: nesting deeper than the limit, alias
 * expansion past the limit (billion laughs), aliases into their own ancestors, prototype
 * keys, duplicate keys and collection keys. It also records the paths tagged `!reset` / `!override`.
 */
import { isAlias, isCollection, isMap, isPair, isScalar } from 'yaml';
import type { Document, Node } from 'yaml';
import type { ErrorCode } from '../errors.js';
import { isMergeKey, keyString } from './locate.js';
import type { Path } from './types.js';

/** Limits on untrusted input. */
export const YAML_LIMITS = {
  /** Bytes of one stack file. */
  maxBytes: 10 * 1024 * 1024,
  /** Nested collections. */
  maxDepth: 200,
  /** Nodes that aliases may add when expanded (the file's own nodes do not count). */
  maxAliasExpansion: 100_000,
} as const;

/** Keys that would reach `Object.prototype` in naive consumers. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A problem found by the scan, at a byte offset. */
export interface ScanProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly offset: number;
  /** What to do about it, when the scan knows better than the generic hint of the code. */
  readonly hint?: string;
  /** Offset of the first occurrence, for a duplicate key. */
  readonly firstOffset?: number;
}

/** What the scan found. `fatal`: there are problems and the data must not be converted. */
export interface ScanResult {
  readonly problems: ScanProblem[];
  readonly fatal: boolean;
  readonly resets: Path[];
  readonly overrides: Path[];
}

interface Frame {
  readonly node: unknown;
  readonly depth: number;
  readonly path: Path;
  /** Post-order marker: the node's children are done, compute its expanded size. */
  readonly exit?: boolean;
}

const MAX_PROBLEMS = 20;

type Report = (
  code: ErrorCode,
  message: string,
  node: unknown,
  halt: boolean,
  extra?: { hint?: string; firstOffset?: number },
) => void;

function offsetOf(node: unknown): number {
  return (node as Node | undefined)?.range?.[0] ?? 0;
}

/** Children of a collection (pairs expanded to key and value) with their paths. */
function childrenOf(node: unknown, path: Path): { node: unknown; path: Path; key?: unknown }[] {
  if (!isCollection(node)) return [];
  if (isMap(node)) {
    return node.items.map((pair) => {
      const key = isMergeKey(pair.key) ? undefined : keyString(pair.key);
      return { node: pair.value, key: pair.key, path: key === undefined ? path : [...path, key] };
    });
  }
  return node.items.map((item, index) => ({ node: item, path: [...path, index] }));
}

/** Scans the document; see the module comment. Iterative, linear in the file's nodes. */
export function scanDocument(doc: Document.Parsed): ScanResult {
  const problems: ScanProblem[] = [];
  const resets: Path[] = [];
  const overrides: Path[] = [];
  // Expanded size per finished node; a node on the stack without a size is an ancestor.
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let aliasAdded = 0;
  let stop = false;
  // Every problem is an error; `halt` also ends the scan (expansion past the limit).
  const report: Report = (code, message, node, halt, extra = {}): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ code, message, offset: offsetOf(node), ...extra });
    if (halt || problems.length >= MAX_PROBLEMS) stop = true;
  };

  const stack: Frame[] = [{ node: doc.contents, depth: 0, path: [] }];
  while (stack.length > 0 && !stop) {
    const frame = stack.pop()!;
    const { node } = frame;
    if (frame.exit) {
      open.delete(node);
      let size = 1;
      for (const child of childrenOf(node, frame.path)) size += sizes.get(child.node) ?? 1;
      sizes.set(node, size);
      continue;
    }
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) {
        report('YAML_SYNTAX', `alias *${node.source} has no anchor before it`, node, false, {
          hint: `define &${node.source} on a value above this line`,
        });
      } else if (open.has(target)) {
        report('YAML_CYCLIC_ALIAS', `alias *${node.source} refers to a collection that contains it`, node, false);
      } else {
        const size = sizes.get(target) ?? 1;
        aliasAdded += size;
        sizes.set(node, size);
        if (aliasAdded > YAML_LIMITS.maxAliasExpansion) {
          report('YAML_ALIAS_LIMIT', `aliases expand to more than ${YAML_LIMITS.maxAliasExpansion} nodes`, node, true);
        }
      }
      continue;
    }
    const tag = (node as Node).tag;
    if (tag === '!reset') resets.push(frame.path);
    if (tag === '!override') overrides.push(frame.path);
    if (!isCollection(node)) {
      sizes.set(node, 1);
      continue;
    }
    if (frame.depth + 1 > YAML_LIMITS.maxDepth) {
      report('YAML_TOO_DEEP', `nesting is deeper than ${YAML_LIMITS.maxDepth} levels`, node, false);
      continue;
    }
    open.add(node);
    stack.push({ node, depth: frame.depth, path: frame.path, exit: true });
    const children = childrenOf(node, frame.path);
    // Duplicate keys, in linear time (yaml's own uniqueKeys check is quadratic per mapping).
    const seen = isMap(node) ? new Map<string, unknown>() : undefined;
    for (const child of children) {
      if (!seen || child.key === undefined || isMergeKey(child.key)) continue;
      const name = keyString(child.key);
      if (name === undefined) continue;
      if (seen.has(name)) {
        report('YAML_DUPLICATE_KEY', `Map keys must be unique: "${name}" appears more than once`, child.key, false, {
          firstOffset: offsetOf(seen.get(name)),
        });
      } else {
        seen.set(name, child.key);
      }
    }
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      if (child.key !== undefined) checkKey(child.key, report);
      stack.push({ node: child.node, depth: frame.depth + 1, path: child.path });
    }
  }
  return { problems, fatal: problems.length > 0, resets, overrides };
}

function checkKey(key: unknown, report: Report): void {
  if (isPair(key)) return;
  if (isCollection(key) || isAlias(key)) {
    report('YAML_SYNTAX', 'a mapping key must be a plain scalar, not a mapping, list or alias', key, false, {
      hint: 'write the key as a plain word; quote it if it contains [, {, or *',
    });
    return;
  }
  // As compose-go (convertToStringKeysRecursive): `1:`, `true:`, `~:` are not string keys.
  if (isScalar(key) && !isMergeKey(key) && typeof key.value !== 'string') {
    report(
      'YAML_NON_STRING_KEY',
      `the key ${String(key.source ?? key.value)} is a ${key.value === null ? 'null' : typeof key.value}, not a string`,
      key,
      false,
      { hint: `quote it: "${String(key.source ?? key.value)}"` },
    );
    return;
  }
  const name = keyString(key);
  if (name !== undefined && FORBIDDEN_KEYS.has(name)) {
    report('YAML_FORBIDDEN_KEY', `the key "${name}" is not allowed`, key, false);
  }
}
