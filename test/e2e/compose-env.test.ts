/**
 * Compose's COMPOSE_* variables (from the shell and from `.env`, the shell winning), the global
 * `--dry-run`, `--ansi` and `-f -`, as a script switching from `docker compose` relies on them.
 */
import { afterAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('compose-env');
const p = projectName('cenv');
const stack = (args: string[], env: Record<string, string | undefined> = {}, stdin?: string) =>
  runCli(args, { cwd, env, ...(stdin !== undefined ? { stdin } : {}) });
const services = async (env: Record<string, string | undefined>): Promise<string> =>
  (await stack(['config', '--services'], env)).stdout;

describe('COMPOSE_* variables and global flags', () => {
  afterAll(() => cleanup(p));

  it('COMPOSE_FILE is read from .env (split on ":"); the shell wins; COMPOSE_PATH_SEPARATOR splits', async () => {
    expect(await services({})).toBe('app\nextra\n');
    expect(await services({ COMPOSE_FILE: 'services.yaml' })).toBe('app\n');
    expect(await services({ COMPOSE_FILE: 'extra.yaml,services.yaml', COMPOSE_PATH_SEPARATOR: ',' })).toBe(
      'app\nextra\n',
    );
    // -f wins over COMPOSE_FILE.
    expect((await stack(['-f', 'extra.yaml', 'config', '--services'])).stdout).toBe('extra\n');
  });

  it('COMPOSE_ENV_FILES names the env files instead of .env; COMPOSE_DISABLE_ENV_FILE skips .env', async () => {
    expect(await services({ COMPOSE_ENV_FILES: 'alt.env' })).toBe('extra\n');
    const disabled = await stack(['config', '--services'], { COMPOSE_DISABLE_ENV_FILE: '1' });
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('NO_STACK_FILE');
  });

  it('-f - reads the stack file from stdin, relative paths against the working directory', async () => {
    const yaml = 'services:\n  piped:\n    image: stack-test/busybox:latest\n    volumes: ["./data:/data"]\n';
    const result = await stack(['-f', '-', '-p', p, 'config'], { COMPOSE_FILE: undefined }, yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('piped:');
    expect(result.stdout).toContain(`source: ${cwd}/data`);
  });

  it('bad COMPOSE_PROGRESS, COMPOSE_ANSI, COMPOSE_PARALLEL_LIMIT values are usage errors (exit 2) naming the variable', async () => {
    for (const [name, value] of [
      ['COMPOSE_PROGRESS', 'fancy'],
      ['COMPOSE_ANSI', 'sometimes'],
      ['COMPOSE_PARALLEL_LIMIT', 'many'],
    ] as const) {
      const result = await stack(['-p', p, 'ps'], { [name]: value });
      expect(result.code, name).toBe(2);
      expect(result.stderr).toContain(name);
    }
    const flag = await stack(['--ansi', 'sometimes', '-p', p, 'ps']);
    expect(flag.code).toBe(2);
  });

  it('--dry-run prints the plan of up and changes nothing; down, stop, kill and rm under --dry-run change nothing', async () => {
    const dry = await stack(['--dry-run', '-p', p, 'up', '-d']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/create-container service:app:1/);
    expect(containers(p)).toEqual([]);
    expect((await stack(['-p', p, 'up', '-d'])).code).toBe(0);
    const before = containers(p);
    expect(before.map((c) => [c.service, c.state])).toEqual([
      ['app', 'running'],
      ['extra', 'running'],
    ]);
    for (const args of [['down'], ['stop'], ['kill'], ['pause'], ['rm', '-s', '-f']]) {
      const result = await stack(['--dry-run', '-p', p, ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr.split('\n')[0], args.join(' ')).toBe('DRY-RUN MODE - nothing on the engine is changed');
      expect(containers(p), args.join(' ')).toEqual(before);
    }
  });

  it('COMPOSE_PROGRESS=json gives JSON events; COMPOSE_STATUS_STDOUT puts the status lines on stdout', async () => {
    const json = await stack(['-p', p, 'up', '-d', '--force-recreate', 'app'], { COMPOSE_PROGRESS: 'json' });
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stderr.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const status = await stack(['-p', p, 'restart', 'app'], { COMPOSE_STATUS_STDOUT: '1' });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Container ${p}-app-1  Restarted`);
    expect(status.stderr).toBe('');
  });

  it('COMPOSE_REMOVE_ORPHANS=1 makes up remove the containers of services no longer in the files; COMPOSE_IGNORE_ORPHANS hides the note', async () => {
    const kept = await stack(['-p', p, 'up', '-d'], { COMPOSE_FILE: 'services.yaml' });
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain('orphan containers kept');
    const quiet = await stack(['-p', p, 'up', '-d'], { COMPOSE_FILE: 'services.yaml', COMPOSE_IGNORE_ORPHANS: 'true' });
    expect(quiet.stderr).not.toContain('orphan');
    expect(containers(p).map((c) => c.service)).toEqual(['app', 'extra']);
    const removed = await stack(['-p', p, 'up', '-d'], { COMPOSE_FILE: 'services.yaml', COMPOSE_REMOVE_ORPHANS: '1' });
    expect(removed.code, removed.stderr).toBe(0);
    expect(containers(p).map((c) => c.service)).toEqual(['app']);
    expect(docker(['ps', '-a', '-q', '--filter', `name=${p}-extra`])).toBe('');
  });
});
