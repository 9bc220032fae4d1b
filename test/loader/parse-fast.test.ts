import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseFast } from '../../src/loader/parse-fast.js';
import { parseWithYaml } from '../../src/loader/parse.js';
import type { Path } from '../../src/loader/types.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every path into the data, plus one absent child of each collection. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (value !== null && typeof value === 'object') {
    out.push([...prefix, 'absent-key'], [...prefix, 99]);
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    for (const [k, v] of entries) pathsOf(v, [...prefix, k], out);
  } else {
    out.push([...prefix, 0]);
  }
  return out;
}

/** The fast path gives yaml's data and yaml's positions, or nothing. Returns whether it took the text. */
function agrees(source: string): boolean {
  const fast = parseFast('/s.yaml', source);
  if (!fast) return false;
  const slow = parseWithYaml('/s.yaml', source);
  expect(
    slow.diagnostics.filter((d) => d.severity === 'error'),
    source,
  ).toEqual([]);
  expect(slow.value, source).toBeDefined();
  expect(fast.data, source).toStrictEqual(slow.value!.data);
  for (const path of pathsOf(slow.value!.data)) {
    for (const at of ['key', 'value'] as const) {
      expect(fast.locate(path, at), `${JSON.stringify(path)} ${at} in\n${source}`).toEqual(
        slow.value!.locate(path, at),
      );
    }
  }
  return true;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

// Scalars as written in a file: plain words, numbers of every core form, booleans, nulls,
// quoted strings with escapes, things yaml reads otherwise (refused by the fast path).
const anyScalarText = fc.constantFrom(
  'x',
  'web',
  'stack-test/busybox:latest',
  'a b c',
  'a:b',
  'http://h:80/p',
  '${VAR:-d}',
  'sh -c "a && b > c | d"',
  'a#b',
  '0',
  '-0',
  '+1',
  '012',
  '08',
  '0o17',
  '0x1F',
  '1.5',
  '.5',
  '1.',
  '1e3',
  '-1.5E-3',
  '.inf',
  '-.Inf',
  '.NaN',
  '1_000',
  'true',
  'False',
  'TRUE',
  'yes',
  'off',
  'null',
  '~',
  'Null',
  '""',
  "''",
  '"a \\"q\\" \\\\ \\n \\t \\u00e9 \\/"',
  '"\\x41"',
  "'it''s'",
  '"a: b"',
  "'# not a comment'",
  '[]',
  '[a, "b", 1, true, null]',
  '[ a ,b ]',
  '[a, [b]]',
  '[a,]',
  '{}',
  '{ }',
  '{a: 1}',
  '{ a: "x", b: 2 }',
  "{ 'k': v, e: '' }",
  '{a: b, a: c}',
  '{a:b}',
  '{a}',
  '{a: }',
  '{a: 1,}',
  '{a: [b]}',
  '{a: {b: 1}}',
  '{1: a}',
  '{__proto__: 1}',
  '{a: b # c}',
  '{a: 1} # c',
  '{a: x:y}',
  '{"a b": "c: d"}',
  '&anchor x',
  '*alias',
  '!reset x',
  '|',
  '>-',
  '- x',
  '-',
  '? x',
  ':x',
  'a: b',
  'x:',
  'é',
  'x # comment',
  'x  #comment',
  '"x" # c',
  '"unclosed',
);
const commonScalarText = fc.constantFrom(
  'x',
  'a b',
  '0',
  '1.5',
  'true',
  'null',
  '"q"',
  "'s'",
  '[a, 1]',
  '{ a: 1, b: "c" }',
  '${V}',
  'a:b',
);
// Mostly what the fast path takes, so that many documents reach the comparison.
const scalarText = fc.oneof({ arbitrary: commonScalarText, weight: 12 }, { arbitrary: anyScalarText, weight: 1 });
const anyKeyText = fc.constantFrom(
  'a',
  'image',
  'a b',
  'k.v/w',
  '"q k"',
  "'s k'",
  '1',
  'true',
  '~',
  '<<',
  '__proto__',
  'x-y',
  '-k',
  'a#b',
);
const keyText = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'image', 'x.y/z'), weight: 12 },
  { arbitrary: anyKeyText, weight: 1 },
);
type Gen = { kind: 'scalar'; text: string } | { kind: 'map'; entries: [string, Gen][] } | { kind: 'seq'; items: Gen[] };
const { node } = fc.letrec<{ node: Gen; map: Gen; seq: Gen }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarText.map((text) => ({ kind: 'scalar' as const, text })),
    tie('map'),
    tie('seq'),
  ),
  map: fc
    .array(fc.tuple(keyText, tie('node')), { minLength: 1, maxLength: 4 })
    .map((entries) => ({ kind: 'map' as const, entries })),
  seq: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items })),
}));
const style = fc.record({
  comment: fc.boolean(),
  blank: fc.boolean(),
  sameIndentSeq: fc.boolean(),
  trailing: fc.boolean(),
});

