/**
 * Custom YAML tags of the stack dialect: Go-style octal integers (Compose reads `0440` as
 * 288, YAML 1.2 core would read 440) and the override-file tags `!reset` / `!override`.
 */
import { YAMLMap, YAMLSeq } from 'yaml';
import type { CollectionTag, ScalarTag } from 'yaml';

/** `0440` → 288, as Compose (Go) reads file modes. `0` alone and `0o17` stay core ints. */
const goOctal: ScalarTag = {
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^0[0-7]+$/,
  resolve: (str) => parseInt(str, 8),
};

/** Tags stack records (by path) but whose value is parsed as usual. */
export const MARKER_TAGS = ['!reset', '!override'] as const;

function markerTags(tag: string): (ScalarTag | CollectionTag)[] {
  // One variant per node kind: yaml looks tags up by name and collection type.
  // An empty or null scalar (`!reset null`, `!reset`) means "no value"; others stay strings.
  const scalar: ScalarTag = { tag, resolve: (str) => (/^(|~|null|Null|NULL)$/.test(str) ? null : str) };
  const map: CollectionTag = { tag, collection: 'map', nodeClass: YAMLMap, resolve: (node) => node };
  const seq: CollectionTag = { tag, collection: 'seq', nodeClass: YAMLSeq, resolve: (node) => node };
  return [scalar, map, seq];
}

/** The `customTags` option for `parseDocument`: our tags first so they win over the core ones. */
export function stackTags<T>(tags: T[]): (T | ScalarTag | CollectionTag)[] {
  return [goOctal, ...MARKER_TAGS.flatMap(markerTags), ...tags];
}
