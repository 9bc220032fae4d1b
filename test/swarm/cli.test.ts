// The CLI on the swarm target: the same commands a local user runs (`up -d --wait`, `plan`,
// `ps`, `ls`, `down`), chosen by `--target swarm` or by `x-stack: {target: swarm}` in the
// file, against the manager of the 3-node test cluster; a non-manager engine is refused.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { runStack } from '../support/stack-cli.js';
import { rawRequest, uniqueName } from '../support/engine.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster, eventually } from './cluster.js';

const describe = await describeWithCluster();

describe('the CLI on the swarm target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-cli-'));
  const project = uniqueName('swcli');
  const manager = `unix://${MANAGER_SOCKET}`;
  const stack = (args: string[], dockerHost = manager) =>
    runStack(['-p', project, ...args], { cwd: dir, dockerHost, timeoutMs: 180_000 });
  afterAll(async () => {
    await stack(['--target', 'swarm', 'down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('x-stack target in the file: plan, up -d --wait, a no-op up, ps and ls, then down leaves nothing', async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'x-stack: { target: swarm }',
        'services:',
        '  web:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '    deploy:',
        '      replicas: 2',
        '      endpoint_mode: dnsrr',
        '',
      ].join('\n'),
    );
    const plan = await stack(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`create service ${project}_web`);
    expect(plan.stderr).not.toContain('UNSUPPORTED_KEY');

    const up = await stack(['up', '-d', '--wait']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Service ${project}_web  Created`);

    const again = await stack(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('up to date, nothing written');
    expect((await stack(['plan', '--detailed-exitcode'])).code).toBe(0);

    const ps = await stack(['ps', '--format', 'json']);
    const tasks = ps.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task: string; currentState: string });
    expect(tasks.map((t) => `${t.task} ${t.currentState}`).sort()).toEqual([
      `${project}_web.1 running`,
      `${project}_web.2 running`,
    ]);
    expect((await stack(['--target', 'swarm', 'ls'])).stdout).toMatch(new RegExp(`^${project}\\s+1$`, 'm'));

    const down = await stack(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect((await stack(['ps'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('named services: ps and config show only theirs (config as YAML, -o writes the file); plan and down refuse them, nothing removed', async () => {
    const own = uniqueName('swnamed');
    const named = (args: string[]) =>
      runStack(['-p', own, '--target', 'swarm', ...args], { cwd: dir, dockerHost: manager, timeoutMs: 180_000 });
    const service = (key: string) => [
      `  ${key}:`,
      `    image: ${SWARM_IMAGE}`,
      '    command: ["sleep", "3600"]',
      '    stop_grace_period: 1s',
    ];
    writeFileSync(join(dir, 'stack.yaml'), ['services:', ...service('web'), ...service('db'), ''].join('\n'));
    try {
      const up = await named(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      const ps = await named(['ps', '-a', '--format', 'json', 'web']);
      expect(ps.code, ps.stderr).toBe(0);
      const services = ps.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { service: string }).service);
      expect(new Set(services)).toEqual(new Set([`${own}_web`]));

      const config = await named(['config', '-o', join(dir, 'specs.yaml'), 'db']);
      expect(config.code, config.stderr).toBe(0);
      expect(config.stdout).toBe('');
      const written = parse(readFileSync(join(dir, 'specs.yaml'), 'utf8')) as { services: Record<string, unknown> };
      expect(Object.keys(written.services)).toEqual([`${own}_db`]);

      for (const command of ['plan', 'down']) {
        const refused = await named([command, 'web']);
        expect(refused.code, command).toBe(2);
        expect(refused.stderr).toContain(`${command} on the swarm target`);
      }
      const after = await named(['ps', '--format', 'json']);
      expect(
        new Set(
          after.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { service: string }).service),
        ),
      ).toEqual(new Set([`${own}_web`, `${own}_db`]));
    } finally {
      await named(['down']);
    }
  });

  it('--target swarm against an engine that is not a swarm manager exits 1 saying how to init or join', async () => {
    writeFileSync(join(dir, 'stack.yaml'), ['services:', '  web:', `    image: ${SWARM_IMAGE}`, ''].join('\n'));
    const run = await stack(['--target', 'swarm', 'up', '-d'], 'unix:///var/run/docker.sock');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/docker swarm init|join/);
  });

  it('an unknown target is a usage error (exit 2), nothing touched', async () => {
    const run = await stack(['--target', 'k8s', 'up', '-d']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown target "k8s"');
  });

  it('the lock file pins images on swarm as locally: deployed by the locked digest, no registry round trip; drift is a warning', async () => {
    const file = ['services:', '  web:', `    image: ${SWARM_IMAGE}`, '    command: ["sleep", "3600"]', ''].join('\n');
    writeFileSync(join(dir, 'stack.yaml'), file);
    const unpinned = await stack(['--target', 'swarm', 'plan', '--json']);
    expect(unpinned.code, unpinned.stderr).toBe(0);
    const digest = /@(sha256:[0-9a-f]{64})/.exec(unpinned.stdout)?.[1];
    expect(digest).toBeDefined();
    const lock = { version: 1, project, services: { web: { image: SWARM_IMAGE, digest } } };
    writeFileSync(join(dir, 'stack.lock.json'), JSON.stringify(lock, null, 2) + '\n');
    const proxy = await startEngineProxy({ target: MANAGER_SOCKET, socketPath: join(dir, 'lock.sock') });
    try {
      const pinned = await stack(['--target', 'swarm', 'plan', '--json'], proxy.dockerHost);
      expect(pinned.code, pinned.stderr).toBe(0);
      expect(pinned.stdout).toContain(`${SWARM_IMAGE}@${digest}`);
      expect(proxy.requests.filter((r) => r.route.includes('/distribution/'))).toEqual([]);
      proxy.reset();
      const ignored = await stack(['--target', 'swarm', 'plan', '--no-lock'], proxy.dockerHost);
      expect(ignored.code, ignored.stderr).toBe(0);
      expect(proxy.requests.filter((r) => r.route.includes('/distribution/')).length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
    // The file names another image than the lock: the file wins, unpinned, with a warning naming the lock file.
    writeFileSync(join(dir, 'stack.yaml'), file.replace(SWARM_IMAGE, `${SWARM_IMAGE.replace(':latest', '')}`));
    const drift = await stack(['--target', 'swarm', 'plan']);
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.stderr).toMatch(/stack\.lock\.json: service web now uses .*, the lock has .*; using .* unpinned/);
    rmSync(join(dir, 'stack.lock.json'));
  });

  it('a no-op up reuses the cached load (the entry is not rewritten); an edited deploy key still updates the service, warm cache', async () => {
    const cache = join(dir, 'xdg');
    const proxy = await startEngineProxy({ target: MANAGER_SOCKET, socketPath: join(dir, 'cache.sock') });
    const cached = (args: string[]) =>
      runStack(['-p', project, '--target', 'swarm', ...args], {
        cwd: dir,
        dockerHost: proxy.dockerHost,
        env: { XDG_CACHE_HOME: cache, STACK_MODEL_CACHE: undefined },
        timeoutMs: 180_000,
      });
    const file = (tier: string) =>
      [
        'services:',
        '  web:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        `    deploy: { endpoint_mode: dnsrr, labels: { tier: ${tier} } }`,
        '',
      ].join('\n');
    const entries = () => readdirSync(join(cache, 'stack/models')).filter((n) => n.endsWith('.json'));
    const entry = () => readFileSync(join(cache, 'stack/models', entries()[0]!), 'utf8');
    const tier = async () => {
      const reply = await rawRequest({ socketPath: MANAGER_SOCKET, path: `/v1.41/services/${project}_web` });
      return (reply.json as { Spec: { Labels: Record<string, string> } }).Spec.Labels['tier'];
    };
    try {
      writeFileSync(join(dir, 'stack.yaml'), file('front'));
      const first = await cached(['up', '-d']);
      expect(first.code, first.stderr).toBe(0);
      expect(entries()).toHaveLength(1);
      const written = entry();

      proxy.reset();
      const noop = await cached(['up', '-d']);
      expect(noop.code, noop.stderr).toBe(0);
      expect(noop.stderr).toContain('up to date, nothing written');
      expect(proxy.counts.writes).toBe(0);
      expect(entry()).toBe(written); // a hit: nothing loaded, nothing stored

      writeFileSync(join(dir, 'stack.yaml'), file('back'));
      proxy.reset();
      const edited = await cached(['up', '-d']);
      expect(edited.code, edited.stderr).toBe(0);
      expect(edited.stderr).toContain(`Service ${project}_web  Updated`);
      expect(proxy.counts.writes).toBe(1);
      expect(await tier()).toBe('back');
      expect(entry()).not.toBe(written);
    } finally {
      await proxy.close();
      await cached(['down']);
    }
  });

  it('logs on swarm: --since and --no-log-prefix apply; --until and --index are refused, not ignored', async () => {
    // The project the first test brought down: its `down` waited until the manager let the network go.
    const own = (args: string[]) =>
      runStack(['-p', project, ...args], { cwd: dir, dockerHost: manager, timeoutMs: 180_000 });
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  talker:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sh", "-c", "echo hello-from-swarm; exec sleep 3600"]',
        '    stop_grace_period: 1s',
        '    deploy: { endpoint_mode: dnsrr }',
        '',
      ].join('\n'),
    );
    try {
      const up = await own(['--target', 'swarm', 'up', '-d', '--wait']);
      expect(up.code, up.stderr).toBe(0);
      const seen = async () => (await own(['--target', 'swarm', 'logs'])).stdout.includes('hello-from-swarm');
      expect(await eventually(seen, 30_000)).toBe(true);
      const plain = await own(['--target', 'swarm', 'logs', '--no-log-prefix', 'talker']);
      expect(plain.stdout.split('\n')).toContain('hello-from-swarm');
      const future = String(Math.floor(Date.now() / 1000) + 3600);
      const none = await own(['--target', 'swarm', 'logs', '--since', future]);
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout).not.toContain('hello-from-swarm');
      for (const flag of [
        ['--until', '1s'],
        ['--index', '1'],
      ]) {
        const refused = await own(['--target', 'swarm', 'logs', ...flag, 'talker']);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`${flag[0]} is not available on the swarm target`);
      }
    } finally {
      await own(['--target', 'swarm', 'down']);
    }
  });
});
