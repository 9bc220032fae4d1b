// Attached `up` as CI pipelines use it (Compose v2's behaviour): exit lines, the exit code of
// `--exit-code-from`, aborting on the first exit or failure, restarted containers followed,
// `--no-attach`, and one Ctrl-C message that stops what was attached.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, eventually, runCli, startCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';

const describe = await describeE2E();

describe('attached up', () => {
  const projects: string[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const p of projects) cleanup(p);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const stack = (services: Record<string, string>): { dir: string; project: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-attached-'));
    dirs.push(dir);
    const project = uniqueName('e2e-attached');
    projects.push(project);
    const lines = ['services:'];
    for (const [name, body] of Object.entries(services))
      lines.push(`  ${name}:`, '    image: stack-test/busybox:latest', ...body.split('\n').map((l) => `    ${l}`));
    writeFileSync(join(dir, 'stack.yaml'), lines.join('\n') + '\n');
    return { dir, project };
  };

  it('prints each exit with its code and returns once every attached container has exited (exit 0 without abort flags)', async () => {
    const { dir, project } = stack({
      ok: 'command: ["sh", "-c", "echo ok-says-hi"]',
      bad: 'command: ["sh", "-c", "echo bad-says-hi; sleep 1; exit 5"]',
    });
    const run = await runCli(['-p', project, 'up'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ok-1 +\| ok-says-hi$/m);
    expect(run.stdout).toMatch(/^bad-1 +\| bad-says-hi$/m);
    expect(run.stdout).toMatch(/^ok-1 exited with code 0$/m);
    expect(run.stdout).toMatch(/^bad-1 exited with code 5$/m);
  });

  it("--exit-code-from exits with that service's code and stops the others", async () => {
    const { dir, project } = stack({
      tests: 'command: ["sh", "-c", "echo testing; sleep 1; exit 3"]',
      db: 'command: ["sleep", "3600"]\nstop_signal: SIGKILL',
    });
    const run = await runCli(['-p', project, 'up', '--exit-code-from', 'tests'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(/^tests-1 exited with code 3$/m);
    expect(run.stderr).toContain('Aborting on container exit...');
    expect(
      containers(project)
        .map((c) => `${c.service}:${c.state}`)
        .sort(),
    ).toEqual(['db:exited', 'tests:exited']);
  });

  it('--abort-on-container-failure ignores a clean exit and aborts on the first failure, exiting with its code', async () => {
    const { dir, project } = stack({
      fine: 'command: ["true"]',
      fails: 'command: ["sh", "-c", "sleep 2; exit 4"]',
      server: 'command: ["sleep", "3600"]\nstop_signal: SIGKILL',
    });
    const run = await runCli(['-p', project, 'up', '--abort-on-container-failure'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(4);
    expect(run.stdout).toMatch(/^fine-1 exited with code 0$/m);
    expect(run.stdout).toMatch(/^fails-1 exited with code 4$/m);
    expect(containers(project).find((c) => c.service === 'server')?.state).toBe('exited');
  });

  it('a container the engine restarts (restart: on-failure) is followed: every exit is shown, and up returns after the last', async () => {
    const { dir, project } = stack({ flaky: 'restart: on-failure:2\ncommand: ["sh", "-c", "echo attempt; exit 1"]' });
    const run = await runCli(['-p', project, 'up'], { cwd: dir, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    // (Restarts 100 ms apart can outrun the log streams: output is shown, not always every run's.)
    expect(run.stdout).toMatch(/^flaky-1 +\| attempt$/m);
    expect(run.stdout.match(/^flaky-1 exited with code 1 \(restarting\)$/gm)?.length).toBe(2);
    expect(run.stdout).toMatch(/^flaky-1 exited with code 1$/m);
  });

  it("--no-attach leaves a service's output out", async () => {
    const { dir, project } = stack({
      noisy: 'command: ["sh", "-c", "echo noise"]',
      quiet: 'command: ["sh", "-c", "echo signal; sleep 1"]',
    });
    const run = await runCli(['-p', project, 'up', '--no-attach', 'noisy'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^quiet-1 +\| signal$/m);
    expect(run.stdout).not.toContain('noise');
  });

  it('a service with attach: false runs without its output in attached up, and Ctrl-C stops it with the rest', async () => {
    const { dir, project } = stack({
      loud: 'command: ["sh", "-c", "echo loud-line; exec sleep 3600"]\nstop_signal: SIGKILL',
      quiet: 'attach: false\ncommand: ["sh", "-c", "echo quiet-line; exec sleep 3600"]\nstop_signal: SIGKILL',
    });
    const run = startCli(['-p', project, 'up'], { cwd: dir });
    await eventually(() => expect(run.output()).toMatch(/^loud-1 +\| loud-line$/m), 60_000);
    // It ran and printed (the engine has the line): up chose not to show it.
    await eventually(() => expect(docker(['logs', `${project}-quiet-1`])).toContain('quiet-line'), 30_000);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).not.toContain('quiet-line');
    expect(result.stderr).not.toMatch(/UNSUPPORTED_KEY/);
    expect(
      containers(project)
        .map((c) => `${c.service}:${c.state}`)
        .sort(),
    ).toEqual(['loud:exited', 'quiet:exited']);
  });

  it('--attach names an attach: false service back in; logs leaves it out unless it is named', async () => {
    const { dir, project } = stack({
      loud: 'command: ["sh", "-c", "echo loud-line"]',
      quiet: 'attach: false\ncommand: ["sh", "-c", "echo quiet-line"]',
    });
    const run = await runCli(['-p', project, 'up', '--attach', 'quiet'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^quiet-1 +\| quiet-line$/m);
    expect(run.stdout).not.toContain('loud-line');
    await eventually(() => expect(containers(project).every((c) => c.state === 'exited')).toBe(true), 30_000);
    const all = await runCli(['-p', project, 'logs'], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^loud-1 +\| loud-line$/m);
    expect(all.stdout).not.toContain('quiet-line');
    const named = await runCli(['-p', project, 'logs', 'quiet'], { cwd: dir });
    expect(named.stdout).toMatch(/^quiet-1 +\| quiet-line$/m);
  });

  it('Ctrl-C prints one message, stops what was attached and exits 130', async () => {
    const { dir, project } = stack({
      server: 'command: ["sh", "-c", "echo serving; exec sleep 3600"]\nstop_signal: SIGKILL',
    });
    const run = startCli(['-p', project, 'up'], { cwd: dir });
    await eventually(() => expect(run.output()).toMatch(/server-1 +\| serving/), 60_000);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr.match(/Gracefully stopping/g)?.length).toBe(1);
    expect(result.stderr).not.toContain('finishing in-flight actions');
    expect(containers(project).map((c) => c.state)).toEqual(['exited']);
  });

  it("after Ctrl-C the stopped containers' last output and exit lines are still printed (as Compose prints them while stopping)", async () => {
    const { dir, project } = stack({
      server:
        'command: ["sh", "-c", "trap \'echo stopping-now; exit 3\' TERM; echo serving; while true; do sleep 1; done"]',
    });
    const run = startCli(['-p', project, 'up'], { cwd: dir });
    await eventually(() => expect(run.output()).toMatch(/server-1 +\| serving/), 60_000);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toMatch(/^server-1 +\| stopping-now$/m);
    expect(result.stdout).toMatch(/^server-1 exited with code 3$/m);
  });

  it('a container that restarts at once loses no output: each run of a counter prints its line once, and every exit is shown', async () => {
    const { dir, project } = stack({
      counter:
        'restart: on-failure:5\ncommand: ["sh", "-c", "n=$$(cat /n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /n; echo run-$$n; exit 1"]',
    });
    const run = await runCli(['-p', project, 'up'], { cwd: dir, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('counter-1'));
    expect(lines.filter((l) => /\| run-\d+$/.test(l)).map((l) => l.replace(/^.*\| /, ''))).toEqual([
      'run-1',
      'run-2',
      'run-3',
      'run-4',
      'run-5',
      'run-6',
    ]);
    // Every exit is shown: five restarts, then the final one, last: after the last run's output
    // line, also when the restart outpaces the log stream.
    expect(lines.at(-1)).toBe('counter-1 exited with code 1');
    expect(lines.filter((l) => l === 'counter-1 exited with code 1')).toHaveLength(1);
    expect(lines.filter((l) => l === 'counter-1 exited with code 1 (restarting)')).toHaveLength(5);
  });

  it('when the engine goes away while attached, up exits 1 saying so (never 0, never a hang)', async () => {
    const { dir, project } = stack({
      server: 'command: ["sh", "-c", "echo serving; exec sleep 3600"]\nstop_signal: SIGKILL',
    });
    const proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
    const run = startCli(['-p', project, 'up'], {
      cwd: dir,
      env: { DOCKER_HOST: proxy.dockerHost },
      timeoutMs: 60_000,
    });
    await eventually(() => expect(run.output()).toMatch(/server-1 +\| serving/), 60_000);
    await proxy.close();
    const result = await run.done;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('error[ENGINE_UNREACHABLE]');
  });
});
