import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { desiredContainer, desiredNetwork } from '../../src/planner/desired.js';
import { canonicalJson } from '../../src/planner/hash.js';
import type { ServiceSpec } from '../../src/model.js';
import { model, network, service, volume } from './helpers.js';

describe('desired state', () => {
  const m = model(
    'demo',
    [
      service('db', {
        environment: { Z: '1', A: '2', EMPTY: null },
        volumes: [
          { type: 'volume', source: 'data', target: '/data', readOnly: false },
          { type: 'volume', target: '/anon', readOnly: false },
          { type: 'bind', source: '/host', target: '/h', readOnly: true, bind: { createHostPath: true } },
          { type: 'tmpfs', target: '/t', readOnly: false, tmpfs: { size: 1024 } },
        ],
        ports: [{ target: 5432, published: '15432', protocol: 'tcp', mode: 'ingress' }],
        healthcheck: { test: ['CMD', 'true'], interval: 5_000_000_000, disable: false },
        stopGracePeriod: 20_000_000_000,
        networks: {
          back: { aliases: ['database'], linkLocalIps: [], ipv4Address: '10.0.0.5' },
          front: { aliases: [], linkLocalIps: [], priority: 10 },
        },
      }),
      service('side', { networkMode: 'service:db' }),
    ],
    { volumes: [volume('demo', 'data', { name: 'custom-data' })] },
  );

  it('planning again with the same model reuses the result, but a new image ID or replica number gives its own', () => {
    const db = m.services['db']!;
    const first = desiredContainer(m, db, 1, 'sha256:aaa');
    expect(desiredContainer(m, db, 1, 'sha256:aaa')).toBe(first);
    const rebuilt = desiredContainer(m, db, 1, 'sha256:bbb');
    expect(rebuilt.hash).not.toBe(first.hash);
    expect(desiredContainer(m, db, 1, undefined).hash).not.toBe(first.hash);
    expect(desiredContainer(m, db, 2, 'sha256:aaa').name).toBe('demo-db-2');
    // Another model with the same service spec but another project name is not confused with it.
    const other = { ...m, name: 'other' };
    expect(desiredContainer(other, db, 1, 'sha256:aaa').name).toBe('other-db-1');
  });

  it('secrets and configs with a file source are read-only binds at their targets', () => {
    const base = model('demo', [
      service('app', {
        secrets: [{ source: 'token', target: '/run/secrets/token' }],
        configs: [
          { source: 'conf', target: '/conf' },
          { source: 'inline', target: '/inline' },
        ],
      }),
    ]);
    const withDefs = {
      ...base,
      secrets: { token: { key: 'token', name: 'demo_token', external: false, file: '/work/demo/token.txt' } },
      configs: {
        conf: { key: 'conf', name: 'demo_conf', external: false, file: '/work/demo/app.conf' },
        inline: { key: 'inline', name: 'demo_inline', external: false, content: 'x' },
      },
    };
    const mounts = (
      desiredContainer(withDefs, withDefs.services['app']!, 1, 'sha256:abc').body['HostConfig'] as { Mounts: unknown[] }
    ).Mounts;
    expect(mounts).toEqual([
      { Type: 'bind', Source: '/work/demo/token.txt', Target: '/run/secrets/token', ReadOnly: true },
      { Type: 'bind', Source: '/work/demo/app.conf', Target: '/conf', ReadOnly: true },
    ]);
  });

  it('builds a 1.41 create body: sorted env without null values, engine volume names, the highest-priority network first', () => {
    const d = desiredContainer(m, m.services['db']!, 1, 'sha256:abc');
    expect(d.name).toBe('demo-db-1');
    expect(d.body['Env']).toEqual(['A=2', 'Z=1']);
    expect(d.body['StopTimeout']).toBe(20);
    expect(d.body['Healthcheck']).toEqual({ Test: ['CMD', 'true'], Interval: 5_000_000_000 });
    const host = d.body['HostConfig'] as Record<string, unknown>;
    expect(host['NetworkMode']).toBe('demo_front');
    expect(host['Binds']).toEqual(['/host:/h:ro']);
    expect(host['Mounts']).toEqual([
      { Type: 'volume', Source: 'custom-data', Target: '/data' },
      { Type: 'volume', Target: '/anon' },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } },
    ]);
    expect(host['PortBindings']).toEqual({ '5432/tcp': [{ HostPort: '15432' }] });
    expect(d.body['NetworkingConfig']).toEqual({ EndpointsConfig: { demo_front: { Aliases: ['demo-db-1', 'db'] } } });
    expect(d.connect).toEqual({
      demo_back: { Aliases: ['demo-db-1', 'db', 'database'], IPAMConfig: { IPv4Address: '10.0.0.5' } },
    });
    expect(d.body['Labels']).toMatchObject({
      [Label.project]: 'demo',
      [Label.service]: 'db',
      [Label.containerNumber]: '1',
      [Label.oneoff]: 'False',
      [Label.configHash]: d.hash,
    });
  });

  it('passes annotations to the engine as Compose does (HostConfig.Annotations); none: no field', () => {
    const annotated = model('demo', [service('web', { annotations: { 'com.example.team': 'ops' } })]);
    const body = desiredContainer(annotated, annotated.services['web']!, 1, undefined).body;
    expect((body['HostConfig'] as Record<string, unknown>)['Annotations']).toEqual({ 'com.example.team': 'ops' });
    const plain = model('demo', [service('web')]);
    expect(desiredContainer(plain, plain.services['web']!, 1, undefined).body['HostConfig']).not.toHaveProperty(
      'Annotations',
    );
  });

  it('turns network_mode service:x into container:<x replica 1>', () => {
    const d = desiredContainer(m, m.services['side']!, 1, undefined);
    expect((d.body['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe('container:demo-db-1');
    expect(d.body['NetworkingConfig']).toBeUndefined();
  });

  it('hashes the same regardless of key order and of defaults written or omitted', () => {
    const a = model('demo', [
      service('web', { environment: { A: '1', B: '2' }, labels: { x: '1', y: '2' }, tty: false }),
    ]);
    const b = model('demo', [
      service('web', { environment: { B: '2', A: '1' }, labels: { y: '2', x: '1' }, tmpfs: [] }),
    ]);
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toBe(
      desiredContainer(b, b.services['web']!, 1, 'id').hash,
    );
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).not.toBe(
      desiredContainer(a, a.services['web']!, 1, 'other-id').hash,
    );
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(canonicalJson({ b: [1, { d: undefined, c: false }], a: '' })).toBe('{"b":[1,{}]}');
  });

  it('does not change the hash when only the stack files or the directory change', () => {
    const a = model('demo', [service('web')]);
    const b = {
      ...a,
      configFiles: ['/elsewhere/stack.yaml', '/elsewhere/stack.override.yaml'],
      workingDir: '/elsewhere',
    };
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toBe(
      desiredContainer(b, b.services['web']!, 1, 'id').hash,
    );
  });

  it('labels networks with the project, key, version and resource hash', () => {
    const n = desiredNetwork(m, network('demo', 'back', { internal: true, driverOpts: { mtu: '1400' } }));
    expect(n.body).toMatchObject({ Name: 'demo_back', Internal: true, Options: { mtu: '1400' } });
    expect(n.body['Labels']).toMatchObject({
      [Label.project]: 'demo',
      [Label.network]: 'back',
      [Label.resourceHash]: n.hash,
    });
  });
});

