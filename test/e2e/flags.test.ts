/**
 * Command flags end to end, one intent per test: small stacks written to a temp dir, the local
 * busybox image, engine state asserted through the engine (log text only where the text is the
 * feature). Tests inside one describe share a project and run in order; each states the
 * precondition it needs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  cleanup,
  containers,
  describeE2E,
  docker,
  eventually,
  inspect,
  projectName,
  runCli,
  startCli,
} from './helpers.js';
import type { CliResult } from './helpers.js';
import { acquireLock } from '../../src/pipeline/lock.js';

const describe = await describeE2E();

const IMAGE = 'stack-test/busybox:latest';
/** Runs until SIGTERM, then exits 0 at once. */
const POLITE = `["sh", "-c", "trap 'exit 0' TERM; echo started; sleep 86400 & wait"]`;
/** Ignores SIGTERM: only SIGKILL (after the stop timeout) ends it. */
const STUBBORN = `["sh", "-c", "trap '' TERM; echo started; sleep 86400 & wait"]`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp dir holding the given files (name → YAML lines). */
function stackDir(files: Record<string, readonly string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-flags-'));
  dirs.push(dir);
  for (const [name, lines] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), [...lines, ''].join('\n'));
  }
  return dir;
}

/** A CLI runner bound to one project and directory. */
function bind(p: string, dir: string): (args: readonly string[], env?: Record<string, string>) => Promise<CliResult> {
  return (args, env = {}) => runCli(['-p', p, ...args], { cwd: dir, env });
}

/** Service → container IDs (sorted by name). */
function ids(p: string): Record<string, string> {
  return Object.fromEntries(containers(p).map((c) => [c.name, c.id]));
}

