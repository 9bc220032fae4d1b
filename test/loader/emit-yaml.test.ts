import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { emitYaml } from '../../src/loader/emit-yaml.js';

// Strings that exercise yaml's choice of style: plain, quoted (indicators, ': ', ' #', look
// like numbers, booleans or null), block scalars (newlines, leading spaces, trailing newlines).
const tricky = fc.constantFrom(
  '',
  ' ',
  'a b',
  'x: y',
  'x:y',
  'a #b',
  'a#b',
  '- a',
  '-',
  '?',
  ':',
  'a:',
  '#',
  '[a]',
  '{a}',
  '*a',
  '&a',
  '!a',
  '|',
  '>',
  "'q'",
  '"q"',
  '%x',
  '@x',
  '`x',
  '0',
  '-1',
  '1.5',
  '1e3',
  '.inf',
  '.nan',
  '0x1F',
  '0o17',
  '0440',
  'true',
  'False',
  'null',
  '~',
  'yes',
  'on',
  '---',
  '...',
  '--- x',
  'a\nb',
  'a\n',
  'a\n\n',
  '\na',
  ' a\nb',
  'a \nb',
  'line1\n  indented\nline3',
  'tab\there',
  'ctl\u0001',
  'é ü',
  '${VAR}',
  '$$x',
  'a\\b',
  'http://x:80/y',
  '127.0.0.1:8080:80',
  'sh -c "echo hi"',
);
const str = fc.oneof(
  tricky,
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', ' ', ':', '#', '-', '\n', '"', "'", '0', '.') }),
);
const scalar = fc.oneof(str, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const key = fc.oneof(
  fc.constantFrom('image', 'a b', '1', 'true', 'x: y', '', '-k', 'k.v/w'),
  fc.string({ maxLength: 12 }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('tree'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
}));

describe('emitYaml', () => {
  test('writes what yaml stringify writes, for any JSON-shaped mapping', { timeout: 120_000 }, () => {
    let emitted = 0;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), (data) => {
        const text = emitYaml(data);
        if (text === undefined) return;
        emitted++;
        expect(text).toBe(stringify(data, { lineWidth: 0 }));
      }),
      { numRuns: 1500 },
    );
    // Not vacuous: the emitter itself wrote most documents.
    expect(emitted).toBeGreaterThan(1200);
  });

  test('a config-shaped document is written by the emitter itself and reads back equal', () => {
    const data = {
      name: 'demo',
      services: {
        web: {
          command: ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"],
          environment: { PORT: '8080', MODE: 'dev', EMPTY: '' },
          ports: [{ published: '8080', target: 80, host_ip: '127.0.0.1' }],
          healthcheck: { test: ['CMD', 'true'], interval: '5s' },
          networks: { default: null },
          entrypoint: [],
          labels: {},
          script: 'set -e\necho one\n  echo two\n',
        },
      },
    };
    const text = emitYaml(data);
    expect(text).toBe(stringify(data, { lineWidth: 0 }));
    expect(parse(text!)).toEqual(data);
  });

  test('data outside the JSON shape is left to yaml', () => {
    expect(emitYaml({ a: undefined })).toBeUndefined();
    expect(emitYaml({ a: 1n })).toBeUndefined();
    expect(emitYaml({ a: new Date(0) })).toBeUndefined();
    expect(emitYaml({ ['k'.repeat(1200)]: 1 })).toBeUndefined();
  });
});