/** The create body of `web` built from `overrides`. */
function bodyOf(overrides: Partial<ServiceSpec>): Record<string, unknown> {
  const m = model('demo', [service('web', overrides)]);
  return desiredContainer(m, m.services['web']!, 1, 'sha256:abc').body as Record<string, unknown>;
}

/** `[compose key, ServiceSpec fields as the loader resolves them, body path, Engine API 1.41 value]` */
const FIELDS: readonly (readonly [string, Partial<ServiceSpec>, string, unknown])[] = [
  ['command', { command: ['npm', 'start', '--port', '80'] }, 'Cmd', ['npm', 'start', '--port', '80']],
  ['command: [] (explicit empty)', { command: [] }, 'Cmd', []],
  ['entrypoint', { entrypoint: ['/bin/sh', '-c'] }, 'Entrypoint', ['/bin/sh', '-c']],
  ['user', { user: '1000:1000' }, 'User', '1000:1000'],
  ['working_dir', { workingDir: '/app' }, 'WorkingDir', '/app'],
  [
    'expose and ports',
    {
      expose: ['3000', '53/udp'],
      ports: [
        { target: 80, published: '8080', hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
        { target: 9000, protocol: 'tcp', mode: 'ingress' },
      ],
    },
    'ExposedPorts',
    { '3000/tcp': {}, '53/udp': {}, '80/tcp': {}, '9000/tcp': {} },
  ],
  [
    'ports → PortBindings (no host port: a random one)',
    {
      ports: [
        { target: 80, published: '8080', hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
        { target: 9000, protocol: 'udp', mode: 'ingress' },
      ],
    },
    'HostConfig.PortBindings',
    { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '9000/udp': [{ HostPort: '' }] },
  ],
  ['stop_signal', { stopSignal: 'SIGQUIT' }, 'StopSignal', 'SIGQUIT'],
  ['stop_grace_period 1m30s (ns) → seconds', { stopGracePeriod: 90_000_000_000 }, 'StopTimeout', 90],
  ['tty', { tty: true }, 'Tty', true],
  ['stdin_open', { stdinOpen: true }, 'OpenStdin', true],
  [
    'healthcheck durations stay ns',
    {
      healthcheck: {
        test: ['CMD-SHELL', 'curl -f localhost'],
        interval: 30_000_000_000,
        timeout: 5_000_000_000,
        retries: 3,
        startPeriod: 10_000_000_000,
        startInterval: 1_000_000_000,
        disable: false,
      },
    },
    'Healthcheck',
    {
      Test: ['CMD-SHELL', 'curl -f localhost'],
      Interval: 30_000_000_000,
      Timeout: 5_000_000_000,
      Retries: 3,
      StartPeriod: 10_000_000_000,
      StartInterval: 1_000_000_000,
    },
  ],
  ['healthcheck disable', { healthcheck: { test: ['CMD', 'true'], disable: true } }, 'Healthcheck', { Test: ['NONE'] }],
  ['restart: always', { restart: 'always' }, 'HostConfig.RestartPolicy', { Name: 'always' }],
  [
    'restart: on-failure:5',
    { restart: 'on-failure:5' },
    'HostConfig.RestartPolicy',
    { Name: 'on-failure', MaximumRetryCount: 5 },
  ],
  ['restart: unless-stopped', { restart: 'unless-stopped' }, 'HostConfig.RestartPolicy', { Name: 'unless-stopped' }],
  ['cpus 1.5 → NanoCpus', { resources: { cpus: 1.5 } }, 'HostConfig.NanoCpus', 1_500_000_000],
  ['cpus 0.001 → NanoCpus', { resources: { cpus: 0.001 } }, 'HostConfig.NanoCpus', 1_000_000],
  ['mem_limit 512m (bytes)', { resources: { memLimit: 536_870_912 } }, 'HostConfig.Memory', 536_870_912],
  [
    'mem_reservation (bytes)',
    { resources: { memReservation: 268_435_456 } },
    'HostConfig.MemoryReservation',
    268_435_456,
  ],
  ['memswap_limit (bytes)', { resources: { memswapLimit: 1_073_741_824 } }, 'HostConfig.MemorySwap', 1_073_741_824],
  ['pids_limit', { resources: { pidsLimit: 100 } }, 'HostConfig.PidsLimit', 100],
  ['cpu_shares', { resources: { cpuShares: 512 } }, 'HostConfig.CpuShares', 512],
  ['cpuset', { resources: { cpuset: '0-1' } }, 'HostConfig.CpusetCpus', '0-1'],
  ['shm_size 64m (bytes)', { resources: { shmSize: 67_108_864 } }, 'HostConfig.ShmSize', 67_108_864],
  ['cap_add', { capAdd: ['NET_ADMIN', 'SYS_TIME'] }, 'HostConfig.CapAdd', ['NET_ADMIN', 'SYS_TIME']],
  ['cap_drop', { capDrop: ['ALL'] }, 'HostConfig.CapDrop', ['ALL']],
  ['privileged', { privileged: true }, 'HostConfig.Privileged', true],
  [
    'extra_hosts',
    { extraHosts: ['db.local:10.0.0.2', 'v6:::1'] },
    'HostConfig.ExtraHosts',
    ['db.local:10.0.0.2', 'v6:::1'],
  ],
  ['dns', { dns: ['1.1.1.1', '8.8.8.8'] }, 'HostConfig.Dns', ['1.1.1.1', '8.8.8.8']],
  ['dns_search', { dnsSearch: ['example.com'] }, 'HostConfig.DnsSearch', ['example.com']],
  ['dns_opt', { dnsOpt: ['ndots:2'] }, 'HostConfig.DnsOptions', ['ndots:2']],
  [
    'tmpfs with and without options',
    { tmpfs: ['/run:size=64m,mode=1777', '/tmp'] },
    'HostConfig.Tmpfs',
    { '/run': 'size=64m,mode=1777', '/tmp': '' },
  ],
  [
    'ulimits',
    { ulimits: { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } } },
    'HostConfig.Ulimits',
    [
      { Name: 'nofile', Soft: 20000, Hard: 40000 },
      { Name: 'nproc', Soft: 65535, Hard: 65535 },
    ],
  ],
  [
    'sysctls',
    { sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' } },
    'HostConfig.Sysctls',
    { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' },
  ],
  [
    'logging',
    { logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } } },
    'HostConfig.LogConfig',
    { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } },
  ],
  ['init', { init: true }, 'HostConfig.Init', true],
  ['read_only', { readOnly: true }, 'HostConfig.ReadonlyRootfs', true],
  [
    'devices',
    { devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }] },
    'HostConfig.Devices',
    [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
  ],
  ['network_mode: host', { networkMode: 'host', networks: {} }, 'HostConfig.NetworkMode', 'host'],
];

