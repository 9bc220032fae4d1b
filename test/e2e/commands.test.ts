/**
 * The everyday commands against the real engine: plan (exit codes), ps, logs, exec,
 * stop/start/restart, ls, attached up with Ctrl-C, --wait, destructive confirmation, and the
 * engine error messages.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cleanup,
  containers,
  describeE2E,
  docker,
  eventually,
  fixture,
  inspect,
  projectName,
  runCli,
  startCli,
} from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('e2e-attached');
const p = projectName('cmds');
const env = { STORE_REV: '1' };
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd, env });

describe('commands', () => {
  beforeAll(async () => {
    const up = await stack('up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(() => cleanup(p));

  it('plan --detailed-exitcode: 0 when converged, 2 with changes pending; --json is a versioned plan', async () => {
    expect((await stack('plan', '--detailed-exitcode')).code).toBe(0);
    const pending = await runCli(['-p', p, 'plan', '--detailed-exitcode'], {
      cwd,
      env: { ...env, HEALTH_FILE: '/bin/ls' },
    });
    expect(pending.code).toBe(2);
    expect(pending.stdout).toMatch(/service:sleeper:1/);
    const json = await runCli(['-p', p, 'plan', '--json'], { cwd, env: { ...env, HEALTH_FILE: '/bin/ls' } });
    const plan = JSON.parse(json.stdout) as { actions: { kind: string }[] };
    expect(plan.actions.map((a) => a.kind)).toContain('create-container');
    expect(containers(p).every((c) => c.state === 'running')).toBe(true);
  });

  it('ps lists the services (table, json, -q, --services)', async () => {
    const table = await stack('ps');
    expect(table.stdout).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/m);
    expect(table.stdout).toContain(`${p}-talker-1`);
    const rows = (await stack('ps', '--format', 'json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Service: string; State: string; Health: string });
    expect(rows.map((r) => [r.Service, r.State])).toEqual([
      ['sleeper', 'running'],
      ['talker', 'running'],
    ]);
    expect(rows.find((r) => r.Service === 'sleeper')?.Health).toBe('healthy');
    expect((await stack('ps', '-q')).stdout.trim().split('\n').sort()).toEqual(
      containers(p)
        .map((c) => c.id)
        .sort(),
    );
    expect((await stack('ps', '--services')).stdout).toBe('sleeper\ntalker\n');
  });

  it('logs prints service-prefixed lines from stdout and stderr; --tail limits them', async () => {
    const logs = await stack('logs', 'talker');
    expect(logs.stdout).toMatch(/^talker-1\s+\| hello from talker$/m);
    expect(logs.stdout).toMatch(/^talker-1\s+\| oops$/m);
    expect((await stack('logs', '--tail', '1', 'talker')).stdout.trim().split('\n')).toHaveLength(1);
  });

  it("exec runs in the service container and exits with the command's exit code", async () => {
    const ok = await stack('exec', '-T', 'talker', 'sh', '-c', 'echo from-exec; echo to-err >&2');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('from-exec\n');
    expect(ok.stderr).toContain('to-err');
    expect((await stack('exec', '-T', 'talker', 'sh', '-c', 'exit 7')).code).toBe(7);
  });

  it('exec -it gives the command a TTY (under a pseudo-terminal from script(1)); exec -i forwards stdin', async () => {
    const { execFileSync } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const line = `${process.execPath} ${CLI} -p ${p} exec -it talker sh -c 'tty; exit 4'`;
    let out = '';
    let code = 0;
    try {
      out = execFileSync('script', ['-qec', line, '/dev/null'], {
        cwd,
        env: { ...process.env, ...env, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 30_000,
      });
    } catch (error) {
      const e = error as { status: number; stdout: string };
      code = e.status;
      out = e.stdout;
    }
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(code).toBe(4);

    const result = await runCli(['-p', p, 'exec', '-i', '-T', 'talker', 'sh'], {
      cwd,
      env,
      stdin: 'echo from-stdin\nexit 3\n',
    });
    expect(result.stdout).toContain('from-stdin');
    expect(result.code).toBe(3);
  });

  it('stop, start and restart act on the existing containers without recreating them', async () => {
    const ids = containers(p).map((c) => c.id);
    expect((await stack('stop')).code).toBe(0);
    expect(containers(p).map((c) => c.state)).toEqual(['exited', 'exited']);
    expect((await stack('start')).code).toBe(0);
    expect(containers(p).map((c) => c.state)).toEqual(['running', 'running']);
    const before = inspect<{ State: { StartedAt: string } }>(`${p}-talker-1`).State.StartedAt;
    expect((await stack('restart', 'talker')).code).toBe(0);
    expect(inspect<{ State: { StartedAt: string } }>(`${p}-talker-1`).State.StartedAt).not.toBe(before);
    expect(containers(p).map((c) => c.id)).toEqual(ids);
  });

  it('ls lists the project with its state and config file', async () => {
    const ls = await runCli(['ls'], { cwd });
    expect(ls.stdout).toMatch(new RegExp(`^${p}\\s+running\\(2\\)\\s+.*e2e-attached/stack.yaml$`, 'm'));
  });

  it('a destructive change needs --yes when not interactive (exit 2, nothing touched)', async () => {
    const ids = containers(p).map((c) => c.id);
    const refused = await runCli(['-p', p, 'up', '-d'], { cwd, env: { STORE_REV: '2' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/CONFIRMATION_REQUIRED/);
    expect(containers(p).map((c) => c.id)).toEqual(ids);
  });

  it('--wait names the service that does not become healthy in time', async () => {
    const result = await runCli(['-p', p, 'up', '-d', '--wait', '--wait-timeout', '3', 'sleeper'], {
      cwd,
      env: { ...env, HEALTH_FILE: '/nope' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/WAIT_TIMEOUT.*service "sleeper"/);
  });
});

describe('attached up', () => {
  const q = projectName('attached');
  afterAll(() => cleanup(q));

  it('prints service-prefixed logs and stops the stack gracefully on Ctrl-C (exit 130)', async () => {
    const run = startCli(['-p', q, 'up', 'talker'], { cwd, env });
    await eventually(() => expect(run.output()).toMatch(/talker-1\s+\| hello from talker/), 30_000);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/talker-1\s+\| bye/);
    expect(containers(q).map((c) => [c.service, c.state])).toEqual([['talker', 'exited']]);
  });
});

describe('engine errors', () => {
  it('an engine that is not running is named with a hint (exit 1)', async () => {
    const result = await runCli(['-p', 'e2e-nothing', 'ps'], {
      cwd,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'cannot connect to the Docker engine at unix:///nonexistent/docker.sock: is dockerd running?',
    );
  });

  it('plain tcp:// is refused unless STACK_ALLOW_INSECURE_TCP=1', async () => {
    const result = await runCli(['-p', 'e2e-nothing', 'ps'], { cwd, env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ENGINE_INSECURE/);
    expect(docker(['version', '--format', '{{.Server.APIVersion}}'])).toMatch(/^1\.\d+$/);
  });
});
