// Secrets never appear in anything stack prints: sentinel values set through .env
// (interpolated), env_file, a literal in `environment` and an interpolation default are
// grepped for in plan, plan --json, up progress (plain, json and tty), ps, down, and in error
// output (an engine failure and input errors). `config` is excluded: it prints the resolved
// file on purpose, as Compose does.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { describeWithEngine, rawRequest, uniqueName } from '../support/engine.js';
import { ROOT, cliBuilt, describeRun, removeProjectsWithPrefix, runStack } from '../support/stack-cli.js';
import type { StackRun } from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-secret');
const FILE = join(ROOT, 'fixtures/reliability/secrets/stack.yaml');
const RUN_TIMEOUT = 120_000;
/** The distinctive part of each sentinel: a leak of any of them, whole or in part, is caught. */
const SENTINELS = ['3b7f0a', 'e81d42', '9c41e7', '5d20aa', 'CHANGED-77aa01'];

function expectNoSecrets(what: string, run: StackRun): void {
  const output = run.stdout + run.stderr;
  for (const s of SENTINELS)
    expect(output.includes(s), `${what} printed the secret ${s}:\n${describeRun(run)}`).toBe(false);
}

describeEngine('secrets are never printed', () => {
  const project = `${PREFIX}-a`;
  let dir: string;
  let proxy: EngineProxy;
  const stack = (args: string[], options: { env?: Record<string, string>; dockerHost?: string; file?: string } = {}) =>
    runStack(['-f', options.file ?? FILE, '-p', project, ...args], {
      timeoutMs: RUN_TIMEOUT,
      ...(options.env ? { env: options.env } : {}),
      ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}),
    });

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-secret-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plan and plan --json of a new project show keys, not values', async () => {
    for (const args of [['plan'], ['plan', '--json']]) {
      const run = await stack(args);
      expect(run.code, describeRun(run)).toBe(0);
      expectNoSecrets(args.join(' '), run);
    }
  }, 120_000);

  it('up progress (plain and json), ps and a no-op up print no values, while the containers do get them', async () => {
    const plain = await stack(['--progress', 'plain', 'up', '-d']);
    expect(plain.code, describeRun(plain)).toBe(0);
    expectNoSecrets('up --progress plain', plain);
    const env = (
      (await rawRequest({ path: `/containers/${project}-app-1/json` })).json as { Config: { Env: string[] } }
    ).Config.Env;
    expect(env).toEqual(
      expect.arrayContaining([
        'DB_PASSWORD=sentinel-DOTENV-3b7f0a',
        'API_KEY=sentinel-ENVFILE-e81d42',
        'INLINE_TOKEN=sentinel-INLINE-9c41e7',
      ]),
    );
    const json = await stack(['--progress', 'json', 'up', '-d']);
    expect(json.code, describeRun(json)).toBe(0);
    expectNoSecrets('up --progress json', json);
    for (const args of [['ps'], ['ps', '--format', 'json'], ['ps', '-a']])
      expectNoSecrets(args.join(' '), await stack(args));
  }, 200_000);

  it('the TTY progress renderer (listr2) prints no values either', async () => {
    // --progress tty forces the listr2 renderer even though the test's stdout is a pipe.
    const run = await stack(['--progress', 'tty', 'up', '-d', '--force-recreate']);
    expect(run.code, describeRun(run)).toBe(0);
    // listr2's started-task marker (❯) shows it was that renderer, not plain lines
    expect(run.stdout + run.stderr).toMatch(/❯ Container .*app/);
    expectNoSecrets('up --progress tty', run);
  }, 200_000);

  it('a plan to change a secret names the variable, never the old or new value', async () => {
    for (const args of [['plan'], ['plan', '--json'], ['--progress', 'json', 'up', '-d']]) {
      const run = await stack(args, { env: { DB_PASSWORD: 'sentinel-CHANGED-77aa01' } });
      expect(run.code, describeRun(run)).toBe(0);
      expectNoSecrets(args.join(' '), run);
      if (args[0] === 'plan') expect(run.stdout).toContain('DB_PASSWORD');
    }
  }, 200_000);

  it('an engine failure while creating a container with secrets does not print them', async () => {
    await stack(['down']);
    proxy.setFaults([
      { route: 'POST /containers/create', action: 'error', status: 500, times: Infinity, message: 'injected failure' },
    ]);
    const run = await stack(['up', '-d'], { dockerHost: proxy.dockerHost });
    proxy.setFaults([]);
    expect(run.code, describeRun(run)).toBe(1);
    expectNoSecrets('a failed up', run);
    const debug = await stack(['--debug', 'up', '-d'], { dockerHost: `unix://${join(dir, 'nothing.sock')}` });
    expectNoSecrets('--debug up against no engine', debug);
  }, 200_000);

  it('input errors in a file holding secrets do not print them', async () => {
    // An empty secret, and an override with a wrong type right next to the secrets.
    const missing = await stack(['plan'], { env: { DB_PASSWORD: '' }, file: FILE });
    expectNoSecrets('plan with an empty DB_PASSWORD', missing);
    const typeError = await runStack(
      ['-f', FILE, '-f', join(ROOT, 'fixtures/reliability/secrets/bad-override.yaml'), '-p', project, 'plan'],
      { timeoutMs: RUN_TIMEOUT },
    );
    expect(typeError.code, describeRun(typeError)).toBe(2);
    expectNoSecrets('a schema error', typeError);
  }, 120_000);

  it('down prints no values', async () => {
    expectNoSecrets('down', await stack(['down', '-v']));
  }, 120_000);

  it('plan lists what gives a service power over the host: privileged mode, the engine socket, host paths outside the project', async () => {
    const file = join(dir, 'stack.yaml');
    writeFileSync(
      file,
      [
        'services:',
        '  priv:',
        '    image: stack-test/busybox:latest',
        '    privileged: true',
        '  sock:',
        '    image: stack-test/busybox:latest',
        '    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]',
        '  host:',
        '    image: stack-test/busybox:latest',
        '    volumes: ["/etc:/host-etc:ro", "./inside:/inside"]',
        '  plain:',
        '    image: stack-test/busybox:latest',
        '',
      ].join('\n'),
    );
    const run = await runStack(['-f', file, '-p', `${PREFIX}-priv`, 'plan'], { timeoutMs: RUN_TIMEOUT });
    expect(run.code, describeRun(run)).toBe(0);
    const notes = run.stdout.split('\n').filter((l) => l.startsWith('note: service'));
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/service priv gets privileged mode/),
        expect.stringMatching(/service sock gets the Docker engine socket \/var\/run\/docker\.sock/),
        expect.stringMatching(/service host gets host path \/etc \(read-only\)/),
      ]),
    );
    // a path inside the project and a plain service are not listed
    expect(notes.join('\n')).not.toMatch(/inside|service plain/);
  }, 120_000);

  it('plan lists host access through in-project symlinks, secret and config files, env_file and a Dockerfile outside its context', async () => {
    const where = join(dir, 'host-access');
    mkdirSync(join(where, 'app'), { recursive: true });
    symlinkSync('/etc', join(where, 'conf'));
    symlinkSync('/etc/shadow', join(where, 'secret.txt'));
    symlinkSync(join(where, 'app'), join(where, 'code')); // stays in the project: not listed
    writeFileSync(join(where, 'Dockerfile.outside'), 'FROM scratch\n');
    writeFileSync(join(dir, 'outside.env'), 'A=1\n');
    writeFileSync(
      join(where, 'stack.yaml'),
      [
        'services:',
        '  app:',
        '    image: stack-test/busybox:latest',
        '    volumes: ["./conf:/host-conf:ro", "./code:/code"]',
        '    secrets: [pw]',
        '    configs: [hostname]',
        `    env_file: ${join(dir, 'outside.env')}`,
        '  web:',
        `    image: ${PREFIX}-web`,
        '    build: { context: ./app, dockerfile: ../Dockerfile.outside }',
        'secrets:',
        '  pw: { file: ./secret.txt }',
        'configs:',
        '  hostname: { file: /etc/hostname }',
        '',
      ].join('\n'),
    );
    const run = await runStack(['-p', `${PREFIX}-host`, 'plan'], { cwd: where, timeoutMs: RUN_TIMEOUT });
    expect(run.code, describeRun(run)).toBe(0);
    const notes = (run.stdout + run.stderr).split('\n').filter((l) => l.startsWith('note: service'));
    expect(notes).toEqual([
      `note: service app gets host path /etc (through ${join(where, 'conf')}) (read-only)`,
      `note: service app gets host file /etc/shadow (through ${join(where, 'secret.txt')}) as secret pw`,
      'note: service app gets host file /etc/hostname as config hostname',
      `note: service app gets its environment from host file ${join(dir, 'outside.env')} (env_file)`,
      `note: service web gets the Dockerfile ${join(where, 'Dockerfile.outside')}, outside its build context ${join(where, 'app')}`,
    ]);
  }, 120_000);

  /** A project of its own in `dir/<name>` with these files; runs `args` there. */
  function projectIn(
    name: string,
    files: Record<string, string>,
  ): (args: string[], env?: Record<string, string>) => Promise<StackRun> {
    const where = join(dir, name);
    mkdirSync(where, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(where, file), text);
    return (args, env = {}) =>
      runStack(['-p', `${PREFIX}-${name}`, ...args], { cwd: where, env, timeoutMs: RUN_TIMEOUT });
  }

  /** Case-insensitive: the engine may quote a value in upper case (`CAP_` + the capability). */
  function expectNone(what: string, run: StackRun, sentinels: readonly string[]): void {
    const output = (run.stdout + run.stderr).toLowerCase();
    for (const s of sentinels)
      expect(output.includes(s.toLowerCase()), `${what} printed the secret ${s}:\n${describeRun(run)}`).toBe(false);
  }

  it('an .env or env_file line with a missing closing quote is reported without its value (issue 20 item 8)', async () => {
    const image = 'services:\n  app:\n    image: stack-test/busybox:latest\n';
    const dotenv = projectIn('quote-dotenv', {
      'stack.yaml': image,
      '.env': 'OK=1\nPASSWORD="sentinel-QUOTE-d0e1f2\n',
    });
    const envFile = projectIn('quote-envfile', {
      'stack.yaml': `${image}    env_file: [app.env]\n`,
      'app.env': "TOKEN='sentinel-QUOTE-d0e1f3\n",
    });
    for (const [what, run] of [
      ['.env', await dotenv(['plan'])],
      ['env_file', await envFile(['plan'])],
    ] as const) {
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stderr).toContain('ENV_FILE_SYNTAX');
      expectNone(what, run, ['d0e1f2', 'd0e1f3']);
    }
  }, 120_000);

  it('plan --json shows values that came from variables as ${NAME} in Cmd, Labels and Healthcheck (issue 20 item 8)', async () => {
    const run = projectIn('plan-json', {
      'stack.yaml':
        'services:\n  app:\n    image: stack-test/busybox:latest\n    command: ["sh", "-c", "echo ${S_CMD}"]\n    labels:\n      token: "${S_LABEL}"\n    healthcheck:\n      test: ["CMD", "echo", "${S_HC}"]\n',
      '.env': 'S_CMD=sentinel-CMD-d0e1f4\nS_LABEL=sentinel-LABEL-d0e1f5\n',
    });
    const result = await run(['plan', '--json'], { S_HC: 'sentinel-HC-d0e1f6' });
    expect(result.code, describeRun(result)).toBe(0);
    expectNone('plan --json', result, ['d0e1f4', 'd0e1f5', 'd0e1f6']);
    expect(result.stdout).toContain('${S_CMD}');
    expect(result.stdout).toContain('${S_HC}');
  }, 120_000);

  it('input errors print a value that came from a variable as ${NAME} (issue 20 item 8)', async () => {
    const cases: [code: string, line: string][] = [
      ['INVALID_PORT', 'ports: ["${S}"]'],
      ['INVALID_DURATION', 'stop_grace_period: ${S}'],
      ['INVALID_SIZE', 'shm_size: ${S}'],
      ['INVALID_EXTRA_HOST', 'extra_hosts: ["${S}"]'],
      ['INVALID_VALUE', 'cpus: ${S}'],
      ['SCHEMA_ENUM', 'pull_policy: ${S}'],
      ['UNKNOWN_SERVICE', 'depends_on: ["${S}"]'],
      ['INVALID_VOLUME', 'volumes: ["${S}:/x:zz"]'],
    ];
    for (const [i, [code, line]] of cases.entries()) {
      const run = projectIn(`input-${i}`, {
        'stack.yaml': `services:\n  app:\n    image: stack-test/busybox:latest\n    ${line}\n`,
        '.env': 'S=sentinel-INPUT-d0e1f7\n',
      });
      for (const args of [['plan'], ['--progress', 'json', 'plan']]) {
        const result = await run(args);
        expect(result.code, describeRun(result)).toBe(2);
        expect(result.stderr, describeRun(result)).toContain(code);
        expectNone(`${code} (${args.join(' ')})`, result, ['d0e1f7']);
        expect(result.stderr).toContain('${S}');
      }
    }
  }, 200_000);

  it('engine errors print values that came from variables as ${NAME}, and control characters from .env inert (issue 20 items 8, 10)', async () => {
    const cases: [name: string, line: string][] = [
      ['user', 'user: ${S}'],
      ['working_dir', 'working_dir: ${S}'],
      ['cap_add', 'cap_add: ["${S}"]'],
      ['network_mode', 'network_mode: ${S}'],
    ];
    for (const [name, line] of cases) {
      const run = projectIn(`engine-${name}`, {
        'stack.yaml': `services:\n  app:\n    image: stack-test/busybox:latest\n    command: ["sleep", "60"]\n    ${line}\n`,
        // ESC, an OSC title sequence ended by BEL, a colour, a right-to-left override
        '.env': 'S=rel\u001b]0;PWN\u0007\u001b[31mRED\u202esentinel-ENGINE-d0e1f8\n',
      });
      for (const args of [
        ['--progress', 'plain', 'up', '-d'],
        ['--progress', 'json', 'up', '-d'],
        ['--progress', 'tty', 'up', '-d'],
      ]) {
        const result = await run(args);
        expect(result.code, describeRun(result)).toBe(1);
        expectNone(`${name} (${args.join(' ')})`, result, ['d0e1f8']);
        const output = result.stdout + result.stderr;
        expect(
          /\u0007|\u202e|\u001b\]|\u001b\[31m/.test(output),
          `${name} (${args.join(' ')}) printed raw control characters:\n${JSON.stringify(output)}`,
        ).toBe(false);
      }
      await run(['down']);
    }
  }, 400_000);
});
