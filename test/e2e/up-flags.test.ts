// `up --build`, `up --no-build`, `up` with a lock file, and `up --watch` end to end (CLI, real
// engine, local registry). State is asserted through the engine; text only where the text is
// the feature (the log prefix of a recreated container).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, eventually, runCli, startCli } from './helpers.js';
import {
  REGISTRY,
  imageId,
  isolatedEnv,
  loadFixtureCopy,
  pushGeneration,
  removeDir,
  removeImages,
} from './images-support.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

/** Service → container ID. */
function ids(project: string): Record<string, string> {
  return Object.fromEntries(containers(project).map((c) => [c.service, c.id]));
}

function imageOf(project: string, service: string): string {
  const c = containers(project).find((x) => x.service === service);
  if (!c) throw new Error(`no container for ${service}`);
  return docker(['inspect', '-f', '{{.Image}}', c.id]);
}

/** Polls `check` (an assertion) every 100 ms until it holds; `what` names the wait in a timeout. */
const until = <T>(check: () => T, what: string, timeoutMs = 30_000): Promise<Exclude<T, false>> =>
  eventually(check, timeoutMs, 100).catch((error: unknown) => {
    throw new Error(`timed out waiting for ${what}: ${(error as Error).message}`);
  });

describe('up: images, lock and watch', () => {
  const projects: string[] = [];
  const dirs: string[] = [];
  const repos: string[] = [];

  afterEach(() => {
    for (const p of projects.splice(0)) {
      cleanup(p);
      removeImages(`${p}-`);
    }
  });
  afterAll(() => {
    for (const d of dirs) removeDir(d);
    for (const r of repos) removeImages(`${REGISTRY}/${r}`);
  });

  it('up --build rebuilds and recreates only the service whose context changed; --no-build refuses a missing image', async () => {
    const p = uniqueName('e2e-up-build');
    projects.push(p);
    const f = await loadFixtureCopy('build-basic', p);
    dirs.push(f.dir);
    const env = isolatedEnv(f.dir);

    // --no-build with nothing built: a clear error, nothing created.
    const refused = await runCli(['-p', p, 'up', '-d', '--no-build'], { cwd: f.dir, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/web|worker/);
    expect(containers(p)).toEqual([]);

    const first = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const before = ids(p);
    expect(Object.keys(before).sort()).toEqual(['plain', 'web', 'worker']);

    // Without --build an edit is not picked up: the image exists.
    writeFileSync(join(f.dir, 'web', 'app.txt'), 'v2\n');
    expect((await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env })).code).toBe(0);
    expect(ids(p)).toEqual(before);

    const rebuilt = await runCli(['-p', p, 'up', '-d', '--build'], { cwd: f.dir, env });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const after = ids(p);
    expect(after['web']).not.toBe(before['web']);
    expect(after['worker']).toBe(before['worker']);
    expect(after['plain']).toBe(before['plain']);
    expect(docker(['exec', after['web']!, 'cat', '/ctx/app.txt'])).toBe('v2');

    // --no-build with the images present converges without building.
    const steady = await runCli(['-p', p, 'up', '-d', '--no-build'], { cwd: f.dir, env });
    expect(steady.code, steady.stderr).toBe(0);
    expect(ids(p)).toEqual(after);
  });

  it('up uses the digests pinned by stack lock; --no-lock follows the tag', async () => {
    const p = uniqueName('e2e-up-lock');
    projects.push(p);
    const r = uniqueName('stack-e2e-uplock');
    repos.push(r);
    const ref = `${REGISTRY}/${r}:v1`;
    const v1 = pushGeneration(ref, '1');
    const f = await loadFixtureCopy('pull-roll', p, [], { REPO: r });
    dirs.push(f.dir);
    const env = { ...isolatedEnv(f.dir), REPO: r };

    const lock = await runCli(['-p', p, 'lock'], { cwd: f.dir, env });
    expect(lock.code, lock.stderr).toBe(0);
    const v2 = pushGeneration(ref, '2');
    expect(v2).not.toBe(v1);

    // pull_policy: always, but the lock pins generation 1.
    const pinned = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(imageOf(p, 'app')).toBe(v1);

    const unpinned = await runCli(['-p', p, 'up', '-d', '--no-lock'], { cwd: f.dir, env });
    expect(unpinned.code, unpinned.stderr).toBe(0);
    expect(imageOf(p, 'app')).toBe(v2);
    expect(imageId(ref)).toBe(v2);

    // Back under the lock: the local tag has moved, which is reported, and v1 runs again.
    const back = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toContain('stack.lock.json');
    expect(back.stderr).toContain('the lock pins');
    expect(imageOf(p, 'app')).toBe(v1);

    // `plan` pins like `up` and shows the same image step: under the lock only the pull of the
    // pinned digest (pull_policy: always), no container change; without it a recreate to the tag.
    const plan = await runCli(['-p', p, 'plan', '--json'], { cwd: f.dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    const pinnedActions = (JSON.parse(plan.stdout) as { actions: { kind: string; resource: string; image?: string }[] })
      .actions;
    expect(pinnedActions.map((a) => `${a.kind} ${a.resource}`)).toEqual(['pull-image image:app']);
    expect(pinnedActions[0]!.image).toMatch(/@sha256:/);
    const planNoLock = await runCli(['-p', p, 'plan', '--detailed-exitcode', '--no-lock'], { cwd: f.dir, env });
    expect(planNoLock.code, planNoLock.stdout + planNoLock.stderr).toBe(2);
    expect(planNoLock.stdout).toContain('service:app:1');

    // A reload under `up --watch` pins like the first run: the recreated app still runs v1.
    const run = startCli(['-p', p, 'up', '--watch'], { cwd: f.dir, env, timeoutMs: 110_000 });
    try {
      await until(() => expect(run.output()).toContain('watching'), 'the watch to start', 60_000);
      const before = ids(p)['app'];
      const file = join(f.dir, 'stack.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          'pull_policy: always',
          'pull_policy: always\n    environment: { RELOADED: "1" }',
        ),
      );
      // Settled: one app container again (the replacement renamed, the old one gone), running.
      await until(
        () => {
          const apps = containers(p).filter((c) => c.service === 'app');
          expect(apps.map((c) => c.state)).toEqual(['running']);
          expect(apps[0]!.id).not.toBe(before);
          expect(docker(['inspect', '-f', '{{json .Config.Env}}', apps[0]!.id])).toContain('RELOADED=1');
        },
        'the reload to recreate app',
        60_000,
      );
      expect(imageOf(p, 'app')).toBe(v1);
    } finally {
      run.child.kill('SIGINT');
    }
    await run.done;
  });

  it('a reload under up --watch keeps the flags of the first run: --scale web=3 stays 3 replicas', async () => {
    const p = uniqueName('e2e-up-watch-scale');
    projects.push(p);
    const dir = mkdtempSync(join(tmpdir(), 'stack-up-watch-scale-'));
    dirs.push(dir);
    const write = (greeting: string): void =>
      writeFileSync(
        join(dir, 'stack.yaml'),
        [
          'services:',
          '  web:',
          '    image: stack-test/busybox:latest',
          '    command: ["sleep", "3600"]',
          '    stop_signal: SIGKILL',
          '    environment:',
          `      GREETING: ${greeting}`,
          '',
        ].join('\n'),
      );
    write('one');
    const run = startCli(['-p', p, 'up', '--watch', '--scale', 'web=3'], { cwd: dir, timeoutMs: 110_000 });
    try {
      await until(() => expect(run.output()).toContain('watching'), 'the watch to start', 60_000);
      const before = containers(p)
        .map((c) => c.id)
        .sort();
      expect(before).toHaveLength(3);
      write('two');
      await until(
        () => {
          const now = containers(p).filter((c) => c.state === 'running');
          expect(now.filter((c) => !before.includes(c.id))).toHaveLength(3);
          expect(containers(p)).toHaveLength(3);
        },
        'three recreated replicas',
        60_000,
      );
      // Settled: still three, none removed by a reload that forgot --scale.
      await new Promise((r) => setTimeout(r, 1500));
      expect(
        containers(p)
          .map((c) => c.name)
          .sort(),
      ).toEqual([`${p}-web-1`, `${p}-web-2`, `${p}-web-3`]);
    } finally {
      run.child.kill('SIGINT');
    }
    await run.done;
  });

  it('up --watch streams logs, follows a recreated container, and Ctrl-C stops the stack', async () => {
    const p = uniqueName('e2e-up-watch');
    projects.push(p);
    const dir = mkdtempSync(join(tmpdir(), 'stack-up-watch-'));
    dirs.push(dir);
    const stackFile = join(dir, 'stack.yaml');
    const write = (greeting: string): void =>
      writeFileSync(
        stackFile,
        [
          'services:',
          '  app:',
          '    image: stack-test/busybox:latest',
          `    command: ["sh", "-c", "echo greeting=$$GREETING; exec sleep 3600"]`,
          '    stop_signal: SIGKILL',
          '    environment:',
          `      GREETING: ${greeting}`,
          '  other:',
          '    image: stack-test/busybox:latest',
          '    command: ["sh", "-c", "echo other-up; exec sleep 3600"]',
          '    stop_signal: SIGKILL',
          '',
        ].join('\n'),
      );
    write('hello');
    const run = startCli(['-p', p, 'up', '--watch'], { cwd: dir, timeoutMs: 110_000 });
    try {
      await until(() => expect(run.output()).toMatch(/^app-1 +\| greeting=hello$/m), 'the first log line', 60_000);
      await until(() => expect(run.output()).toContain('watching'), 'the watch to start');
      await until(() => expect(run.output()).toMatch(/^other-1 +\| other-up$/m), 'the other service');
      const before = ids(p);

      write('changed');
      await until(
        () => expect(run.output()).toMatch(/^app-1 +\| greeting=changed$/m),
        "the recreated container's log line",
        60_000,
      );
      const after = ids(p);
      expect(after['app']).not.toBe(before['app']);
      expect(after['other']).toBe(before['other']);
      // The reload line comes once the run ends, which can be after the new container's first line.
      await until(() => expect(run.output()).toMatch(/stack\.yaml changed/), 'the reload line');
    } finally {
      run.child.kill('SIGINT');
    }
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(
      containers(p)
        .map((c) => `${c.service}:${c.state}`)
        .sort(),
    ).toEqual(['app:exited', 'other:exited']);
  });

  it('up --watch follows a container the engine restarts fast: every run from its first line, once, with exit lines', async () => {
    const p = uniqueName('e2e-up-watch-restart');
    projects.push(p);
    const dir = mkdtempSync(join(tmpdir(), 'stack-up-watch-restart-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  crash:',
        '    image: stack-test/busybox:latest',
        // Each run counts itself in an anonymous volume (kept across restarts of the container).
        '    command: ["sh", "-c", "n=$$(cat /data/n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /data/n; echo run $$n; exit 3"]',
        '    restart: always',
        '    volumes: ["/data"]',
        '',
      ].join('\n'),
    );
    const run = startCli(['-p', p, 'up', '--watch'], { cwd: dir, timeoutMs: 110_000 });
    try {
      await until(() => expect(run.output()).toMatch(/^crash-1 +\| run 4$/m), 'the fourth run', 60_000);
    } finally {
      run.child.kill('SIGINT');
    }
    const result = await run.done;
    const runs = [...result.stdout.matchAll(/^crash-1 +\| run (\d+)$/gm)].map((m) => Number(m[1]));
    expect(runs.slice(0, 4), result.stdout).toEqual([1, 2, 3, 4]);
    expect(result.stdout).toMatch(/^crash-1 exited with code 3 \(restarting\)$/m);
  });
});
