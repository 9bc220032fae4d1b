import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { desiredContainer, desiredNetwork } from '../../src/planner/desired.js';
import { canonicalJson } from '../../src/planner/hash.js';
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
        networks: { back: { aliases: ['database'], linkLocalIps: [], ipv4Address: '10.0.0.5' }, front: { aliases: [], linkLocalIps: [], priority: 10 } },
      }),
      service('side', { networkMode: 'service:db' }),
    ],
    { volumes: [volume('demo', 'data', { name: 'custom-data' })] },
  );

  it('secrets and configs with a file source are read-only binds at their targets', () => {
    const base = model('demo', [service('app', { secrets: [{ source: 'token', target: '/run/secrets/token' }], configs: [{ source: 'conf', target: '/conf' }, { source: 'inline', target: '/inline' }] })]);
    const withDefs = {
      ...base,
      secrets: { token: { key: 'token', name: 'demo_token', external: false, file: '/work/demo/token.txt' } },
      configs: { conf: { key: 'conf', name: 'demo_conf', external: false, file: '/work/demo/app.conf' }, inline: { key: 'inline', name: 'demo_inline', external: false, content: 'x' } },
    };
    const mounts = (desiredContainer(withDefs, withDefs.services['app']!, 1, 'sha256:abc').body['HostConfig'] as { Mounts: unknown[] }).Mounts;
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
    expect(d.connect).toEqual({ demo_back: { Aliases: ['demo-db-1', 'db', 'database'], IPAMConfig: { IPv4Address: '10.0.0.5' } } });
    expect(d.body['Labels']).toMatchObject({ [Label.project]: 'demo', [Label.service]: 'db', [Label.containerNumber]: '1', [Label.oneoff]: 'False', [Label.configHash]: d.hash });
  });

  it('turns network_mode service:x into container:<x replica 1>', () => {
    const d = desiredContainer(m, m.services['side']!, 1, undefined);
    expect((d.body['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe('container:demo-db-1');
    expect(d.body['NetworkingConfig']).toBeUndefined();
  });

  it('hashes the same regardless of key order and of defaults written or omitted', () => {
    const a = model('demo', [service('web', { environment: { A: '1', B: '2' }, labels: { x: '1', y: '2' }, tty: false })]);
    const b = model('demo', [service('web', { environment: { B: '2', A: '1' }, labels: { y: '2', x: '1' }, tmpfs: [] })]);
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toBe(desiredContainer(b, b.services['web']!, 1, 'id').hash);
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).not.toBe(desiredContainer(a, a.services['web']!, 1, 'other-id').hash);
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(canonicalJson({ b: [1, { d: undefined, c: false }], a: '' })).toBe('{"b":[1,{}]}');
  });

  it('does not change the hash when only the stack files or the directory change', () => {
    const a = model('demo', [service('web')]);
    const b = { ...a, configFiles: ['/elsewhere/stack.yaml', '/elsewhere/stack.override.yaml'], workingDir: '/elsewhere' };
    expect(desiredContainer(a, a.services['web']!, 1, 'id').hash).toBe(desiredContainer(b, b.services['web']!, 1, 'id').hash);
  });

  it('labels networks with the project, key, version and resource hash', () => {
    const n = desiredNetwork(m, network('demo', 'back', { internal: true, driverOpts: { mtu: '1400' } }));
    expect(n.body).toMatchObject({ Name: 'demo_back', Internal: true, Options: { mtu: '1400' } });
    expect(n.body['Labels']).toMatchObject({ [Label.project]: 'demo', [Label.network]: 'back', [Label.resourceHash]: n.hash });
  });
});
