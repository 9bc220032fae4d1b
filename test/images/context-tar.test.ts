import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareContext } from '../../src/images/context-tar.js';
import { createContextFilter, parseDockerignore } from '../../src/images/dockerignore.js';

const dirs: string[] = [];
function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-ctx-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function tarNames(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  const listing = execFileSync('tar', ['-t'], { input: Buffer.concat(chunks) }).toString('utf8');
  return listing
    .split('\n')
    .filter(Boolean)
    .map((n) => n.replace(/\/$/, ''))
    .sort();
}

async function tarFile(stream: NodeJS.ReadableStream, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return execFileSync('tar', ['-xO', name], { input: Buffer.concat(chunks) }).toString('utf8');
}

describe('.dockerignore parsing', () => {
  it('drops comments and blank lines, cleans leading slashes and trailing slashes', () => {
    expect(parseDockerignore('# c\n\n/secret.txt\nnode_modules/\n!/keep.md\n  *.log  \n./build\n')).toEqual([
      'secret.txt',
      'node_modules',
      '!keep.md',
      '*.log',
      'build',
    ]);
  });

  it('matches paths relative to the context, with ! exceptions and ** at any depth', () => {
    const filter = createContextFilter(parseDockerignore('*.log\nsecret/**\n!secret/public.txt\n**/*.tmp\n'));
    expect(filter.excludes('a.log')).toBe(true);
    expect(filter.excludes('sub/a.log')).toBe(false);
    expect(filter.excludes('secret/key')).toBe(true);
    expect(filter.excludes('secret/public.txt')).toBe(false);
    expect(filter.excludes('deep/er/x.tmp')).toBe(true);
    expect(filter.mustDescend('secret')).toBe(true);
    expect(filter.mustDescend('other')).toBe(false);
  });
});

describe('the build context tar', () => {
  it('a file listed in .dockerignore is not in the tar; paths are relative to the context', async () => {
    const dir = context({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'secret.txt\n.env\nnode_modules\n',
      'secret.txt': 's',
      '.env': 'A=1',
      'app/main.js': 'x',
      'node_modules/dep/index.js': 'y',
    });
    const prepared = await prepareContext({ contextDir: dir });
    expect(prepared.dockerfile).toBe('Dockerfile');
    expect(await tarNames(prepared.open())).toEqual(['.dockerignore', 'Dockerfile', 'app', 'app/main.js']);
  });

  it('the Dockerfile and .dockerignore are always sent, even when .dockerignore excludes them', async () => {
    const dir = context({ 'docker/app.Dockerfile': 'FROM scratch\n', '.dockerignore': '*\n', 'main.js': 'x' });
    const prepared = await prepareContext({ contextDir: dir, dockerfile: 'docker/app.Dockerfile' });
    expect(prepared.dockerfile).toBe('docker/app.Dockerfile');
    expect(await tarNames(prepared.open())).toEqual(['.dockerignore', 'docker/app.Dockerfile']);
  });

  it('a ! exception re-includes a file inside an excluded directory', async () => {
    const dir = context({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'docs\n!docs/README.md\n',
      'docs/README.md': 'r',
      'docs/internal.md': 'i',
    });
    const names = await tarNames((await prepareContext({ contextDir: dir })).open());
    expect(names).toContain('docs/README.md');
    expect(names).not.toContain('docs/internal.md');
  });

  it('dockerfile_inline is written into the tar under a content-derived name', async () => {
    const dir = context({ 'a.txt': 'a' });
    const prepared = await prepareContext({ contextDir: dir, dockerfileInline: 'FROM scratch\nCOPY a.txt /\n' });
    expect(prepared.dockerfile).toMatch(/^\.stack-dockerfile-[0-9a-f]{12}$/);
    expect(await tarNames(prepared.open())).toEqual([prepared.dockerfile, 'a.txt'].sort());
    expect(await tarFile(prepared.open(), prepared.dockerfile)).toBe('FROM scratch\nCOPY a.txt /\n');
  });

  it('a Dockerfile outside the context is carried inside the tar', async () => {
    const outside = context({ 'Dockerfile.prod': 'FROM scratch\n' });
    const dir = context({ 'a.txt': 'a' });
    const prepared = await prepareContext({ contextDir: dir, dockerfile: join(outside, 'Dockerfile.prod') });
    expect(prepared.generated?.content).toBe('FROM scratch\n');
    expect(await tarNames(prepared.open())).toContain(prepared.dockerfile);
  });

  it('symlinks are packed as links, not followed', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\n', 'target.txt': 't' });
    symlinkSync('target.txt', join(dir, 'link.txt'));
    expect(await tarNames((await prepareContext({ contextDir: dir })).open())).toEqual([
      'Dockerfile',
      'link.txt',
      'target.txt',
    ]);
  });

  it('a missing Dockerfile or context is BUILD_FAILED', async () => {
    const dir = context({ 'a.txt': 'a' });
    await expect(prepareContext({ contextDir: dir })).rejects.toMatchObject({ code: 'BUILD_FAILED' });
    await expect(prepareContext({ contextDir: join(dir, 'nope') })).rejects.toMatchObject({ code: 'BUILD_FAILED' });
  });
});
