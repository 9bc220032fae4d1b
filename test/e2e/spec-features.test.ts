/**
 * The Compose features of issue 15 against the engine: an included sub-project, lifecycle
 * hooks (pre_start in containers of their own, post_start, pre_stop, their output), secrets and
 * configs copied in with their mode and owner, what `up` refuses (providers, models), what the
 * config hash leaves out as Compose does.
 */
import { afterEach, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, eventually, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});

function project(name: string): string {
  const p = projectName(name);
  projects.push(p);
  return p;
}

function containerOf(p: string, service: string): string {
  const found = containers(p).find((c) => c.service === service);
  expect(found, `container of ${service}`).toBeDefined();
  return found!.id;
}

describe('include', () => {
  it('an included sub-project (own directory, own .env) comes up and goes down with the parent', async () => {
    const p = project('include');
    const cwd = fixture('e2e-include');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(containers(p).map((c) => `${c.service} ${c.state}`)).toEqual(['db running', 'web running']);
    const db = containerOf(p, 'db');
    expect(docker(['exec', db, 'sh', '-c', 'echo $DB_NAME; cat /init/seed.txt'])).toBe('from-sub-env\nhello');
    const down = await runCli(['-p', p, 'down'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  }, 120_000);
});

describe('provider services', () => {
  it('up refuses a provider service by name with exit 1 and creates nothing; config shows it', async () => {
    const p = project('provider');
    const cwd = fixture('e2e-provider');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('cannot run service "ai" (provider "model")');
    expect(containers(p)).toEqual([]);
    expect(docker(['network', 'ls', '-q', '--filter', `name=${p}_`])).toBe('');
    const config = await runCli(['-p', p, 'config'], { cwd });
    expect(config.code, config.stderr).toBe(0);
    expect(config.stderr).toContain('stack runs no providers');
  }, 120_000);
});

describe('models', () => {
  it('config shows a service using a model; up refuses it by name with exit 1 and creates nothing; the others run', async () => {
    const p = project('models');
    const cwd = fixture('e2e-provider');
    const config = await runCli(['-p', p, '-f', 'models.yaml', 'config'], { cwd });
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toMatch(/models:\n\s+llm:\n\s+model: ai\/smollm2/);
    const up = await runCli(['-p', p, '-f', 'models.yaml', 'up', '-d'], { cwd });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('cannot run service "web" (models "llm")');
    expect(containers(p)).toEqual([]);
    expect(docker(['network', 'ls', '-q', '--filter', `name=${p}_`])).toBe('');
    const db = await runCli(['-p', p, '-f', 'models.yaml', 'up', '-d', 'db'], { cwd });
    expect(db.code, db.stderr).toBe(0);
    expect(containers(p).map((c) => `${c.service} ${c.state}`)).toEqual(['db running']);
  }, 120_000);
});

describe('the config hash leaves out what Compose leaves out', () => {
  it('changing only an x- key or depends_on of a service does not recreate its container', async () => {
    const p = project('xkeys');
    const cwd = fixture('e2e-extensions');
    expect((await runCli(['-p', p, 'up', '-d'], { cwd })).code).toBe(0);
    const first = containerOf(p, 'web');
    const owner = await runCli(['-p', p, 'up', '-d'], { cwd, env: { OWNER: 'dev' } });
    expect(owner.code, owner.stderr).toBe(0);
    expect(containerOf(p, 'web')).toBe(first);
    const deps = await runCli(['-p', p, '-f', 'stack.yaml', '-f', 'more-deps.yaml', 'up', '-d'], { cwd });
    expect(deps.code, deps.stderr).toBe(0);
    expect(containerOf(p, 'web')).toBe(first);
    // Not vacuous: a real change of the service recreates it.
    const env = await runCli(['-p', p, 'up', '-d'], { cwd, env: { LEVEL: '2' } });
    expect(env.code, env.stderr).toBe(0);
    expect(containerOf(p, 'web')).not.toBe(first);
  }, 120_000);
});

describe('Windows paths', () => {
  it('config accepts a Windows container path; up says a Linux engine cannot use it and creates nothing', async () => {
    const p = project('windows');
    const cwd = fixture('e2e-windows');
    const config = await runCli(['-p', p, 'config'], { cwd });
    expect(config.code, config.stderr).toBe(0);
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('a Linux engine cannot use');
    expect(containers(p)).toEqual([]);
  }, 120_000);
});

describe('lifecycle hooks', () => {
  it('post_start hooks run in order after the start, with user, working_dir and environment; pre_stop runs before stop and down', async () => {
    const p = project('hooks');
    const cwd = fixture('e2e-hooks');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    const stop = await runCli(['-p', p, 'stop'], { cwd });
    expect(stop.code, stop.stderr).toBe(0);
    const start = await runCli(['-p', p, 'start'], { cwd });
    expect(start.code, start.stderr).toBe(0);
    const volume = `${p}_log`;
    const down = await runCli(['-p', p, 'down'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    const log = docker(['run', '--rm', '-v', `${volume}:/log`, 'stack-test/busybox:latest', 'cat', '/log/order']);
    docker(['volume', 'rm', volume]);
    const lines = log.split('\n');
    const started = ['post_start-1', 'post_start-2 hook 1000 /log'];
    expect(lines.filter((l) => l !== 'main')).toEqual([...started, 'pre_stop', ...started, 'pre_stop']);
  }, 120_000);

  it('a failing post_start hook fails the run, naming the service and the exit code', async () => {
    const p = project('hookfail');
    const up = await runCli(['-p', p, '-f', 'failing.yaml', 'up', '-d'], { cwd: fixture('e2e-hooks') });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('service "web": post_start hook #1');
    expect(up.stderr).toContain('exited with code 3');
  }, 120_000);
});

describe('pre_start hooks', () => {
  const hookContainers = (p: string): string[] =>
    docker([
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${p}`,
      '--filter',
      'label=com.docker.compose.hook',
    ])
      .split('\n')
      .filter(Boolean);

  it('run in order in containers of their own before the service starts, once; a stop then start runs them again', async () => {
    const p = project('prestart');
    const cwd = fixture('e2e-hooks');
    const args = ['-p', p, '-f', 'pre-start.yaml'];
    const up = await runCli([...args, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    const web = containerOf(p, 'web');
    const log = async (): Promise<string[]> =>
      eventually(() => {
        const lines = docker(['exec', web, 'cat', '/log/order']).split('\n');
        return lines.filter((l) => l === 'main').length === lines.filter((l) => l === 'post_start').length && lines;
      });
    const first = await log();
    expect(first.filter((l) => l.startsWith('pre_start'))).toEqual([
      'pre_start-0 from-service',
      'pre_start-1 from-hook 1000',
    ]);
    // The service's command ran after both hooks had finished.
    expect(first.indexOf('main')).toBeGreaterThan(first.indexOf('pre_start-1 from-hook 1000'));
    expect(hookContainers(p)).toEqual([]);
    // Converged: nothing is recreated and no hook runs.
    expect((await runCli([...args, 'up', '-d'], { cwd })).code).toBe(0);
    expect(containerOf(p, 'web')).toBe(web);
    expect((await log()).filter((l) => l.startsWith('pre_start'))).toHaveLength(2);
    // Compose's start runs them again when none of the service's containers runs.
    expect((await runCli([...args, 'stop'], { cwd })).code).toBe(0);
    const start = await runCli([...args, 'start'], { cwd });
    expect(start.code, start.stderr).toBe(0);
    expect((await log()).filter((l) => l.startsWith('pre_start'))).toHaveLength(4);
    expect(hookContainers(p)).toEqual([]);
  }, 120_000);

  it('a failing hook fails up (exit 1) naming it, its code and its output; the service stays created, the hook container is kept until down', async () => {
    const p = project('prestartfail');
    const cwd = fixture('e2e-hooks');
    const args = ['-p', p, '-f', 'pre-start-failing.yaml'];
    const up = await runCli([...args, 'up', '-d'], { cwd });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('service "web" pre_start[1] exited with code 17');
    expect(up.stderr).toContain('no migration today');
    expect(up.stderr).toContain('kept for inspection');
    const kept = hookContainers(p);
    expect(kept).toHaveLength(1);
    expect(
      containers(p)
        .filter((c) => !kept.some((id) => c.id.startsWith(id)))
        .map((c) => c.state),
    ).toEqual(['created']);
    const log = docker(['run', '--rm', '-v', `${p}_log:/log`, 'stack-test/busybox:latest', 'cat', '/log/order']);
    expect(log).toBe('ran-0');
    const down = await runCli([...args, 'down'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  }, 120_000);
});

describe('hook output', () => {
  it('attached up shows pre_start and post_start output in the log stream as Compose; up -d does not print it', async () => {
    const p = project('hookout');
    const cwd = fixture('e2e-hooks');
    const up = await runCli(['-p', p, '-f', 'attached.yaml', 'up'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('job pre_start[0] -> | preparing');
    expect(up.stdout).toContain('job-1 -> | started hook');
    expect(up.stdout.indexOf('preparing')).toBeLessThan(up.stdout.indexOf('started hook'));
    // The hook's own container is not one of the service's: its exit is not reported.
    const exits = (up.stdout + up.stderr).match(/.* exited with code \d+/g) ?? [];
    expect(exits.filter((line) => line !== 'job-1 exited with code 0')).toEqual([]);
    const detached = await runCli(['-p', p, '-f', 'attached.yaml', 'up', '-d'], { cwd });
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.stdout + detached.stderr).not.toContain('preparing');
  }, 120_000);
});

describe('secrets and configs', () => {
  it('a secret with mode 0400 and uid 1000 is seen so inside the container; environment and content sources are copied', async () => {
    const p = project('secrets');
    const cwd = fixture('e2e-secrets');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd, env: { APP_SECRET: 'from-the-env' } });
    expect(up.code, up.stderr).toBe(0);
    const app = containerOf(p, 'app');
    expect(docker(['exec', app, 'stat', '-c', '%a %u %g', '/run/secrets/token'])).toBe('400 1000 1000');
    expect(docker(['exec', app, 'cat', '/run/secrets/token'])).toBe('s3cret');
    expect(docker(['exec', app, 'cat', '/run/secrets/from_env'])).toBe('from-the-env');
    expect(docker(['exec', app, 'stat', '-c', '%a', '/run/secrets/from_env'])).toBe('444');
    expect(docker(['exec', app, 'cat', '/etc/app/settings.conf'])).toBe('version=1');
    expect(up.stdout + up.stderr).not.toContain('from-the-env');
  }, 120_000);

  it('a secret from an unset variable stops up before the engine is touched, as Compose', async () => {
    const p = project('secretunset');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-secrets'), env: { APP_SECRET: undefined } });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      'environment variable "APP_SECRET" required by secret "from_env" of service "app" is not set',
    );
    expect(containers(p)).toEqual([]);
  }, 120_000);

  it('a config whose content changes recreates the service', async () => {
    const p = project('configchange');
    const cwd = fixture('e2e-secrets');
    const env = { APP_SECRET: 'x' };
    expect((await runCli(['-p', p, 'up', '-d'], { cwd, env })).code).toBe(0);
    const first = containerOf(p, 'app');
    const same = await runCli(['-p', p, 'up', '-d'], { cwd, env });
    expect(same.code, same.stderr).toBe(0);
    expect(containerOf(p, 'app')).toBe(first);
    const changed = await runCli(['-p', p, 'up', '-d'], { cwd, env: { ...env, SETTINGS_VERSION: '2' } });
    expect(changed.code, changed.stderr).toBe(0);
    const second = containerOf(p, 'app');
    expect(second).not.toBe(first);
    expect(docker(['exec', second, 'cat', '/etc/app/settings.conf'])).toBe('version=2');
  }, 120_000);
});
