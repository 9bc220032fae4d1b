/**
 * `push` pushes the services with build: and image: to their registry; a failure names the
 * image and the registry's reason (exit 1); `--ignore-push-failures` pushes the rest and exits
 * 0 with a warning. fixtures/push, registry at 127.0.0.1:5000.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E, docker, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('push');
const p = projectName('push');
const env = { REPO: p };
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd, env, timeoutMs: 120_000 });
const tags = async (): Promise<string[]> => {
  const res = await fetch(`http://127.0.0.1:5000/v2/${p}/tags/list`);
  return res.ok ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
};

describe('push', () => {
  beforeAll(async () => {
    const built = await stack('build');
    expect(built.code, built.stderr).toBe(0);
  });
  afterAll(() => {
    for (const ref of [`127.0.0.1:5000/${p}:v1`, `nosuchhost.invalid/${p}:v1`]) {
      try {
        docker(['rmi', '-f', ref]);
      } catch {
        // not there
      }
    }
  });

  it('build --print prints the builds as a bake file and builds nothing; build --push pushes after building', async () => {
    const printed = await stack('build', '--print', 'ok');
    expect(printed.code, printed.stderr).toBe(0);
    const bake = JSON.parse(printed.stdout) as {
      group: { default: { targets: string[] } };
      target: Record<string, { context: string; dockerfile: string; tags: string[] }>;
    };
    expect(bake.group.default.targets).toEqual(['ok']);
    expect(bake.target['ok']).toMatchObject({ dockerfile: 'Dockerfile', tags: [`127.0.0.1:5000/${p}:v1`] });
    expect(bake.target['ok']!.context).toMatch(/fixtures\/pull-cli\/built$/);
    const pushed = await stack('build', '--push', 'ok');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(await tags()).toEqual(['v1']);
  });

  it('a push that fails names the image and the reason and exits 1', async () => {
    const result = await stack('push', 'unreachable');
    expect(result.code).toBe(1);
    // The repository came from $REPO: named as ${REPO}, never its value.
    expect(result.stderr).toContain('pushing nosuchhost.invalid/${REPO}:v1 failed');
    expect(result.stderr).toContain('nosuchhost.invalid');
  });

  it("--include-deps also pushes the named service's dependencies", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'stack-push-deps-'));
    try {
      writeFileSync(join(dir, 'deps.yaml'), 'services:\n  unreachable:\n    depends_on: [ok]\n');
      const files = ['-f', join(cwd, 'stack.yaml'), '-f', join(dir, 'deps.yaml')];
      const alone = await runCli(['-p', p, ...files, 'push', '--ignore-push-failures', 'unreachable'], { cwd, env });
      expect(alone.code, alone.stderr).toBe(0);
      expect(alone.stderr).not.toContain('Pushed');
      const deps = await runCli(
        ['-p', p, ...files, 'push', '--ignore-push-failures', '--include-deps', 'unreachable'],
        {
          cwd,
          env,
        },
      );
      expect(deps.code, deps.stderr).toBe(0);
      expect(deps.stderr).toContain(`Image 127.0.0.1:5000/${p}:v1  Pushed`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--ignore-push-failures pushes what it can and exits 0 with a warning', async () => {
    const result = await stack('push', '--ignore-push-failures');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Image 127.0.0.1:5000/${p}:v1  Pushed`);
    expect(result.stderr).toMatch(/warning.*nosuchhost\.invalid/);
    expect(await tags()).toEqual(['v1']);
  });
});
