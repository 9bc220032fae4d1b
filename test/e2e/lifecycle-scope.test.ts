// The lifecycle verbs scoped and ordered as Compose v2: `start x` brings x's dependency chain up
// with its depends_on conditions, `restart x` restarts what depends on x with `restart: true`
// (so does an `up` that recreates x), and `-f one.yaml stop|kill|rm|logs` touch only one.yaml's
// services while the project knows more.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, inspect, runCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

interface State {
  State: { Status: string; StartedAt: string; FinishedAt: string; ExitCode: number; Health?: { Status: string } };
}
const stateOf = (name: string): State['State'] => inspect<State>(name).State;
const ms = (time: string): number => Date.parse(time);

const SLEEPER = `image: stack-test/busybox:latest
    command: ["sh", "-c", "echo $$HOSTNAME-says-hi; trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('lifecycle verbs as Compose scopes them', () => {
  const projects: string[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const p of projects) cleanup(p);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const setup = (files: Record<string, string>): { dir: string; project: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-lifecycle-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const project = uniqueName('e2e-life');
    projects.push(project);
    return { dir, project };
  };

  it('start app starts its stopped dependencies first: a job runs to completion and the database is healthy before app starts', async () => {
    const { dir, project } = setup({
      'stack.yaml': `services:
  db:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "rm -f /ready; sleep 3; touch /ready; trap 'exit 0' TERM; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 1s
      retries: 30
  migrate:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "sleep 1; echo migrated"]
  app:
    ${SLEEPER}
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
`,
    });
    const stack = (...args: string[]) => runCli(['-p', project, ...args], { cwd: dir });
    expect((await stack('up', '-d')).code).toBe(0);
    expect((await stack('stop')).code).toBe(0);
    const stoppedAt = Date.now();

    const start = await stack('start', 'app');
    expect(start.code, start.stderr).toBe(0);
    const db = stateOf(`${project}-db-1`);
    const migrate = stateOf(`${project}-migrate-1`);
    const app = stateOf(`${project}-app-1`);
    expect(db.Status).toBe('running');
    expect(db.Health?.Status).toBe('healthy');
    expect(app.Status).toBe('running');
    // The job ran again (as Compose's start does) and had finished, with 0, before app started.
    expect(ms(migrate.StartedAt)).toBeGreaterThan(stoppedAt - 1000);
    expect(migrate.ExitCode).toBe(0);
    expect(ms(app.StartedAt)).toBeGreaterThanOrEqual(ms(migrate.FinishedAt));
    // db reports healthy only once /ready exists, 3 s after its start: app started after that.
    expect(ms(app.StartedAt) - ms(db.StartedAt)).toBeGreaterThanOrEqual(3000);
  });

  it('restart db restarts the services that depend on it with restart: true (not --no-deps), and so does an up that recreates db', async () => {
    const { dir, project } = setup({
      'stack.yaml': `services:
  db:
    ${SLEEPER}
    environment:
      REV: \${REV:-1}
  app:
    ${SLEEPER}
    depends_on:
      db: { condition: service_started, restart: true }
  other:
    ${SLEEPER}
    depends_on:
      db: { condition: service_started }
`,
    });
    const stack = (args: string[], env: Record<string, string> = {}) =>
      runCli(['-p', project, ...args], { cwd: dir, env });
    expect((await stack(['up', '-d'])).code).toBe(0);
    const started = (service: string): number => ms(stateOf(`${project}-${service}-1`).StartedAt);
    let before = { db: started('db'), app: started('app'), other: started('other') };

    const restart = await stack(['restart', 'db']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(started('db')).toBeGreaterThan(before.db);
    expect(started('app')).toBeGreaterThan(before.app);
    expect(started('other')).toBe(before.other);

    before = { db: started('db'), app: started('app'), other: started('other') };
    expect((await stack(['restart', '--no-deps', 'db'])).code).toBe(0);
    expect(started('db')).toBeGreaterThan(before.db);
    expect(started('app')).toBe(before.app);

    before = { db: started('db'), app: started('app'), other: started('other') };
    const up = await stack(['up', '-d'], { REV: '2' });
    expect(up.code, up.stderr).toBe(0);
    expect(started('app')).toBeGreaterThan(before.app);
    expect(started('other')).toBe(before.other);
    expect(containers(project).map((c) => `${c.service}:${c.state}`)).toEqual([
      'app:running',
      'db:running',
      'other:running',
    ]);
  });

  it("-f one.yaml stop, kill, rm and logs act only on one.yaml's services; by project name alone they act on all", async () => {
    const { dir, project } = setup({
      'one.yaml': `services:\n  first:\n    ${SLEEPER}\n`,
      'two.yaml': `services:\n  second:\n    ${SLEEPER}\n`,
    });
    const both = ['-p', project, '-f', 'one.yaml', '-f', 'two.yaml'];
    const one = ['-p', project, '-f', 'one.yaml'];
    const state = (): string[] => containers(project).map((c) => `${c.service}:${c.state}`);
    expect((await runCli([...both, 'up', '-d'], { cwd: dir })).code).toBe(0);

    const logs = await runCli([...one, 'logs'], { cwd: dir });
    expect(logs.stdout).toMatch(/^first-1 +\| .*-says-hi$/m);
    expect(logs.stdout).not.toContain('second-1');

    expect((await runCli([...one, 'stop'], { cwd: dir })).code).toBe(0);
    expect(state()).toEqual(['first:exited', 'second:running']);
    expect((await runCli([...one, 'start'], { cwd: dir })).code).toBe(0);
    expect((await runCli([...one, 'kill'], { cwd: dir })).code).toBe(0);
    expect(state()).toEqual(['first:exited', 'second:running']);
    expect((await runCli([...both, 'stop', 'second'], { cwd: dir })).code).toBe(0);
    expect((await runCli([...one, 'rm', '-f'], { cwd: dir })).code).toBe(0);
    expect(state()).toEqual(['second:exited']);

    expect((await runCli([...both, 'up', '-d'], { cwd: dir })).code).toBe(0);
    // No stack file in the directory: the project by name, every container of it.
    expect((await runCli(['-p', project, 'stop'], { cwd: dir })).code).toBe(0);
    expect(state()).toEqual(['first:exited', 'second:exited']);
  });

  it('kill --remove-orphans kills the containers of services the file no longer defines too (killed, not removed, as Compose)', async () => {
    const { dir, project } = setup({
      'stack.yaml': `services:\n  kept:\n    ${SLEEPER}\n  dropped:\n    ${SLEEPER}\n`,
    });
    const stack = (...args: string[]) => runCli(['-p', project, ...args], { cwd: dir });
    const state = (): string[] => containers(project).map((c) => `${c.service}:${c.state}`);
    expect((await stack('up', '-d')).code).toBe(0);
    writeFileSync(join(dir, 'stack.yaml'), `services:\n  kept:\n    ${SLEEPER}\n`);

    expect((await stack('kill')).code).toBe(0);
    expect(state()).toEqual(['dropped:running', 'kept:exited']);
    expect((await stack('start')).code).toBe(0);
    const kill = await stack('kill', '--remove-orphans');
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stderr).toContain(`Container ${project}-dropped-1  Killed`);
    expect(state()).toEqual(['dropped:exited', 'kept:exited']);
  });
});