describe('logs flags', () => {
  const p = projectName('flags-logs');
  const dir = stackDir({
    'stack.yaml': [
      'services:',
      '  talker:',
      `    image: ${IMAGE}`,
      `    command: ["sh", "-c", "echo line-one; echo line-two; trap 'exit 0' TERM; sleep 86400 & wait"]`,
      '  mute:',
      `    image: ${IMAGE}`,
      `    command: ${POLITE}`,
      '    logging:',
      '      driver: none',
      '  once:',
      `    image: ${IMAGE}`,
      '    command: ["sh", "-c", "echo done"]',
    ],
  });
  const stack = bind(p, dir);
  afterAll(() => cleanup(p));

  it('setup: up -d', async () => {
    const up = await stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    await eventually(() => expect(docker(['logs', `${p}-talker-1`])).toContain('line-two'));
    await eventually(() => expect(inspect<{ State: { Status: string } }>(`${p}-once-1`).State.Status).toBe('exited'));
  });

  it('logs -t prefixes each line with its RFC 3339 timestamp', async () => {
    const logs = await stack(['logs', '-t', 'talker']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^talker-1\s+\| \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z line-one$/m);
    const plain = await stack(['logs', 'talker']);
    expect(plain.stdout).toMatch(/^talker-1\s+\| line-one$/m);
  });

  it('logs --since takes a relative duration, an RFC 3339 timestamp, a date or unix seconds', async () => {
    for (const since of [
      '10m',
      '1h30m',
      '2020-01-01T00:00:00Z',
      '2020-01-01',
      String(Math.floor(Date.now() / 1000) - 600),
    ]) {
      const logs = await stack(['logs', '--since', since, 'talker']);
      expect(logs.code, `${since}: ${logs.stderr}`).toBe(0);
      expect(logs.stdout, since).toMatch(/^talker-1\s+\| line-one$/m);
    }
    // The value reaches the engine: since an hour from now, there is nothing.
    const future = await stack(['logs', '--since', String(Math.floor(Date.now() / 1000) + 3600), 'talker']);
    expect(future.code, future.stderr).toBe(0);
    expect(future.stdout).toBe('');
  });

  it('logs --since with a value that is neither a time nor a duration is a usage error (exit 2)', async () => {
    const bad = await stack(['logs', '--since', 'yesterday', 'talker']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/USAGE.*--since/);
  });

  it('a log stream the engine refuses fails the command (exit 1) naming the container', async () => {
    const logs = await stack(['logs', 'mute']);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(`${p}-mute-1`);
    expect(logs.stderr).toMatch(/does not support reading/);
  });

  it('ps lists running containers only; ps -a adds the exited one', async () => {
    const state = (name: string): string => inspect<{ State: { Status: string } }>(name).State.Status;
    expect(state(`${p}-once-1`)).toBe('exited');
    type Row = { Name: string; State: string };
    const rows = async (args: string[]): Promise<Row[]> =>
      (await stack(['ps', ...args, '--format', 'json'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Row);
    expect((await rows([])).map((r) => r.Name).sort()).toEqual([`${p}-mute-1`, `${p}-talker-1`]);
    const all = await rows(['-a']);
    expect(all.map((r) => r.Name).sort()).toEqual([`${p}-mute-1`, `${p}-once-1`, `${p}-talker-1`]);
    expect(all.find((r) => r.Name === `${p}-once-1`)?.State).toBe('exited');
    expect((await stack(['ps', '-a', '-q'])).stdout.trim().split('\n').sort()).toEqual(Object.values(ids(p)).sort());
  });
});

describe('up --wait with --scale', () => {
  const p = projectName('flags-wait');
  // Healthy 2 s after it starts: a wait that returns at once would see "starting".
  const dir = stackDir({
    'stack.yaml': [
      'services:',
      '  web:',
      `    image: ${IMAGE}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /ready; sleep 86400 & wait"]`,
      '    healthcheck:',
      '      test: ["CMD", "test", "-f", "/ready"]',
      '      interval: 500ms',
      '      timeout: 1s',
      '      retries: 30',
    ],
  });
  const stack = bind(p, dir);
  const health = (name: string): string =>
    inspect<{ State: { Health?: { Status: string } } }>(name).State.Health?.Status ?? 'none';
  afterAll(() => cleanup(p));

  it('up -d --wait --scale web=0 succeeds with no container to wait for', async () => {
    const up = await stack(['up', '-d', '--wait', '--scale', 'web=0']);
    expect(up.code, up.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  });

  it('up -d --wait --scale web=2 waits for both replicas to be healthy', async () => {
    const one = await stack(['up', '-d', '--wait']);
    expect(one.code, one.stderr).toBe(0);
    expect(health(`${p}-web-1`)).toBe('healthy');
    const two = await stack(['up', '-d', '--wait', '--scale', 'web=2']);
    expect(two.code, two.stderr).toBe(0);
    expect(containers(p).map((c) => c.name)).toEqual([`${p}-web-1`, `${p}-web-2`]);
    expect(health(`${p}-web-2`)).toBe('healthy');
  });
});

describe('project lock', () => {
  const p = projectName('flags-lock');
  const dir = stackDir({
    'stack.yaml': ['services:', '  web:', `    image: ${IMAGE}`, `    command: ${POLITE}`],
    'build.yaml': ['services:', '  app:', '    build: ./app', `    command: ${POLITE}`],
    'app/Dockerfile': [`FROM ${IMAGE}`, 'RUN echo built > /built'],
  });
  const stack = bind(p, dir);
  /** Fails fast while someone else holds the lock. */
  const locked = { STACK_LOCK_TIMEOUT: '1' };
  const hold = () => acquireLock(p, { command: 'test holder', env: process.env });
  const state = (): { Status: string; StartedAt: string } =>
    inspect<{ State: { Status: string; StartedAt: string } }>(`${p}-web-1`).State;
  afterAll(() => {
    cleanup(p);
    try {
      docker(['rmi', '-f', `${p}-app`]);
    } catch {
      // never built
    }
  });

  it('stop, restart and start wait for the holder of the project lock and touch nothing meanwhile', async () => {
    expect((await stack(['up', '-d'])).code).toBe(0);
    const before = state();
    expect(before.Status).toBe('running');
    let lock = await hold();
    try {
      for (const verb of ['stop', 'restart']) {
        const refused = await stack([verb], locked);
        expect(refused.code, verb).toBe(1);
        expect(refused.stderr, verb).toMatch(/waiting for lock held by pid \d+ \(test holder/);
        expect(refused.stderr, verb).toMatch(/LOCK_HELD/);
        expect(state(), verb).toEqual(before);
      }
    } finally {
      lock.release();
    }
    expect((await stack(['stop'])).code).toBe(0);
    const stopped = state();
    expect(stopped.Status).toBe('exited');
    lock = await hold();
    try {
      const refused = await stack(['start'], locked);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/LOCK_HELD/);
      expect(state()).toEqual(stopped);
    } finally {
      lock.release();
    }
  });

  it('up takes the lock before building: nothing is built while another run holds it', async () => {
    const lock = await hold();
    try {
      const refused = await stack(['-f', 'build.yaml', 'up', '-d'], locked);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/LOCK_HELD/);
    } finally {
      lock.release();
    }
    expect(() => docker(['image', 'inspect', `${p}-app`])).toThrow();
    expect(containers(p).filter((c) => c.service === 'app')).toEqual([]);
  });
});

describe('up flags', () => {
  const p = projectName('flags-up');
  const service = (name: string, extra: readonly string[] = []): string[] => [
    `  ${name}:`,
    `    image: ${IMAGE}`,
    `    command: ${POLITE}`,
    ...extra,
  ];
  const dir = stackDir({
    'stack.yaml': [
      'services:',
      ...service('web', ['    depends_on: [db]', '    environment:', '      REV: "${REV:-1}"']),
      ...service('db'),
    ],
    'extra.yaml': ['services:', ...service('extra')],
  });
  const stack = bind(p, dir);
  const env = (name: string): string[] => inspect<{ Config: { Env: string[] } }>(name).Config.Env;
  afterAll(() => cleanup(p));

  it('up --no-deps web creates web but not the service it depends on', async () => {
    const up = await stack(['up', '-d', '--no-deps', 'web']);
    expect(up.code, up.stderr).toBe(0);
    expect(containers(p).map((c) => c.service)).toEqual(['web']);
  });

  it('up --no-recreate keeps a diverged running container (same ID, old config)', async () => {
    expect((await stack(['up', '-d'])).code).toBe(0);
    const before = ids(p);
    const up = await stack(['up', '-d', '--no-recreate'], { REV: '2' });
    expect(up.code, up.stderr).toBe(0);
    expect(ids(p)).toEqual(before);
    expect(env(`${p}-web-1`)).toContain('REV=1');
    expect(containers(p).every((c) => c.state === 'running')).toBe(true);
    // Without the flag the same change recreates it.
    expect((await stack(['up', '-d'], { REV: '2' })).code).toBe(0);
    expect(ids(p)[`${p}-web-1`]).not.toBe(before[`${p}-web-1`]);
    expect(env(`${p}-web-1`)).toContain('REV=2');
  });

  it('up --scale web=2 runs two replicas; back to 1 removes web-2 and keeps web-1', async () => {
    expect((await stack(['up', '-d'])).code).toBe(0);
    const web1 = ids(p)[`${p}-web-1`];
    const two = await stack(['up', '-d', '--scale', 'web=2']);
    expect(two.code, two.stderr).toBe(0);
    expect(
      containers(p)
        .filter((c) => c.service === 'web')
        .map((c) => [c.name, c.state]),
    ).toEqual([
      [`${p}-web-1`, 'running'],
      [`${p}-web-2`, 'running'],
    ]);
    const one = await stack(['up', '-d', '--scale', 'web=1']);
    expect(one.code, one.stderr).toBe(0);
    expect(
      containers(p)
        .filter((c) => c.service === 'web')
        .map((c) => c.name),
    ).toEqual([`${p}-web-1`]);
    expect(ids(p)[`${p}-web-1`]).toBe(web1);
  });

  it('up keeps an orphan container; up --remove-orphans removes it and nothing else', async () => {
    const withExtra = await stack(['-f', 'stack.yaml', '-f', 'extra.yaml', 'up', '-d']);
    expect(withExtra.code, withExtra.stderr).toBe(0);
    const before = ids(p);
    expect(Object.keys(before)).toContain(`${p}-extra-1`);
    const kept = await stack(['up', '-d']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(ids(p)).toEqual(before);
    // ps lists the orphan unless --orphans=false (Compose's spelling) or --no-orphans.
    const listed = await stack(['ps', '--format', '{{.Service}}']);
    expect(listed.stdout.split('\n')).toContain('extra');
    for (const flag of ['--orphans=false', '--no-orphans']) {
      const declared = await stack(['ps', '--format', '{{.Service}}', flag]);
      expect(declared.code, declared.stderr).toBe(0);
      expect(declared.stdout.split('\n').filter(Boolean), flag).not.toContain('extra');
      expect(declared.stdout.split('\n').filter(Boolean).length, flag).toBeGreaterThan(0);
    }
    const removed = await stack(['up', '-d', '--remove-orphans']);
    expect(removed.code, removed.stderr).toBe(0);
    const { [`${p}-extra-1`]: _orphan, ...rest } = before;
    expect(ids(p)).toEqual(rest);
  });
});

describe('down and stop flags', () => {
  const p = projectName('flags-down');
  const dir = stackDir({
    'stack.yaml': [
      'services:',
      '  stubborn:',
      `    image: ${IMAGE}`,
      `    command: ${STUBBORN}`,
      '  polite:',
      `    image: ${IMAGE}`,
      `    command: ${POLITE}`,
    ],
    'extra.yaml': ['services:', '  extra:', `    image: ${IMAGE}`, `    command: ${POLITE}`],
  });
  const stack = bind(p, dir);
  const running = async (): Promise<void> => {
    const up = await stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    await eventually(() => expect(docker(['logs', `${p}-stubborn-1`])).toContain('started'));
  };
  afterAll(() => cleanup(p));

  it('down -t 0 kills at once and removes the containers', async () => {
    await running();
    const since = Date.now() / 1000;
    const started = Date.now();
    const down = await stack(['down', '-t', '0']);
    const elapsed = Date.now() - started;
    expect(down.code, down.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
    expect(elapsed).toBeLessThan(8_000);
    const dies = docker([
      'events',
      '--since',
      since.toFixed(3),
      '--until',
      (Date.now() / 1000).toFixed(3),
      '--filter',
      'type=container',
      '--filter',
      'event=die',
      '--filter',
      `label=com.docker.compose.project=${p}`,
      '--format',
      '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}',
    ]);
    expect(dies.split('\n')).toContain(`${p}-stubborn-1 137`);
  });

  it('down leaves an orphan container; down --remove-orphans removes it', async () => {
    const withExtra = await stack(['-f', 'stack.yaml', '-f', 'extra.yaml', 'up', '-d']);
    expect(withExtra.code, withExtra.stderr).toBe(0);
    const plain = await stack(['down', '-t', '0']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(containers(p).map((c) => c.name)).toEqual([`${p}-extra-1`]);
    await running();
    const all = await stack(['down', '-t', '0', '--remove-orphans']);
    expect(all.code, all.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
  });

  it('stop -t 1 kills a container that ignores SIGTERM after one second, not the default ten', async () => {
    await running();
    const started = Date.now();
    const stop = await stack(['stop', '-t', '1', 'stubborn']);
    const elapsed = Date.now() - started;
    expect(stop.code, stop.stderr).toBe(0);
    const state = inspect<{ State: { Status: string; ExitCode: number } }>(`${p}-stubborn-1`).State;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 137 });
    expect(elapsed).toBeLessThan(8_000);
    expect(inspect<{ State: { Status: string } }>(`${p}-polite-1`).State.Status).toBe('running');
  });
});

describe('interrupting attached up', () => {
  const p = projectName('flags-sigint');
  const dir = stackDir({
    'stack.yaml': [
      'services:',
      '  stubborn:',
      `    image: ${IMAGE}`,
      `    command: ${STUBBORN}`,
      '    stop_grace_period: 60s',
    ],
  });
  afterAll(() => cleanup(p));

  it('a second Ctrl-C during the graceful stop exits at once with 130', async () => {
    const run = startCli(['-p', p, 'up'], { cwd: dir, timeoutMs: 60_000 });
    await eventually(() => expect(run.output()).toMatch(/stubborn-1\s+\| started/), 30_000);
    run.child.kill('SIGINT');
    await eventually(() => expect(run.output()).toMatch(/Gracefully stopping/), 10_000);
    const second = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(Date.now() - second).toBeLessThan(3_000);
  });
});
