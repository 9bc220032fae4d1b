// Did-you-mean: optimal-string-alignment distance, so swapping two adjacent letters counts as
// one typo (`wbe` → `web`), as the hints for keys, services and networks show.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import { loadStack } from '../../src/loader/load.js';
import { editDistance, suggest } from '../../src/loader/suggest.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-suggest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `CODE line:col hint` of each error diagnostic of loading `source`. */
async function hints(name: string, source: string): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const error = await loadStack({ cwd: dir, env: {}, files: [file] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StackError);
  return (error as StackError).diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.location?.line}:${d.location?.col} ${d.hint ?? ''}`);
}

describe('editDistance', () => {
  it.each([
    ['web', 'web', 0],
    ['wbe', 'web', 1],
    ['imgae', 'image', 1],
    ['ab', 'ba', 1],
    ['abc', 'ca', 3],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s -> %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('suggest', () => {
  it('a transposition in a three-letter word is close enough; two edits are not', () => {
    expect(suggest('wbe', ['db', 'web'])).toBe('web');
    expect(suggest('xyz', ['db', 'web'])).toBeUndefined();
    expect(suggest('bew', ['web'])).toBeUndefined();
  });
});

describe('did-you-mean hints in the loader', () => {
  it('depends_on a service with two letters swapped suggests the service', async () => {
    expect(
      await hints('svc.yaml', 'services:\n  web:\n    image: x\n  api:\n    image: x\n    depends_on: [wbe]\n'),
    ).toEqual(['UNKNOWN_SERVICE 6:18 did you mean "web"?']);
  });

  it('a service network with two letters swapped suggests the network', async () => {
    expect(
      await hints(
        'net.yaml',
        'services:\n  web:\n    image: x\n    networks: [fornt]\nnetworks:\n  front: {}\n  back: {}\n',
      ),
    ).toEqual(['UNKNOWN_NETWORK 4:16 did you mean "front"?']);
  });

  it('a service key with two letters swapped suggests the key', async () => {
    expect(await hints('key.yaml', 'services:\n  web:\n    imgae: x\n    image: x\n')).toEqual([
      'SCHEMA_UNKNOWN_KEY 3:5 did you mean "image"?',
    ]);
  });

  it('a top-level key with two letters swapped suggests the key', async () => {
    expect(await hints('top.yaml', 'services:\n  web:\n    image: x\nnetwroks: {}\n')).toEqual([
      'SCHEMA_UNKNOWN_KEY 4:1 did you mean "networks"?',
    ]);
  });
});
