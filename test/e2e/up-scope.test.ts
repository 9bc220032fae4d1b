/**
 * Lifecycle semantics of `up` that must match Compose: --force-recreate is scoped to the named
 * services (dependencies only with --always-recreate-deps), a missing external network or
 * volume fails the run before anything is created, unknown services are usage errors.
 */
import { afterEach, expect, it } from 'vitest';
import {
  cleanup,
  containers,
  describeE2E,
  docker,
  fixture,
  inspect,
  networks,
  projectName,
  runCli,
} from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
const resources: string[][] = [];
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
  for (const args of resources.splice(0)) {
    try {
      docker(args);
    } catch {
      // already gone
    }
  }
});

function project(name: string): string {
  const p = projectName(name);
  projects.push(p);
  return p;
}

const idOf = (name: string): string => inspect<{ Id: string }>(name).Id;

describe('up lifecycle scope', () => {
  it('up --force-recreate app recreates only app; --always-recreate-deps recreates its dependency too', async () => {
    const p = project('force-scope');
    const cwd = fixture('e2e-run');
    expect((await runCli(['-p', p, 'up', '-d', 'app'], { cwd })).code).toBe(0);
    const db1 = idOf(`${p}-db-1`);
    const app1 = idOf(`${p}-app-1`);
    const forced = await runCli(['-p', p, 'up', '-d', '--force-recreate', 'app'], { cwd });
    expect(forced.code, forced.stderr).toBe(0);
    expect(idOf(`${p}-db-1`)).toBe(db1);
    const app2 = idOf(`${p}-app-1`);
    expect(app2).not.toBe(app1);
    const deps = await runCli(['-p', p, 'up', '-d', '--force-recreate', '--always-recreate-deps', 'app'], { cwd });
    expect(deps.code, deps.stderr).toBe(0);
    expect(idOf(`${p}-db-1`)).not.toBe(db1);
    expect(idOf(`${p}-app-1`)).not.toBe(app2);
  });

  it('a missing external network or volume fails up before anything is created, naming the service and the resource', async () => {
    const p = project('ext-missing');
    const net = `${p}-ext-net`;
    const vol = `${p}-ext-vol`;
    const env = { EXT_NET: net, EXT_VOL: vol };
    const cwd = fixture('e2e-external');
    const result = await runCli(['-p', p, 'up', '-d'], { cwd, env });
    expect(result.code).toBe(1);
    // The names came from variables: named as ${NAME}, never their values (secrets rule).
    expect(result.stderr).toContain('service "net-user" uses external network "${EXT_NET}"');
    expect(result.stderr).toContain('service "vol-user" uses external volume "${EXT_VOL}"');
    expect(result.stderr).not.toContain(net);
    expect(containers(p)).toEqual([]);
    expect(networks(p)).toEqual([]);
    // Services that do not use them still come up.
    const plain = await runCli(['-p', p, 'up', '-d', 'plain'], { cwd, env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(containers(p).map((c) => `${c.service}:${c.state}`)).toEqual(['plain:running']);
    // Once they exist, the run goes through.
    docker(['network', 'create', net]);
    resources.push(['network', 'rm', net]);
    docker(['volume', 'create', vol]);
    resources.push(['volume', 'rm', '-f', vol]);
    const ok = await runCli(['-p', p, 'up', '-d'], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(containers(p).map((c) => c.state)).toEqual(['running', 'running', 'running']);
    cleanup(p);
  });

  it('stack run of a service using a missing external network fails before creating anything', async () => {
    const p = project('ext-run');
    const result = await runCli(['-p', p, 'run', '--rm', 'net-user', 'true'], {
      cwd: fixture('e2e-external'),
      env: { EXT_NET: `${p}-nope` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('service "net-user" uses external network "${EXT_NET}"');
    expect(containers(p)).toEqual([]);
  });

  it('an unknown service in --scale is a usage error with a suggestion', async () => {
    const p = project('scale-unknown');
    const result = await runCli(['-p', p, 'up', '-d', '--scale', 'aap=2'], { cwd: fixture('e2e-run') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "app"?');
    expect(containers(p)).toEqual([]);
  });

  it('an unknown service in --attach, --no-attach or --exit-code-from, and --attach with -d, are usage errors before anything runs', async () => {
    const p = project('attach-unknown');
    const cwd = fixture('e2e-run');
    for (const flags of [
      ['--attach', 'aap'],
      ['--no-attach', 'aap'],
      ['--exit-code-from', 'aap'],
    ]) {
      const result = await runCli(['-p', p, 'up', ...flags], { cwd });
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr).toContain('did you mean "app"?');
    }
    const detached = await runCli(['-p', p, 'up', '-d', '--attach', 'app'], { cwd });
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain('--attach and --attach-dependencies need an attached up');
    const both = await runCli(['-p', p, 'up', '--attach', 'app', '--attach-dependencies'], { cwd });
    expect(both.code).toBe(2);
    expect(containers(p)).toEqual([]);
  });
});
