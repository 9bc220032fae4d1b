/**
 * `pull --policy missing` pulls nothing the engine has; `--ignore-pull-failures` turns failed
 * pulls into warnings (exit 0) and still pulls the rest; `--include-deps` adds the named
 * services' dependencies. fixtures/pull-flags.
 */
import { expect, it } from 'vitest';
import { describeE2E, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('pull-flags');
const p = projectName('pullflags');
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd, timeoutMs: 60_000 });

describe('pull flags', () => {
  it('--policy missing pulls nothing for an image the engine has; the default (always) tries the registry', async () => {
    const missing = await stack('pull', '--policy', 'missing', 'web');
    expect(missing.code, missing.stderr).toBe(0);
    expect((await stack('pull', 'web')).code).toBe(1);
    expect((await stack('pull', '--policy', 'sometimes', 'web')).code).toBe(2);
  });

  it("--ignore-pull-failures: exit 0, each failure a warning naming its service and the engine's reason", async () => {
    const failing = await stack('pull', 'db');
    expect(failing.code).toBe(1);
    const ignored = await stack('pull', '--ignore-pull-failures');
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toMatch(/service db: .*nosuchhost\.invalid/);
    expect(ignored.stderr).toMatch(/service web: /);
  });

  it('--include-deps also pulls the dependencies of the named services', async () => {
    const alone = await stack('pull', '--ignore-pull-failures', '--policy', 'missing', 'web');
    expect(alone.stderr).not.toContain('nosuchhost');
    const withDeps = await stack('pull', '--ignore-pull-failures', '--policy', 'missing', '--include-deps', 'web');
    expect(withDeps.code).toBe(0);
    expect(withDeps.stderr).toMatch(/service db: .*nosuchhost\.invalid/);
  });
});
