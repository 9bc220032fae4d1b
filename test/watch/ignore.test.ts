import type { Stats } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPathFilter, isEditorTempFile, readDockerignore } from '../../src/watch/ignore.js';

const dir = { isDirectory: () => true } as Stats;
const file = { isDirectory: () => false } as Stats;

describe('editor temp files', () => {
  it.each([
    '.app.js.swp',
    '.app.js.swx',
    '.app.js.swo',
    'app.js~',
    '4913',
    '#app.js#',
    '.#app.js',
    'app.js___jb_tmp___',
    'app.js___jb_old___',
    '.app.js.kate-swp',
  ])('%s is ignored', (name) => {
    expect(isEditorTempFile(name)).toBe(true);
  });

  it.each(['app.js', 'swp', 'index.swp.js', '49130', 'README.md', '.env'])('%s is not', (name) => {
    expect(isEditorTempFile(name)).toBe(false);
  });
});

describe('path filter', () => {
  const root = '/p/app';

  it('never descends into .git or node_modules, at any depth', () => {
    const f = createPathFilter({ root });
    expect(f.ignored('/p/app/node_modules', dir)).toBe(true);
    expect(f.ignored('/p/app/node_modules')).toBe(true);
    expect(f.ignored('/p/app/lib/node_modules', dir)).toBe(true);
    expect(f.ignored('/p/app/.git', dir)).toBe(true);
    expect(f.accepts('/p/app/.git/HEAD')).toBe(false);
    expect(f.accepts('/p/app/src/index.js')).toBe(true);
  });

  it('never ignores the root itself or paths outside it (chokidar asks about parents)', () => {
    const f = createPathFilter({ root, ignore: ['*'] });
    expect(f.ignored('/p/app', dir)).toBe(false);
    expect(f.ignored('/p', dir)).toBe(false);
  });

  it('ignores editor temp files', () => {
    const f = createPathFilter({ root });
    expect(f.accepts('/p/app/src/.index.js.swp')).toBe(false);
    expect(f.accepts('/p/app/src/4913')).toBe(false);
    expect(f.ignored('/p/app/src/index.js___jb_tmp___', file)).toBe(true);
  });

  it('applies the rule ignore patterns relative to the rule path', () => {
    const f = createPathFilter({ root, ignore: ['dist', '*.log', 'tmp/'] });
    expect(f.ignored('/p/app/dist', dir)).toBe(true);
    expect(f.accepts('/p/app/dist/a.js')).toBe(false);
    expect(f.accepts('/p/app/server.log')).toBe(false);
    expect(f.accepts('/p/app/sub/server.log')).toBe(true);
    expect(f.ignored('/p/app/tmp', dir)).toBe(true);
  });

  it('applies the build context .dockerignore relative to the context', () => {
    const f = createPathFilter({
      root: '/p/app/src',
      context: { contextDir: '/p/app', patterns: ['src/generated', '# comment', ''] },
    });
    expect(f.ignored('/p/app/src/generated', dir)).toBe(true);
    expect(f.accepts('/p/app/src/main.js')).toBe(true);
  });

  it('walks an ignored directory when an exception may re-include something inside, and filters files precisely', () => {
    const f = createPathFilter({ root, ignore: ['vendor', '!vendor/keep.js'] });
    expect(f.ignored('/p/app/vendor', dir)).toBe(false);
    expect(f.accepts('/p/app/vendor/keep.js')).toBe(true);
    expect(f.accepts('/p/app/vendor/other.js')).toBe(false);
  });

  it('include narrows what triggers, without pruning directories', () => {
    const f = createPathFilter({ root, include: ['src', '*.json'] });
    expect(f.ignored('/p/app/other', dir)).toBe(false);
    expect(f.accepts('/p/app/src/deep/a.js')).toBe(true);
    expect(f.accepts('/p/app/package.json')).toBe(true);
    expect(f.accepts('/p/app/README.md')).toBe(false);
  });

  it('a single-file rule accepts its file', () => {
    const f = createPathFilter({ root: '/p/app/package.json', include: ['x'] });
    expect(f.accepts('/p/app/package.json')).toBe(true);
  });
});

describe('readDockerignore', () => {
  it('prefers <Dockerfile>.dockerignore, else .dockerignore, else nothing', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'stack-ignore-'));
    expect(await readDockerignore(ctx)).toEqual([]);
    writeFileSync(join(ctx, '.dockerignore'), 'a\nb\n');
    expect(await readDockerignore(ctx, 'Dockerfile')).toEqual(['a', 'b', '']);
    writeFileSync(join(ctx, 'Dockerfile.dockerignore'), 'c');
    expect(await readDockerignore(ctx, 'Dockerfile')).toEqual(['c']);
  });
});