describe('desired state: every create-body field in Engine API 1.41 names and units', () => {
  it.each(FIELDS)('%s', (_key, overrides, path, expected) => {
    const value = path
      .split('.')
      .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], bodyOf(overrides));
    expect(value).toEqual(expected);
  });

  it('writes nothing for a field the service does not set, so the engine default applies', () => {
    const body = bodyOf({});
    const host = body['HostConfig'] as Record<string, unknown>;
    for (const [, , path] of FIELDS) {
      const [first, second] = path.split('.');
      if (first === 'HostConfig' && second !== 'NetworkMode') expect(host, second).not.toHaveProperty(second!);
      else if (first !== 'HostConfig' && first !== 'Tty' && first !== 'OpenStdin')
        expect(body, first).not.toHaveProperty(first!);
    }
    expect(body).toMatchObject({ Tty: false, OpenStdin: false });
  });
});

describe('desired state: an explicit empty entrypoint or command', () => {
  it('is sent as [] (clearing the image entrypoint) and hashes differently from an unset one', () => {
    const hashOf = (overrides: Partial<ServiceSpec>): string => {
      const m = model('demo', [service('web', overrides)]);
      return desiredContainer(m, m.services['web']!, 1, 'sha256:abc').hash;
    };
    expect(bodyOf({ entrypoint: [] })['Entrypoint']).toEqual([]);
    expect(bodyOf({})).not.toHaveProperty('Entrypoint');
    expect(hashOf({ entrypoint: [] })).not.toBe(hashOf({}));
    expect(hashOf({ command: [] })).not.toBe(hashOf({ entrypoint: [] }));
    expect(hashOf({ entrypoint: ['/bin/sh'] })).toBe(hashOf({ entrypoint: ['/bin/sh'] }));
  });
});
