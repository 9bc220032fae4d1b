import { describe, expect, it } from 'vitest';
import type { ServiceSpec, StackModel } from '../../src/model.js';
import { buildDependencyOrder, checkRules } from '../../src/loader/rules.js';
import type { NormalizeContext } from '../../src/loader/types.js';

function service(name: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    image: 'x',
    environment: {},
    envFiles: [],
    labels: {},
    annotations: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    dependsOn: {},
    networks: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    ulimits: {},
    sysctls: {},
    capAdd: [],
    capDrop: [],
    devices: [],
    groupAdd: [],
    securityOpt: [],
    privileged: false,
    readOnly: false,
    tty: false,
    stdinOpen: false,
    replicas: 1,
    resources: {},
    secrets: [],
    configs: [],
    postStart: [],
    preStart: [],
    preStop: [],
    profiles: [],
    unsupported: [],
    ...over,
  };
}

function model(services: ServiceSpec[]): StackModel {
  return {
    name: 'p',
    workingDir: '/p',
    configFiles: [],
    sourceFiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabledServices: [],
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    profiles: [],
    warnings: [],
    extensions: {},
  };
}

const dep = { condition: 'service_started', required: true, restart: false } as const;
// Positions encode the path so a test can see where each diagnostic points.
const ctx: NormalizeContext = {
  projectName: 'p',
  workingDir: '/p',
  env: {},
  readEnvFile: () => undefined,
  disabledServices: [],
  locate: (path, at) => ({ file: path.join('.') + (at === 'key' ? '#key' : ''), line: 1, col: 1 }),
};
const codes = (m: StackModel, raw: Record<string, unknown>, c = ctx) =>
  checkRules(m, raw, c).map((d) => `${d.code} ${d.location?.file}`);

describe('checkRules', () => {
  it('a dependency cycle is reported once as a -> b -> a', () => {
    const m = model([service('a', { dependsOn: { b: dep } }), service('b', { dependsOn: { a: dep } })]);
    const raw = { services: { a: { depends_on: ['b'] }, b: { depends_on: ['a'] } } };
    const found = checkRules(m, raw, ctx);
    expect(found.map((d) => d.message)).toEqual(['dependency cycle: a -> b -> a']);
    expect(found[0]!.location?.file).toBe('services.a.depends_on.0');
  });
  it('depends_on a missing service suggests the closest name; a disabled one says so', () => {
    const m = model([service('web', { dependsOn: { dbb: dep, cache: dep } })]);
    const raw = { services: { web: { depends_on: { dbb: {}, cache: {} } }, db: {}, cache: {} } };
    const found = checkRules(m, raw, { ...ctx, disabledServices: ['cache'] });
    expect(found.map((d) => `${d.code} ${d.location?.file} ${d.hint ?? ''}`)).toEqual([
      'UNKNOWN_SERVICE services.web.depends_on.dbb#key did you mean "db"?',
      'DEPENDS_ON_DISABLED services.web.depends_on.cache#key enable a profile of "cache", or mark the dependency "required: false"',
    ]);
  });
  it('two services publishing the same host port clash; different host IPs do not', () => {
    const port = (published: string, hostIp?: string) => ({
      target: 80,
      published,
      protocol: 'tcp' as const,
      mode: 'ingress' as const,
      ...(hostIp ? { hostIp } : {}),
    });
    const m = model([
      service('a', { ports: [port('8080', '127.0.0.1')] }),
      service('b', { ports: [port('8080', '127.0.0.2')] }),
      service('c', { ports: [port('8080')] }),
    ]);
    const raw = {
      services: { a: { ports: ['127.0.0.1:8080:80'] }, b: { ports: ['127.0.0.2:8080:80'] }, c: { ports: ['8080:80'] } },
    };
    expect(codes(m, raw)).toEqual(['PORT_CONFLICT services.c.ports.0']);
  });
  it('undefined networks, volumes, secrets and configs are reported at the reference', () => {
    const m = model([
      service('web', {
        networks: { front: { aliases: [], linkLocalIps: [] } },
        volumes: [{ type: 'volume', source: 'data', target: '/d', readOnly: false }],
        secrets: [{ source: 's', target: '/run/secrets/s' }],
        configs: [{ source: 'c', target: '/c' }],
      }),
    ]);
    const raw = { services: { web: { networks: ['front'] } } };
    expect(codes(m, raw)).toEqual([
      'UNKNOWN_NETWORK services.web.networks.0',
      'UNKNOWN_VOLUME services.web.volumes.0',
      'UNKNOWN_SECRET services.web.secrets.0',
      'UNKNOWN_CONFIG services.web.configs.0',
    ]);
  });
  it('container_name with several replicas, a service without image or build, and no services at all', () => {
    const { image: _image, ...noImage } = service('b');
    const m = model([service('a', { containerName: 'x', replicas: 2 }), noImage]);
    expect(codes(m, { services: { a: {}, b: {} } })).toEqual([
      'CONTAINER_NAME_REPLICAS services.a.container_name',
      'NO_IMAGE services.b#key',
    ]);
    expect(codes(model([]), { services: {} })).toEqual(['NO_SERVICES services']);
  });
});

describe('buildDependencyOrder', () => {
  it('puts dependencies first and breaks ties by name', () => {
    const m = model([
      service('web', { dependsOn: { api: dep } }),
      service('api', { dependsOn: { db: dep } }),
      service('db'),
      service('cache'),
    ]);
    expect(buildDependencyOrder(m)).toEqual(['cache', 'db', 'api', 'web']);
  });
});
