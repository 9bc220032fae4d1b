import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { watch as fsWatch } from 'node:fs';
import type { readdir as fsReaddir } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPathFilter } from '../../src/watch/ignore.js';
import type { BoundRule, FileChange } from '../../src/watch/rules.js';
import type { StackWatcher } from '../../src/watch/watcher.js';
import { describeWatchError, startWatcher } from '../../src/watch/watcher.js';
import { eventually as poll } from '../support/eventually.js';

/** Watch events land within milliseconds: poll every 20 ms. */
const eventually = (check: () => void, timeoutMs = 3000): Promise<void> => poll(check, timeoutMs, 20);

describe('watcher', () => {
  let watcher: StackWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
  });

  it('sees stack-file edits (plain and atomic rename), a new .env, and rule paths, but not ignored trees or unrelated files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-watcher-'));
    const stackFile = join(dir, 'stack.yaml');
    writeFileSync(stackFile, 'services: {}\n');
    mkdirSync(join(dir, 'src', 'node_modules', 'pkg'), { recursive: true });
    const root = join(dir, 'src');
    const rule: BoundRule = {
      service: 'web',
      index: 0,
      rule: { action: 'sync', path: root, target: '/app', include: [], ignore: [], initialSync: false },
      filter: createPathFilter({ root }),
    };
    const seen: FileChange[] = [];
    watcher = await startWatcher({
      sources: [stackFile, join(dir, '.env')],
      rules: [rule],
      onChange: (c) => seen.push(c),
      onError: (e) => {
        throw e;
      },
    });

    writeFileSync(stackFile, 'services: {a: {image: x}}\n');
    await eventually(() => expect(seen.some((c) => c.path === stackFile)).toBe(true));
    seen.length = 0;
    // chokidar drops a second `change` of one path within 50 ms (leading-edge throttle, no trailing event)
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'stack.yaml.tmp'), 'services: {}\n');
    renameSync(join(dir, 'stack.yaml.tmp'), stackFile);
    writeFileSync(join(dir, '.env'), 'A=1\n');
    writeFileSync(join(dir, 'README.md'), 'x');
    writeFileSync(join(root, 'node_modules', 'pkg', 'i.js'), 'x');
    writeFileSync(join(root, '.a.js.swp'), 'x');
    writeFileSync(join(root, 'a.js'), 'x');
    await eventually(() => {
      expect(seen.some((c) => c.path === stackFile)).toBe(true);
      expect(seen.some((c) => c.path === join(dir, '.env'))).toBe(true);
      expect(seen.some((c) => c.path === join(root, 'a.js'))).toBe(true);
    });
    await new Promise((r) => setTimeout(r, 150));
    const paths = new Set(seen.map((c) => c.path));
    expect(paths.has(join(dir, 'README.md'))).toBe(false);
    expect(paths.has(join(dir, 'stack.yaml.tmp'))).toBe(false);
    expect([...paths].some((p) => p.includes('node_modules'))).toBe(false);
    expect(paths.has(join(root, '.a.js.swp'))).toBe(false);
    rmSync(join(root, 'a.js'));
    await eventually(() => expect(seen).toContainEqual({ kind: 'unlink', path: join(root, 'a.js') }));
  });
});

describe('watcher on a large tree', () => {
  // chokidar (loaded natively, ESM) calls fs.watch and fs/promises readdir through named
  // imports: replacing them on the builtin modules and syncing the ESM exports records every
  // directory the real watcher watches or lists.
  const require = createRequire(import.meta.url);
  const fs = require('node:fs') as { watch: typeof fsWatch };
  const fsp = require('node:fs/promises') as { readdir: typeof fsReaddir };
  const original = { watch: fs.watch, readdir: fsp.readdir };
  let watcher: StackWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    fs.watch = original.watch;
    fsp.readdir = original.readdir;
    syncBuiltinESMExports();
  });

  it('never descends into ignored directories (node_modules, .git): no fs.watch and no readdir under them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-watcher-tree-'));
    const root = join(dir, 'src');
    const modules = join(root, 'node_modules');
    const git = join(root, '.git');
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(modules, `pkg${i}`, 'lib', 'deep'), { recursive: true });
      writeFileSync(join(modules, `pkg${i}`, 'lib', 'deep', 'index.js'), 'x');
    }
    mkdirSync(join(git, 'objects', 'ab'), { recursive: true });
    mkdirSync(join(root, 'lib', 'deep'), { recursive: true });
    writeFileSync(join(root, 'lib', 'deep', 'a.js'), 'x');
    const watched: string[] = [];
    const listed: string[] = [];
    fs.watch = ((path: string, ...rest: unknown[]) => {
      watched.push(path);
      return (original.watch as (...args: unknown[]) => ReturnType<typeof fsWatch>)(path, ...rest);
    }) as typeof fsWatch;
    fsp.readdir = ((path: string, ...rest: unknown[]) => {
      listed.push(String(path));
      return (original.readdir as (...args: unknown[]) => unknown)(path, ...rest);
    }) as typeof fsReaddir;
    syncBuiltinESMExports();

    const rule: BoundRule = {
      service: 'web',
      index: 0,
      rule: { action: 'sync', path: root, target: '/app', include: [], ignore: [], initialSync: false },
      filter: createPathFilter({ root }),
    };
    const seen: FileChange[] = [];
    watcher = await startWatcher({
      sources: [],
      rules: [rule],
      onChange: (c) => seen.push(c),
      onError: (e) => {
        throw e;
      },
    });

    // the instrumentation sees the real watcher descend into what is not ignored
    expect(watched).toEqual(expect.arrayContaining([root, join(root, 'lib'), join(root, 'lib', 'deep')]));
    expect(listed).toEqual(expect.arrayContaining([root, join(root, 'lib', 'deep')]));
    const inside = (p: string): boolean => [modules, git].some((d) => p === d || p.startsWith(d + sep));
    expect(watched.filter(inside)).toEqual([]);
    expect(listed.filter(inside)).toEqual([]);
    // and still sees changes next to them
    writeFileSync(join(root, 'lib', 'deep', 'a.js'), 'y');
    await eventually(() => expect(seen).toContainEqual({ kind: 'change', path: join(root, 'lib', 'deep', 'a.js') }));
  });
});

describe('watch errors', () => {
  it('out of inotify watches names the limit and the sysctl that fixes it', () => {
    const error = describeWatchError(
      Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
        path: '/p/src',
      }),
      8192,
    );
    expect(error.message).toContain(
      'out of inotify watches while watching /p/src (fs.inotify.max_user_watches = 8192)',
    );
    expect(error.diagnostics[0]?.hint).toContain('sudo sysctl fs.inotify.max_user_watches=524288');
  });
});
