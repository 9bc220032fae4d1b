/**
 * `stack run` against the real engine: a one-off container per run, named and labelled as
 * Compose names one-offs, its dependencies started first (conditions honoured), exit code and
 * stdin passed through, ignored by `up`, removed by `down --remove-orphans`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import {
  CLI,
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
const projects: string[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});

const cwd = fixture('e2e-run');

function project(name: string): string {
  const p = projectName(name);
  projects.push(p);
  return p;
}

interface Inspected {
  Name: string;
  State: { Status: string; StartedAt: string; Health?: { Log: { End: string; ExitCode: number }[] } };
  Config: {
    Env: string[];
    Labels: Record<string, string>;
    User: string;
    WorkingDir: string;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Tty: boolean;
    OpenStdin: boolean;
  };
  HostConfig: {
    PortBindings: Record<string, unknown> | null;
    RestartPolicy: { Name: string };
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    Binds: string[] | null;
    AutoRemove: boolean;
  };
  NetworkSettings: {
    Networks: Record<string, { Aliases: string[] | null }>;
    Ports: Record<string, { HostPort: string }[] | null>;
  };
}

describe('stack run', () => {
  it('runs the command in a one-off container after its dependency is healthy, exits with its code and --rm removes it', async () => {
    const p = project('run-rm');
    const result = await runCli(
      [
        '-p',
        p,
        'run',
        '--rm',
        '-e',
        'FROM_CALLER',
        '-e',
        'SET=given',
        'app',
        'sh',
        '-c',
        'echo "$GREETING $FROM_CALLER $SET"; exit 3',
      ],
      { cwd, env: { FROM_CALLER: 'caller-value' } },
    );
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe('hello caller-value given\n');
    const db = inspect<Inspected>(`${p}-db-1`);
    expect(db.State.Status).toBe('running');
    expect(db.State.Health!.Log.some((l) => l.ExitCode === 0)).toBe(true);
    // Only db remains: no app replica was started, and the one-off is gone.
    expect(containers(p).map((c) => c.service)).toEqual(['db']);
  });

  it("-q prints no progress of the dependencies, only the container's output", async () => {
    const loud = await runCli(['-p', project('run-loud'), 'run', '--rm', 'app', 'echo', 'out'], { cwd });
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/Container \S+-db-1 +Started/);
    const quiet = await runCli(['-p', project('run-quiet'), 'run', '-q', '--rm', 'app', 'echo', 'out'], { cwd });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('out\n');
    expect(quiet.stderr).not.toMatch(/Container /);
  });

  it('pipes stdin when it is not a terminal: echo hi | stack run --rm solo cat prints hi', async () => {
    const p = project('run-stdin');
    const result = await runCli(['-p', p, 'run', '--rm', 'solo', 'cat'], { cwd, stdin: 'hi\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('hi\n');
    expect(containers(p)).toEqual([]);
  });

  it('names and labels the one-off as Compose does, without the service ports or restart policy, and applies the run flags', async () => {
    const p = project('run-flags');
    const dir = mkdtempSync(join(tmpdir(), 'stack-run-'));
    writeFileSync(join(dir, 'extra.env'), 'FROM_FILE=file\nSET=from-file\n');
    const result = await runCli(
      [
        '-p',
        p,
        'run',
        '-d',
        '--no-deps',
        '-e',
        'SET=flag',
        '--env-from-file',
        join(dir, 'extra.env'),
        '-l',
        'team=qa',
        '--entrypoint',
        'sh -c',
        '-u',
        '1234',
        '-w',
        '/tmp',
        '-v',
        `${dir}:/mnt/extra:ro`,
        '--cap-add',
        'NET_ADMIN',
        '--cap-drop',
        'CHOWN',
        'app',
        'sleep 300',
      ],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const c = inspect<Inspected>(id);
    expect(c.Name).toMatch(new RegExp(`^/${p}-app-run-[0-9a-f]{12}$`));
    expect(c.Config.Labels['com.docker.compose.oneoff']).toBe('True');
    expect(c.Config.Labels['com.docker.compose.project']).toBe(p);
    expect(c.Config.Labels['com.docker.compose.service']).toBe('app');
    expect(c.Config.Labels['com.docker.compose.slug']).toMatch(new RegExp(`^${c.Name.slice(-12)}[0-9a-f]{52}$`));
    expect(c.Config.Labels['team']).toBe('qa');
    expect(c.Config.Env).toEqual(expect.arrayContaining(['SET=flag', 'FROM_FILE=file', 'GREETING=hello']));
    expect(c.Config.User).toBe('1234');
    expect(c.Config.WorkingDir).toBe('/tmp');
    expect(c.Config.Entrypoint).toEqual(['sh', '-c']);
    expect(c.Config.Cmd).toEqual(['sleep 300']);
    expect(c.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    expect(c.HostConfig.CapDrop).toEqual(['CHOWN']);
    expect(c.HostConfig.Binds).toEqual([`${dir}:/mnt/extra:ro`]);
    expect(c.HostConfig.RestartPolicy.Name).toBe('');
    expect(Object.keys(c.HostConfig.PortBindings ?? {})).toEqual([]);
    expect(c.State.Status).toBe('running');
    // Its aliases on the network are its name only (no --use-aliases): it does not answer for "app".
    expect(Object.values(c.NetworkSettings.Networks)[0]!.Aliases).not.toContain('app');
    // --no-deps: db was not started.
    expect(containers(p).map((x) => x.service)).toEqual(['app']);
  });

  it('-P publishes the service ports, -p only the given ones, and --use-aliases adds the service alias', async () => {
    const p = project('run-ports');
    const withP = await runCli(['-p', p, 'run', '-d', '--no-deps', '-P', '--use-aliases', 'app'], { cwd });
    expect(withP.code, withP.stderr).toBe(0);
    const a = inspect<Inspected>(withP.stdout.trim());
    expect(Object.keys(a.HostConfig.PortBindings ?? {})).toEqual(['8080/tcp']);
    expect(Object.values(a.NetworkSettings.Networks)[0]!.Aliases).toContain('app');
    const withp = await runCli(['-p', p, 'run', '-d', '--no-deps', '-p', '9090', 'app'], { cwd });
    expect(withp.code, withp.stderr).toBe(0);
    const b = inspect<Inspected>(withp.stdout.trim());
    expect(Object.keys(b.HostConfig.PortBindings ?? {})).toEqual(['9090/tcp']);
    const both = await runCli(['-p', p, 'run', '-d', '-P', '-p', '9090', 'app'], { cwd });
    expect(both.code).toBe(2);
  });

  it('a one-off is ignored by up (never an orphan, never recreated), kept by down, removed by down --remove-orphans', async () => {
    const p = project('run-down');
    const run = await runCli(['-p', p, 'run', '-d', '--no-deps', 'solo', 'sleep', '300'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const plan = await runCli(['-p', p, 'plan', '--json'], { cwd });
    expect(plan.stdout).not.toContain(id);
    expect(JSON.parse(plan.stdout).orphans).toEqual([]);
    const up = await runCli(['-p', p, 'up', '-d', '--remove-orphans'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(inspect<Inspected>(id).State.Status).toBe('running');
    const down = await runCli(['-p', p, 'down'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    expect(inspect<Inspected>(id).State.Status).toBe('running');
    const downOrphans = await runCli(['-p', p, 'down', '--remove-orphans'], { cwd });
    expect(downOrphans.code, downOrphans.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  });

  it("kill kills the running one-off containers of the services it acts on too, as Compose's kill", async () => {
    const p = project('run-kill');
    const solo = await runCli(['-p', p, 'run', '-d', '--no-deps', 'solo', 'sleep', '300'], { cwd });
    expect(solo.code, solo.stderr).toBe(0);
    const db = await runCli(['-p', p, 'run', '-d', '--no-deps', 'db'], { cwd });
    expect(db.code, db.stderr).toBe(0);
    const [soloId, dbId] = [solo.stdout.trim(), db.stdout.trim()];
    const killDb = await runCli(['-p', p, 'kill', 'db'], { cwd });
    expect(killDb.code, killDb.stderr).toBe(0);
    expect(inspect<Inspected>(dbId).State.Status).toBe('exited');
    expect(inspect<Inspected>(soloId).State.Status).toBe('running');
    const killAll = await runCli(['-p', p, 'kill'], { cwd });
    expect(killAll.code, killAll.stderr).toBe(0);
    expect(killAll.stderr).toContain(`Container ${inspect<Inspected>(soloId).Name.slice(1)}  Killed`);
    expect(inspect<Inspected>(soloId).State.Status).toBe('exited');
    const again = await runCli(['-p', p, 'kill'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('No container to kill');
  });

  it('Ctrl-C stops a --rm one-off, removes it and exits 130', async () => {
    const p = project('run-int');
    const cli = startCli(
      ['-p', p, 'run', '--rm', '--no-deps', 'solo', 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
      { cwd },
    );
    await eventually(() => containers(p).some((c) => c.state === 'running'), 30_000);
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(130);
    await eventually(() => containers(p).length === 0, 15_000);
    expect(docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${p}`])).toBe('');
  });

  it("allocates a TTY when stdin is a terminal (under script(1)), and exits with the command's code", () => {
    const p = project('run-tty');
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --progress quiet -p ${p} run --rm --no-deps --pull never solo sh -c 'tty; exit 4'`;
    const result = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: '' },
      timeout: 60_000,
    });
    expect(result.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(result.status).toBe(4);
    expect(containers(p)).toEqual([]);
  });

  it('an unknown service is a usage error with a suggestion', async () => {
    const p = project('run-unknown');
    const result = await runCli(['-p', p, 'run', '--rm', 'sol', 'true'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/did you mean "solo"\?/);
  });
});
