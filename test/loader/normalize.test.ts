import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../../src/loader/load.js';
import { normalizeProject } from '../../src/loader/normalize.js';
import { splitShellWords } from '../../src/loader/normalize/command.js';
import { formatDuration, parseDuration, parseSize } from '../../src/loader/normalize/units.js';
import type { NormalizeContext } from '../../src/loader/types.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures');
const env = { HOME: '/home/u', COMMIT: 'abc123' };
const load = (dir: string) =>
  loadStack({ cwd: join(fixtures, dir), env, files: [join(fixtures, dir, 'stack.yaml')], projectName: dir });

function ctx(over: Partial<NormalizeContext> = {}): NormalizeContext {
  return {
    projectName: 'demo',
    workingDir: '/proj',
    env: { HOME: '/home/u', FROM_SHELL: 'shell' },
    locate: (path) => ({ file: '/proj/stack.yaml', line: path.length, col: 1 }),
    readEnvFile: () => undefined,
    disabledServices: [],
    ...over,
  };
}

describe('units', () => {
  it('Go durations become nanoseconds and bare numbers count as seconds', () => {
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('1.5s')).toBe(1.5e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('1h')).toBe(3600e9);
    expect(parseDuration(10)).toBe(10e9);
    expect(parseDuration('10 seconds')).toBeUndefined();
    expect(formatDuration(90e9)).toBe('1m30s');
  });
  it('sizes are read in base 1024 with optional b/ib suffixes', () => {
    expect(parseSize('64m')).toBe(64 * 1024 ** 2);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('256MiB')).toBe(256 * 1024 ** 2);
    expect(parseSize(1000)).toBe(1000);
    expect(parseSize('lots')).toBeUndefined();
  });
});

describe('shell words', () => {
  it('splits with quotes and escapes like a POSIX shell', () => {
    expect(splitShellWords(`sh -c 'echo "hi there"'`)).toEqual({ words: ['sh', '-c', 'echo "hi there"'] });
    expect(splitShellWords('echo a\\ b "c \\"d\\""')).toEqual({ words: ['echo', 'a b', 'c "d"'] });
    expect(splitShellWords('')).toEqual({ words: [] });
    expect(splitShellWords("echo 'open")).toHaveProperty('error');
  });
});

describe('normalizeProject', () => {
  it('a service without networks joins the default network, which is added as <project>_default', () => {
    const result = normalizeProject({ services: { web: { image: 'x' } } }, ctx());
    expect(result.value.services['web']!.networks).toEqual({ default: { aliases: [], linkLocalIps: [] } });
    expect(result.value.networks['default']!.name).toBe('demo_default');
  });
  it('deploy.restart_policy overrides restart, mapped as Compose maps it for local containers', () => {
    const restartOf = (service: Record<string, unknown>) => {
      const result = normalizeProject({ services: { web: { image: 'x', ...service } } }, ctx());
      expect(result.diagnostics.filter((d) => d.severity === 'warning')).toEqual([]);
      return result.value.services['web']!.restart;
    };
    expect(restartOf({ restart: 'always' })).toBe('always');
    expect(restartOf({ restart: 'always', deploy: { restart_policy: { condition: 'none' } } })).toBe('no');
    expect(restartOf({ deploy: { restart_policy: { condition: 'any' } } })).toBe('always');
    expect(restartOf({ deploy: { restart_policy: { condition: 'on-failure', max_attempts: 3 } } })).toBe(
      'on-failure:3',
    );
    expect(restartOf({ deploy: { restart_policy: { condition: 'on-failure' } } })).toBe('on-failure');
  });
  it('bare environment keys come from the shell, else stay unset (null)', () => {
    const result = normalizeProject(
      { services: { web: { image: 'x', environment: ['FROM_SHELL', 'MISSING', 'A=1'] } } },
      ctx(),
    );
    expect(result.value.services['web']!.environment).toEqual({ FROM_SHELL: 'shell', MISSING: null, A: '1' });
  });
  it('a missing required env_file is ENV_FILE_NOT_FOUND at the entry, an optional one is skipped', () => {
    const result = normalizeProject(
      { services: { web: { image: 'x', env_file: ['a.env', { path: 'b.env', required: false }] } } },
      ctx(),
    );
    expect(result.diagnostics.map((d) => [d.code, d.location?.line])).toEqual([['ENV_FILE_NOT_FOUND', 4]]);
  });
  it('names resources <project>_<key> unless name: is set; external ones keep the key', () => {
    const result = normalizeProject(
      {
        services: {},
        volumes: { data: null, named: { name: 'custom' }, ext: { external: true } },
        networks: { old: { external: { name: 'legacy' } } },
      },
      ctx(),
    );
    expect(Object.values(result.value.volumes).map((v) => [v.name, v.external])).toEqual([
      ['demo_data', false],
      ['custom', false],
      ['ext', true],
    ]);
    expect(result.value.networks['old']).toMatchObject({ name: 'legacy', external: true });
  });
  it('disabled services are left out', () => {
    const result = normalizeProject(
      { services: { a: { image: 'x' }, b: { image: 'x' } } },
      ctx({ disabledServices: ['b'] }),
    );
    expect(Object.keys(result.value.services)).toEqual(['a']);
  });
});

