import { describe, expect, it } from 'vitest';
import { mergeFiles } from '../../src/loader/merge.js';
import { parseStackFile } from '../../src/loader/parse.js';
import type { ParsedFile } from '../../src/loader/types.js';

function file(name: string, source: string): ParsedFile {
  const result = parseStackFile(name, source);
  expect(result.diagnostics).toEqual([]);
  return result.value!;
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const base = file(
  '/p/stack.yaml',
  `services:
  web:
    image: web:1
    command: ["a", "b"]
    environment:
      A: "1"
      B: "2"
    labels: ["x=1", "y=2"]
    ports: ["8080:80", "9090:90/udp"]
    volumes: ["data:/data", "/host:/logs"]
    dns: [1.1.1.1]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
    depends_on: [db]
  db:
    image: db
`,
);

describe('mergeFiles', () => {
  const over = file(
    '/p/stack.override.yaml',
    `services:
  web:
    image: web:2
    command: ["c"]
    environment: ["B=3", "C=4"]
    labels: ["y=9", "z=3"]
    ports: ["8080:80", "7070:70"]
    volumes: ["other:/data"]
    dns: [1.1.1.1, 8.8.8.8]
    healthcheck:
      test: ["CMD", "false"]
    depends_on:
      cache: {condition: service_healthy}
`,
  );
  const merged = mergeFiles([base, over]);
  const web = (merged.data['services'] as Record<string, Record<string, unknown>>)['web']!;

  it('replaces scalars, command and healthcheck.test, and merges other mapping keys deeply', () => {
    expect(web['image']).toBe('web:2');
    expect(web['command']).toEqual(['c']);
    expect(plain(web['healthcheck'])).toEqual({ test: ['CMD', 'false'], interval: '5s' });
  });

  it('merges environment by key across list and map forms', () => {
    expect(plain(web['environment'])).toEqual({ A: '1', B: '3', C: '4' });
  });

  it('merges two key=value lists by key, keeping the list form', () => {
    expect(web['labels']).toEqual(['x=1', 'y=9', 'z=3']);
  });

  it('keeps ports unique by published port, target and protocol, and volumes by target', () => {
    expect(web['ports']).toEqual(['8080:80', '9090:90/udp', '7070:70']);
    expect(web['volumes']).toEqual(['other:/data', '/host:/logs']);
  });

  it('appends other sequences without exact duplicates', () => {
    expect(web['dns']).toEqual(['1.1.1.1', '8.8.8.8']);
  });

  it('turns a depends_on list into a mapping when merged with a mapping', () => {
    expect(plain(web['depends_on'])).toEqual({ db: null, cache: { condition: 'service_healthy' } });
  });

  it('locates each value in the file that set it last, appended items in their own file', () => {
    const at = (path: (string | number)[]): string => {
      const loc = merged.locate(path);
      return `${loc?.file}:${loc?.line}:${loc?.col}`;
    };
    expect(at(['services', 'web', 'image'])).toBe('/p/stack.override.yaml:3:12');
    expect(at(['services', 'db', 'image'])).toBe('/p/stack.yaml:17:12');
    expect(at(['services', 'web', 'ports', 2])).toBe('/p/stack.override.yaml:7:24');
    expect(at(['services', 'web', 'ports', 1])).toBe('/p/stack.yaml:9:24');
    expect(at(['services', 'web', 'healthcheck', 'interval'])).toBe('/p/stack.yaml:14:17');
  });

  it('falls back to the nearest ancestor for a path that no file has', () => {
    expect(merged.locate(['services', 'db', 'restart'])).toEqual({ file: '/p/stack.yaml', line: 17, col: 5 });
  });

  it('does not modify its inputs and builds prototype-free maps', () => {
    expect((base.data['services'] as Record<string, Record<string, unknown>>)['web']!['image']).toBe('web:1');
    expect(Object.getPrototypeOf(web)).toBeNull();
  });
});

describe('!reset and !override', () => {
  it('removes a value with !reset and replaces instead of merging with !override', () => {
    const over = file(
      '/p/o.yaml',
      'services:\n  web:\n    ports: !reset []\n    environment: !override {Z: "1"}\n    dns: !reset null\n',
    );
    const web = (mergeFiles([base, over]).data['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect('ports' in web).toBe(false);
    expect('dns' in web).toBe(false);
    expect(plain(web['environment'])).toEqual({ Z: '1' });
  });

  it('keeps the base value when an override file leaves a key empty', () => {
    const over = file('/p/o.yaml', 'services:\n  web:\n    environment:\n');
    const web = (mergeFiles([base, over]).data['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect(plain(web['environment'])).toEqual({ A: '1', B: '2' });
  });
});