/** Writes a generated node as block YAML, with comments, blank lines and trailing spaces here and there. */
function write(
  node: Gen,
  indent: number,
  s: { comment: boolean; blank: boolean; sameIndentSeq: boolean; trailing: boolean },
): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (node.kind === 'map') {
    for (const [k, v] of node.entries) {
      if (v.kind === 'scalar') lines.push(`${pad}${k}: ${v.text}${s.trailing ? '  ' : ''}`);
      else {
        lines.push(`${pad}${k}:${s.comment ? '  # note' : ''}`);
        if (s.blank) lines.push('');
        lines.push(...write(v, v.kind === 'seq' && s.sameIndentSeq ? indent : indent + 2, s));
      }
    }
  } else if (node.kind === 'seq') {
    for (const item of node.items) {
      if (item.kind === 'scalar') lines.push(`${pad}- ${item.text}`);
      else {
        const [first, ...rest] = write(item, indent + 2, s);
        lines.push(`${pad}- ${first!.trimStart()}`, ...rest);
      }
    }
  } else {
    lines.push(`${pad}${node.text}`);
  }
  return lines;
}

describe('the fast YAML path', () => {
  test('reads every stack file of the repository as yaml does, or leaves it to yaml', () => {
    const files = [
      ...yamlFiles(join(ROOT, 'fixtures')),
      ...yamlFiles(join(ROOT, 'examples')),
      ...yamlFiles(join(ROOT, 'test')),
    ];
    let taken = 0;
    for (const file of files) if (agrees(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''))) taken++;
    // Not vacuous: most of them take the fast path.
    expect(taken).toBeGreaterThan(files.length / 2);
  });

  test('generated documents: same data and positions as yaml, or left to yaml', { timeout: 120_000 }, () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(keyText, node), { minLength: 1, maxLength: 4 }), style, (entries, s) => {
        const text = write({ kind: 'map', entries }, 0, s).join('\n') + '\n';
        if (agrees(text)) taken++;
      }),
      { numRuns: 2000 },
    );
    expect(taken).toBeGreaterThan(200);
  });

  test('one-line flow mappings of scalars take the fast path, positions included', () => {
    const text = [
      'services:',
      '  s0:',
      '    image: "busybox"',
      '    command: ["sleep", "3600"]',
      '    environment: { VALUE: "same", N: 1, \'Q\': x y }',
      '    deploy: {endpoint_mode: dnsrr}  # a comment',
      '',
    ].join('\n');
    expect(agrees(text)).toBe(true);
    expect(parseFast('/s.yaml', text)?.locate(['services', 's0', 'environment', 'N'], 'key')).toEqual({
      file: '/s.yaml',
      line: 5,
      col: 35,
    });
  });

  test('what it refuses, yaml reports or reads differently', () => {
    for (const text of [
      'a: 1\na: 2\n',
      '1: x\n',
      '__proto__: {}\n',
      'a: &x 1\nb: *x\n',
      'a: !reset []\n',
      'a: |\n  x\n',
      'a: b\n  c\n',
      '- a\n',
      '---\na: 1\n',
      'a:\tb\n',
      'a: 1\r\n',
      'a: {b: {c: 1}}\n',
      'a: {b: 1, b: 2}\n',
      '<<: {}\n',
      'a: "x\n  y"\n',
    ])
      expect(parseFast('/s.yaml', text), text).toBeUndefined();
  });
});
