import { describe, expect, it } from 'vitest';
import { decodeStackSource, parseStackFile } from '../../src/loader/parse.js';

const FILE = '/p/stack.yaml';

/** The diagnostics of parsing `source`, as `CODE line:col` strings. */
function problems(source: string): string[] {
  return parseStackFile(FILE, source).diagnostics.map((d) => `${d.code} ${d.location?.line}:${d.location?.col}`);
}

function data(source: string): Record<string, unknown> {
  const result = parseStackFile(FILE, source);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.value!.data;
}

describe('parseStackFile', () => {
  it('parses a mapping into prototype-free data', () => {
    const value = data('services:\n  web:\n    image: x\n');
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.getPrototypeOf(value['services'])).toBeNull();
    expect(JSON.parse(JSON.stringify(value))).toEqual({ services: { web: { image: 'x' } } });
  });

  it('reads YAML 1.2: yes stays a string and 22:22 is not sexagesimal', () => {
    expect({ ...data('a: yes\nb: 22:22\n') }).toEqual({ a: 'yes', b: '22:22' });
  });

  it('reads Go-style octal 0440 as 288 and keeps 0o17 and decimals', () => {
    expect({ ...data('a: 0440\nb: 0o17\nc: 10\nd: 0\ne: "0440"\n') }).toEqual({
      a: 288,
      b: 15,
      c: 10,
      d: 0,
      e: '0440',
    });
  });

  it('expands merge keys', () => {
    const value = data('x: &b {image: a, tty: true}\nweb:\n  <<: *b\n  image: c\n');
    expect({ ...(value['web'] as object) }).toEqual({ image: 'c', tty: true });
  });

  it('reports an unclosed quote as a syntax error', () => {
    expect(problems('a: "foo\nb: 1\n')[0]).toMatch(/^YAML_SYNTAX /);
  });

  it.each([
    [
      'a double quote in a longer file',
      'services:\n  web:\n    image: "x\n    ports:\n      - "80:80"\n  db:\n    image: y\n',
      '3:12',
    ],
    ['a single quote', "services:\n  web:\n    image: 'x\n    tty: true\n", '3:12'],
    ['a quote inside a flow list', 'services:\n  web:\n    image: x\n    command: ["a", "b\n    tty: true\n', '4:20'],
  ])('reports %s that is never closed at the opening quote, with a hint', (_, source, at) => {
    const first = parseStackFile(FILE, source).diagnostics[0]!;
    expect(`${first.code} ${first.location?.line}:${first.location?.col}`).toBe(`YAML_SYNTAX ${at}`);
    // The hint names the quote that opened and says where to close it.
    expect(first.hint).toMatch(/^this quote is never closed: add the closing ["'] at the end of the value$/);
  });

  it.each([
    ['a tab used as indentation', 'services:\n  web:\n\timage: x\n', 'YAML_TAB_INDENT 3:1'],
    ['a duplicate key', 'a: 1\nb: 2\na: 3\n', 'YAML_DUPLICATE_KEY 3:1'],
    ['an empty file', '# nothing\n', 'EMPTY_FILE 1:1'],
    ['a root list', '- a\n', 'ROOT_NOT_MAPPING 1:1'],
    ['a bad indentation', 'services:\n  web:\n    image: x\n   tty: true\n', 'YAML_SYNTAX 4:1'],
    ['an unclosed flow list', 'services:\n  web:\n    command: ["a", "b"\n', 'YAML_SYNTAX 3:14'],
    ['a value with an unquoted ": "', 'services:\n  web:\n    hostname: a: b\n', 'YAML_SYNTAX 3:15'],
    ['an alias without an anchor', 'a: *nope\n', 'YAML_SYNTAX 1:4'],
    ['a second document', 'a: 1\n---\nb: 2\n', 'YAML_MULTIPLE_DOCS 2:1'],
  ])('%s comes with a hint', (_, source, expected) => {
    const found = parseStackFile(FILE, source).diagnostics;
    expect(found.map((d) => `${d.code} ${d.location?.line}:${d.location?.col}`)).toContain(expected);
    for (const d of found) expect(d.hint, d.code).toBeTruthy();
  });

  it.each([
    ['under a service', 'services:\n  web:\n    image: x\n      ports: ["80"]\n', '4:7', 'ports', 'image', 4],
    ['in a mapping', 'services:\n  web:\n    environment:\n      A: 1\n        B: 2\n', '5:9', 'B', 'A', 6],
  ])(
    'a key indented too far (%s) is reported at that key, naming the key above, not as a quoting problem',
    (_, source, at, key, above, indent) => {
      const found = parseStackFile(FILE, source).diagnostics;
      const first = found[0]!;
      // One error: not the cascade yaml reports on the line above.
      expect(found).toHaveLength(1);
      expect(`${first.code} ${first.location?.line}:${first.location?.col}`).toBe(`YAML_SYNTAX ${at}`);
      expect(first.message).toBe(
        `"${key}" is indented deeper than "${above}" above it, so it is read as part of its value`,
      );
      expect(first.hint).toBe(
        `indent "${key}" by ${indent} spaces, as "${above}", to make it a key of the same mapping`,
      );
    },
  );

  it('the hint of a duplicate key names the line of the first occurrence', () => {
    const [d] = parseStackFile(
      FILE,
      'services:\n  web:\n    image: x\n  db:\n    image: y\n  web:\n    image: z\n',
    ).diagnostics;
    expect(`${d?.code} ${d?.location?.line}:${d?.location?.col}`).toBe('YAML_DUPLICATE_KEY 6:3');
    expect(d?.hint).toMatch(/\b2\b/);
  });

  it.each([
    ['a [ cut off by a dedented line', 'services:\n  web:\n    command: ["sh", "-c"\n  db:\n    image: y\n', '3:14'],
    ['a [ inside a closed { mapping', 'services:\n  web:\n    labels: {a: [1, 2}\n', '3:17'],
    ['a { at the end of the file', 'a: {x: [1]\n', '1:4'],
    ['a [ after a quoted "[" value', 'a: "[x"\nb: [1\n', '2:4'],
  ])('reports %s at the opening bracket, with a hint', (_, source, at) => {
    const first = parseStackFile(FILE, source).diagnostics[0]!;
    expect(`${first.code} ${first.location?.line}:${first.location?.col}`).toBe(`YAML_SYNTAX ${at}`);
    expect(first.hint).toMatch(/^this [[{] is never closed: add [\]}] after its last item$/);
  });

  it('reports a tab used as indentation at the tab', () => {
    expect(problems('services:\n  web:\n\timage: x\n')).toContain('YAML_TAB_INDENT 3:1');
  });

  it('reports a duplicate key at the second occurrence', () => {
    expect(problems('a: 1\nb: 2\na: 3\n')).toEqual(['YAML_DUPLICATE_KEY 3:1']);
  });

  it('reports a second document', () => {
    expect(problems('a: 1\n---\nb: 2\n')).toEqual(['YAML_MULTIPLE_DOCS 2:1']);
  });

  it('reports an alias into its own ancestor as cyclic', () => {
    expect(problems('a: &x [1, *x]\n')).toEqual(['YAML_CYCLIC_ALIAS 1:11']);
  });

  it('reports an alias without an anchor', () => {
    expect(problems('a: 1\nb: *nope\n')).toEqual(['YAML_SYNTAX 2:4']);
  });

  it('reports forbidden keys anywhere, at the key', () => {
    expect(problems('services:\n  __proto__:\n    image: x\n  web:\n    labels: {constructor: 1}\n')).toEqual([
      'YAML_FORBIDDEN_KEY 2:3',
      'YAML_FORBIDDEN_KEY 5:14',
    ]);
    expect(problems('prototype: 1\n')).toEqual(['YAML_FORBIDDEN_KEY 1:1']);
  });

  it('reports a file with only comments as empty', () => {
    expect(problems('# nothing\n\n')).toEqual(['EMPTY_FILE 1:1']);
    expect(problems('')).toEqual(['EMPTY_FILE 1:1']);
  });

  it('reports a root that is not a mapping at the root node', () => {
    expect(problems('\n- a\n- b\n')).toEqual(['ROOT_NOT_MAPPING 2:1']);
    expect(problems('just text\n')).toEqual(['ROOT_NOT_MAPPING 1:1']);
  });

  it('reports NUL bytes and control characters as binary at their position', () => {
    expect(problems('a: 1\nb: x\u0000y\n')).toEqual(['YAML_BINARY 2:5']);
  });

  it('reports nesting deeper than 200 levels at the first too-deep node', () => {
    const src = 'a: ' + '['.repeat(201) + ']'.repeat(201) + '\n';
    expect(problems(src)).toEqual(['YAML_TOO_DEEP 1:203']);
    expect(problems('a: ' + '['.repeat(199) + ']'.repeat(199) + '\n')).toEqual([]);
  });

  it('records !reset and !override paths and keeps their values', () => {
    const result = parseStackFile(
      FILE,
      'services:\n  web:\n    ports: !reset []\n    command: !override [a]\n    image: !reset null\n',
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.value!.resets).toEqual([
      ['services', 'web', 'ports'],
      ['services', 'web', 'image'],
    ]);
    expect(result.value!.overrides).toEqual([['services', 'web', 'command']]);
    const web = (result.value!.data['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect(web['ports']).toEqual([]);
    expect(web['command']).toEqual(['a']);
    expect(web['image']).toBeNull();
  });
});

describe('locate', () => {
  const src =
    'x-base: &base\n  image: base\n  environment:\n    A: 1\nservices:\n  web:\n    <<: *base\n    ports:\n      - "80:80"\n      - 443\n';
  const parsed = parseStackFile(FILE, src).value!;
  const at = (path: (string | number)[], key?: 'key'): string | undefined => {
    const loc = parsed.locate(path, key);
    return loc && `${loc.line}:${loc.col}`;
  };

  it('walks maps and sequences to the value', () => {
    expect(at([])).toBe('1:1');
    expect(at(['services', 'web', 'ports', 1])).toBe('10:9');
    expect(at(['services', 'web', 'ports', '0'])).toBe('9:9');
  });

  it('points at the key when asked', () => {
    expect(at(['services', 'web', 'ports'], 'key')).toBe('8:5');
    expect(at(['services', 'web', 'ports'])).toBe('9:7');
  });

  it('falls back to the merge source for merged keys', () => {
    expect(at(['services', 'web', 'image'])).toBe('2:10');
    expect(at(['services', 'web', 'environment', 'A'])).toBe('4:8');
  });

  it('gives undefined for a path that is not in the file', () => {
    expect(at(['services', 'db'])).toBeUndefined();
    expect(at(['services', 'web', 'ports', 5])).toBeUndefined();
  });
});

describe('decodeStackSource', () => {
  it('refuses invalid UTF-8 as binary at the bad byte', () => {
    const bytes = new Uint8Array([0x61, 0x3a, 0x20, 0x31, 0x0a, 0x62, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
    expect(decodeStackSource(FILE, bytes).diagnostics.map((d) => [d.code, d.location?.line, d.location?.col])).toEqual([
      ['YAML_BINARY', 2, 4],
    ]);
  });

  it('drops a leading byte-order mark', () => {
    expect(decodeStackSource(FILE, new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).value).toBe('a');
  });
});
