// Running out of inotify watches, from the watcher's boundary to the terminal: `fs.watch`
// throws ENOSPC for a directory under a develop.watch path (as the kernel does when
// fs.inotify.max_user_watches is used up), chokidar reports it, the session stops, and
// `stack watch` prints the limit and the fix and exits 1. The real limit is never touched:
// only fs.watch is replaced (chokidar, the watcher, the session and the CLI frame are real);
// the engine is a stub because `watch --no-up` with no initial_sync never calls it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { watch as fsWatch } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type * as EngineModule from '../../src/engine/client.js';

vi.mock('../../src/engine/client.js', async (importOriginal) => ({
  ...(await importOriginal<typeof EngineModule>()),
  connectEngine: async () => ({ endpoint: 'unix:///stub' }),
}));

const fs = createRequire(import.meta.url)('node:fs') as { watch: typeof fsWatch };

describe('out of inotify watches (stack watch)', () => {
  const originalWatch = fs.watch;
  let dir: string;
  let written: { out: string; err: string };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stack-enospc-'));
    written = { out: '', err: '' };
    vi.stubEnv('STACK_MODEL_CACHE', '0');
    vi.stubEnv('NO_COLOR', '1');
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (chunk: string | Uint8Array) => ((written.out += chunk.toString()), true),
    );
    vi.spyOn(process.stderr, 'write').mockImplementation(
      (chunk: string | Uint8Array) => ((written.err += chunk.toString()), true),
    );
  });

  afterEach(() => {
    fs.watch = originalWatch;
    syncBuiltinESMExports();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an ENOSPC from fs.watch under a develop.watch path stops the watch: the limit and the sysctl fix are printed, exit 1', async () => {
    const stackFile = join(dir, 'stack.yaml');
    writeFileSync(
      stackFile,
      [
        'name: enospc',
        'services:',
        '  web:',
        '    image: stack-test/busybox:latest',
        '    develop:',
        '      watch:',
        '        - action: sync',
        '          path: ./src',
        '          target: /app',
        '',
      ].join('\n'),
    );
    const big = join(dir, 'src', 'big');
    mkdirSync(join(big, 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'src', 'index.js'), 'x');
    const refused: string[] = [];
    const watched: string[] = [];
    fs.watch = ((path: string, ...rest: unknown[]) => {
      if (path === big || path.startsWith(big + sep)) {
        refused.push(path);
        throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${path}'`), {
          errno: -28,
          code: 'ENOSPC',
          syscall: 'watch',
          path,
        });
      }
      watched.push(path);
      return (originalWatch as (...args: unknown[]) => ReturnType<typeof fsWatch>)(path, ...rest);
    }) as typeof fsWatch;
    syncBuiltinESMExports();

    const code = await Promise.race([
      main(['-f', stackFile, '--progress', 'plain', 'watch', '--no-up']),
      new Promise<string>((resolve) => setTimeout(() => resolve('still watching after 10 s'), 10_000)),
    ]);

    // the injection point was reached through chokidar (the stack sources and ./src were watched for real)
    expect(refused).toContain(big);
    expect(watched).toContain(join(dir, 'src'));
    expect(code).toBe(1);
    expect(written.err).toContain(`out of inotify watches while watching ${big} (fs.inotify.max_user_watches = `);
    expect(written.err).toMatch(/hint: raise the limit: sudo sysctl fs\.inotify\.max_user_watches=\d+/);
    expect(written.err).toContain('/etc/sysctl.d/');
    expect(written.err).not.toContain('This is a bug');
    // the watch failed during its first scan: it never claims to be watching
    expect(written.err).not.toContain('Ctrl-C to stop');
  }, 20_000);
});
