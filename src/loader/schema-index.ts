/**
 * A walkable index of stack.schema.json: for any place in a document, the keys the schema
 * knows there and whether the value is a boolean. Built once from the schema itself so the
 * schema stays the single source of truth for key names (did-you-mean, boolean coercion,
 * unsupported keys).
 */
import type { Path } from './types.js';

/** What the schema says about one place in a document. */
export interface SchemaNode {
  /** Named properties of a mapping. */
  readonly props: Map<string, SchemaNode>;
  /** Values of a mapping with free keys (`additionalProperties: {...}`). */
  any?: SchemaNode;
  /** Items of a list. */
  items?: SchemaNode;
  /** The value is a boolean (and never a string), so `yes`/`no` strings can be coerced. */
  boolean: boolean;
}

type JsonSchema = Record<string, unknown>;

function emptyNode(): SchemaNode {
  return { props: new Map(), boolean: false };
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  const match = /^#\/\$defs\/(.+)$/.exec(ref);
  const defs = root['$defs'];
  if (!match || !isSchema(defs)) return undefined;
  const target = defs[match[1]!];
  return isSchema(target) ? target : undefined;
}

/** Folds `schema` (following $ref, if/then and anyOf/oneOf branches) into `node`. */
function fold(root: JsonSchema, schema: JsonSchema, node: SchemaNode, depth: number): void {
  // The schema has no recursive definitions; the bound only guards against a future one.
  if (depth > 40) return;
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = resolveRef(root, ref);
    if (target) fold(root, target, node, depth + 1);
  }
  const type = schema['type'];
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (types.includes('boolean') && !types.includes('string')) node.boolean = true;
  const props = schema['properties'];
  if (isSchema(props)) {
    for (const [key, sub] of Object.entries(props)) {
      if (!isSchema(sub)) continue;
      const child = node.props.get(key) ?? emptyNode();
      node.props.set(key, child);
      fold(root, sub, child, depth + 1);
    }
  }
  const additional = schema['additionalProperties'];
  if (isSchema(additional)) {
    node.any ??= emptyNode();
    fold(root, additional, node.any, depth + 1);
  }
  const items = schema['items'];
  if (isSchema(items)) {
    node.items ??= emptyNode();
    fold(root, items, node.items, depth + 1);
  }
  for (const key of ['then', 'else']) {
    const sub = schema[key];
    if (isSchema(sub)) fold(root, sub, node, depth + 1);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const sub of list) if (isSchema(sub)) fold(root, sub, node, depth + 1);
  }
}

/** Builds the index of a schema document. */
export function indexSchema(schema: JsonSchema): SchemaNode {
  const node = emptyNode();
  fold(schema, schema, node, 0);
  return node;
}

/** The child of `node` for one path segment: a named key, a free key, or a list index. */
export function childNode(node: SchemaNode | undefined, segment: string | number): SchemaNode | undefined {
  if (!node) return undefined;
  if (typeof segment === 'number') return node.items ?? node.any;
  return node.props.get(segment) ?? node.any;
}

/** The node at `path`, or undefined where the schema says nothing (extensions, free maps). */
export function nodeAt(root: SchemaNode, path: Path): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const segment of path) node = childNode(node, segment);
  return node;
}
