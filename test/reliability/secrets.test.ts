// Secrets never appear in anything stack prints: sentinel values set through .env
// (interpolated), env_file, a literal in `environment` and an interpolation default are
// grepped for in plan, plan --json, up progress (plain, json and tty), ps, down, and in error
// output (an engine failure and input errors). `config` is excluded: it prints the resolved
// file on purpose, as Compose does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  for (const s of SENTINELS) expect(output.includes(s), `${what} printed the secret ${s}:\n${describeRun(run)}`).toBe(false);
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
    const env = ((await rawRequest({ path: `/containers/${project}-app-1/json` })).json as { Config: { Env: string[] } }).Config.Env;
    expect(env).toEqual(expect.arrayContaining(['DB_PASSWORD=sentinel-DOTENV-3b7f0a', 'API_KEY=sentinel-ENVFILE-e81d42', 'INLINE_TOKEN=sentinel-INLINE-9c41e7']));
    const json = await stack(['--progress', 'json', 'up', '-d']);
    expect(json.code, describeRun(json)).toBe(0);
    expectNoSecrets('up --progress json', json);
    for (const args of [['ps'], ['ps', '--format', 'json'], ['ps', '-a']]) expectNoSecrets(args.join(' '), await stack(args));
  }, 200_000);

  it('the TTY progress renderer (listr2) prints no values either', async () => {
    // --progress tty forces the listr2 renderer even though the test's stdout is a pipe.
    const run = await stack(['--progress', 'tty', 'up', '-d', '--force-recreate']);
    expect(run.code, describeRun(run)).toBe(0);
    // listr2's task states ("Waiting" before a task runs) show it was that renderer, not plain lines
    expect(run.stdout + run.stderr).toMatch(/Container .*app.*Waiting/);
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
    proxy.setFaults([{ route: 'POST /containers/create', action: 'error', status: 500, times: Infinity, message: 'injected failure' }]);
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
    const typeError = await runStack(['-f', FILE, '-f', join(ROOT, 'fixtures/reliability/secrets/bad-override.yaml'), '-p', project, 'plan'], { timeoutMs: RUN_TIMEOUT });
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
});