describe('fixtures', () => {
  it('every port syntax becomes the long form, a target range one entry per port', async () => {
    const ports = (await load('normalize-ports')).services['web']!.ports;
    expect(ports).toEqual([
      { target: 3000, protocol: 'tcp', mode: 'ingress' },
      { target: 80, protocol: 'tcp', mode: 'ingress' },
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
      { target: 81, published: '8081', hostIp: '127.0.0.1', protocol: 'udp', mode: 'ingress' },
      { target: 9000, published: '9000', protocol: 'tcp', mode: 'ingress' },
      { target: 9001, published: '9001', protocol: 'tcp', mode: 'ingress' },
      { target: 82, published: '8082', hostIp: '::1', protocol: 'tcp', mode: 'ingress' },
      { target: 443, published: '8443', protocol: 'tcp', mode: 'host' },
    ]);
  });
  it('volumes: binds resolve against the project dir, named, anonymous and tmpfs mounts keep their kind', async () => {
    const dir = join(fixtures, 'normalize-volumes');
    const volumes = (await load('normalize-volumes')).services['app']!.volumes;
    expect(volumes.map((v) => [v.type, v.source, v.target, v.readOnly])).toEqual([
      ['volume', 'data', '/var/lib/data', false],
      ['bind', join(dir, 'config'), '/etc/app', true],
      ['bind', '/tmp/stack-cache', '/cache', false],
      ['bind', join(dir, 'src'), '/src', false],
      ['volume', undefined, '/anonymous', false],
      ['tmpfs', undefined, '/run/scratch', false],
      ['volume', 'data', '/backup', true],
      ['bind', join(dir, 'logs'), '/logs', false],
    ]);
    expect(volumes[3]!.bind).toEqual({ createHostPath: true, selinux: 'z' });
    expect(volumes[5]!.tmpfs).toEqual({ size: 65536 });
  });
  it('env_file values are overlaid by environment', async () => {
    const env = (await load('normalize-env')).services['list']!.environment;
    expect(env).toEqual({ SHARED: 'from-environment', ONLY_IN_FILE: 'yes', MODE: 'list', EMPTY: '' });
  });
  it('healthcheck strings become CMD-SHELL, durations ns, disable gives NONE', async () => {
    const services = (await load('normalize-healthcheck')).services;
    expect(services['shell']!.healthcheck).toMatchObject({
      test: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost/'],
      interval: 90e9,
      timeout: 1.5e9,
      startPeriod: 500e6,
      retries: 3,
    });
    expect(services['disabled']!.healthcheck).toEqual({ test: ['NONE'], disable: true });
  });
  it('build contexts are absolute and list args without a value come from the env', async () => {
    const services = (await load('normalize-build')).services;
    expect(services['short']!.build!.context).toBe(join(fixtures, 'normalize-build/app'));
    expect(services['long']!.build!.args).toEqual({ VERSION: '1.2', COMMIT: 'abc123' });
  });
  it('network_mode leaves networks empty; aliases are kept; external networks keep their key', async () => {
    const model = await load('normalize-networks');
    expect(model.services['sidecar']!.networks).toEqual({});
    expect(model.services['api']!.networks['back']!.aliases).toEqual(['api.internal', 'backend']);
    expect(model.networks['shared']).toMatchObject({ name: 'shared', external: true });
    expect(model.networks['front']!.name).toBe('normalize-networks_front');
  });
  it('misc values: extra_hosts as host:ip, ulimits, sizes, cpus, secrets with default targets', async () => {
    const app = (await load('normalize-misc')).services['app']!;
    expect(app.extraHosts).toEqual(['db.local:10.0.0.5', 'cache.local:10.0.0.6']);
    expect(app.ulimits).toEqual({ nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } });
    expect(app.resources).toMatchObject({
      memLimit: 512 * 1024 ** 2,
      memReservation: 128 * 1024 ** 2,
      shmSize: 64 * 1024 ** 2,
      cpus: 0.5,
    });
    expect(app.stopGracePeriod).toBe(90e9);
    expect(app.expose).toEqual(['3000', '4000']);
    expect(app.secrets.map((s) => s.target)).toEqual(['/run/secrets/db_password', '/run/secrets/api.key']);
    expect(app.configs.map((s) => s.target)).toEqual(['/app_config']);
  });
  it('YAML 1.1 words in boolean fields become booleans with a warning each; 0440 modes are octal; bare env keys come from the shell', async () => {
    const model = await load('normalize-coerce');
    const app = model.services['app']!;
    expect([app.privileged, app.tty, app.stdinOpen, app.readOnly]).toEqual([true, true, false, false]);
    expect(
      model.warnings.filter((w) => w.code === 'BOOLEAN_COERCED').map((w) => `${w.location?.line}:${w.location?.col}`),
    ).toEqual(['7:17', '8:10', '9:17', '10:16']);
    expect(app.secrets.map((s) => [s.source, s.mode])).toEqual([['token', 0o440]]);
    expect(app.configs.map((c) => [c.source, c.mode])).toEqual([['app_config', 0o644]]);
    expect(app.environment).toEqual({ HOME: '/home/u', STACK_FIXTURE_UNSET: null, MODE: 'coerce' });
  });
  it('newer spec features: depends_on defaults, deploy limits and replicas, watch paths, pull_policy', async () => {
    const model = await loadStack({
      cwd: fixtures,
      env,
      files: [join(fixtures, 'normalize-newer/stack.yaml')],
      profiles: ['cache'],
    });
    const api = model.services['api']!;
    expect(api.dependsOn).toEqual({
      db: { condition: 'service_healthy', required: true, restart: true },
      cache: { condition: 'service_started', required: false, restart: false },
    });
    expect(api.pullPolicy).toBe('missing');
    expect(api.replicas).toBe(2);
    expect(api.resources).toMatchObject({ cpus: 0.25, memLimit: 256 * 1024 ** 2 });
    expect(api.develop!.watch[0]).toMatchObject({
      action: 'sync',
      path: join(fixtures, 'normalize-newer/src'),
      target: '/app/src',
    });
    expect(api.extraHosts).toEqual(['db.local:10.0.0.5', 'v6.local:::1']);
    expect(api.ports[0]).toMatchObject({ hostIp: '127.0.0.1', published: '8080' });
  });
});
