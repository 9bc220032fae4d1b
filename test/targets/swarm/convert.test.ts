// The pure conversion StackModel → Swarm ServiceSpec, from a real stack file through the loader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRaw, loadStack } from '../../../src/loader/load.js';
import { convertStack } from '../../../src/targets/swarm/convert.js';
import { readDeploys, readFileObjects } from '../../../src/targets/swarm/inputs.js';
import { dropSwarmImplementedWarnings, validateForSwarm } from '../../../src/targets/swarm/validate.js';
import { resolveTarget } from '../../../src/targets/swarm/target.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(yaml: string, files: Record<string, string> = {}) {
  const project = mkdtempSync(join(dir, 'p-'));
  writeFileSync(join(project, 'stack.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const options = { cwd: project, env: {}, projectName: 'demo' };
  const [model, raw] = await Promise.all([loadStack(options), loadRaw(options)]);
  const rawServices = (raw.data['services'] ?? {}) as Record<string, unknown>;
  return { model, raw, rawServices };
}

const STACK = `
services:
  web:
    image: reg:5000/web:1
    command: ["serve", "--port", "80"]
    environment: { B: "2", A: "1" }
    ports: [{ target: 80, published: 8080, mode: host }]
    secrets: [token]
    configs: [{ source: conf, target: /etc/app.conf, mode: 0440 }]
    depends_on: [db]
    healthcheck: { test: ["CMD", "true"], interval: 5s }
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: { team: web }
      placement: { constraints: ["node.labels.tier == worker"], preferences: [{ spread: node.labels.zone }], max_replicas_per_node: 2 }
      resources: { limits: { cpus: "0.5", memory: 64m, pids: 100 }, reservations: { cpus: "0.25", memory: 32m } }
      restart_policy: { condition: on-failure, delay: 2s, max_attempts: 3 }
      update_config: { parallelism: 2, delay: 1s, failure_action: rollback, monitor: 3s, order: start-first }
  db:
    image: reg:5000/db:1
    volumes: [data:/var/lib/db]
    deploy: { mode: global }
volumes:
  data: {}
secrets:
  token: { file: ./token.txt }
configs:
  conf: { file: ./app.conf }
`;

describe('convertStack', () => {
  it('converts deploy keys, ports, secrets and configs as docker stack deploy does', async () => {
    const { model, raw, rawServices } = await load(STACK, { 'token.txt': 's3cret', 'app.conf': 'x=1' });
    const desired = convertStack(model, {
      deploys: readDeploys(model, rawServices),
      files: readFileObjects(model, raw.env),
      images: { web: 'reg:5000/web:1@sha256:abc' },
    });
    const web = desired.services.find((s) => s.key === 'web')!;
    expect(web.name).toBe('demo_web');
    expect(web.spec.Labels).toMatchObject({
      team: 'web',
      'com.docker.stack.namespace': 'demo',
      'com.docker.stack.image': 'reg:5000/web:1',
      'dev.stack.config-hash': web.hash,
    });
    expect(web.spec).toMatchObject({
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
      },
      UpdateConfig: { Parallelism: 2, Delay: 1e9, FailureAction: 'rollback', Monitor: 3e9, Order: 'start-first' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'reg:5000/web:1@sha256:abc',
          Args: ['serve', '--port', '80'],
          Env: ['A=1', 'B=2'],
          Healthcheck: { Test: ['CMD', 'true'], Interval: 5e9 },
        },
        Resources: {
          Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 ** 2, Pids: 100 },
          Reservations: { NanoCPUs: 2.5e8, MemoryBytes: 32 * 1024 ** 2 },
        },
        RestartPolicy: { Condition: 'on-failure', Delay: 2e9, MaxAttempts: 3 },
        Placement: {
          Constraints: ['node.labels.tier == worker'],
          Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
          MaxReplicas: 2,
        },
        Networks: [{ Target: 'demo_default', Aliases: ['web'] }],
      },
    });
    const container = (web.spec['TaskTemplate'] as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
    const token = desired.secrets[0]!;
    expect(token.name).toMatch(/^demo_token_[0-9a-f]{10}$/);
    expect(container['Secrets']).toEqual([
      { File: { Name: 'token', UID: '0', GID: '0', Mode: 0o444 }, SecretName: token.name },
    ]);
    expect(container['Configs']).toEqual([
      { File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o440 }, ConfigName: desired.configs[0]!.name },
    ]);
    expect(web.dependsOn).toEqual(['db']);
    expect(web.replicas).toBe(3);

    const db = desired.services.find((s) => s.key === 'db')!;
    expect(db.spec['Mode']).toEqual({ Global: {} });
    expect(db.replicas).toBeUndefined();
    expect((db.spec['TaskTemplate'] as { ContainerSpec: { Mounts: unknown } }).ContainerSpec.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'demo_data',
        Target: '/var/lib/db',
        VolumeOptions: { Labels: { 'com.docker.stack.namespace': 'demo' } },
      },
    ]);
    expect(desired.networks).toEqual(
      [
        {
          key: 'default',
          name: 'demo_default',
          external: false,
          body: {
            Driver: 'overlay',
            Labels: { 'com.docker.compose.network': 'default', 'com.docker.stack.namespace': 'demo' },
          },
        },
      ].map((n) => ({
        ...n,
        body: expect.objectContaining({
          Driver: 'overlay',
          Labels: expect.objectContaining({
            'com.docker.stack.namespace': 'demo',
            'dev.stack.resource-hash': expect.stringMatching(/^v1:[0-9a-f]{64}$/),
          }),
        }),
        hash: expect.stringMatching(/^v1:[0-9a-f]{64}$/),
        fieldHashes: expect.objectContaining({ driver: expect.any(String), driver_opts: expect.any(String) }),
      })),
    );
    // The hash labels carry the hashes (Swarm keeps a network's labels as created).
    const net = desired.networks[0]!;
    expect((net.body['Labels'] as Record<string, string>)['dev.stack.field-hashes']).toBe(
      JSON.stringify(net.fieldHashes),
    );
    // deploy.* keys Swarm implements are no longer "not implemented" warnings on this target.
    expect(dropSwarmImplementedWarnings(model.warnings).filter((w) => /deploy\./.test(w.message))).toEqual([]);
  });

  it('is deterministic, and a changed secret file changes only the secret name and the secrets group', async () => {
    const a = await load(STACK, { 'token.txt': 'one', 'app.conf': 'x=1' });
    const b = await load(STACK, { 'token.txt': 'two', 'app.conf': 'x=1' });
    const convert = (l: typeof a) =>
      convertStack(l.model, {
        deploys: readDeploys(l.model, l.rawServices),
        files: readFileObjects(l.model, l.raw.env),
        images: {},
      });
    expect(convert(a).services.map((s) => s.hash)).toEqual(convert(a).services.map((s) => s.hash));
    const [webA, webB] = [convert(a).services[1]!, convert(b).services[1]!];
    expect(webA.hash).not.toBe(webB.hash);
    const changed = Object.keys(webA.fieldHashes).filter((g) => webA.fieldHashes[g] !== webB.fieldHashes[g]);
    expect(changed).toEqual(['secrets']);
    expect(convert(a).services[0]!.hash).toBe(convert(b).services[0]!.hash);
  });

  it("a network's changed driver option or attachable flag changes only those groups of its hash, not the services'", async () => {
    const stack = (opts: string) =>
      `services:\n  web:\n    image: x\n    networks: [back]\nnetworks:\n  back:\n    driver: overlay\n${opts}`;
    const convert = async (opts: string) => {
      const l = await load(stack(opts));
      return convertStack(l.model, { deploys: readDeploys(l.model, l.rawServices), files: new Map(), images: {} });
    };
    const a = await convert('    driver_opts: { encrypted: "" }\n');
    const b = await convert('    driver_opts: { encrypted: "true" }\n    attachable: true\n');
    const [netA, netB] = [a.networks[0]!, b.networks[0]!];
    expect(netA.hash).not.toBe(netB.hash);
    const changed = Object.keys(netA.fieldHashes).filter((g) => netA.fieldHashes[g] !== netB.fieldHashes[g]);
    expect(changed.sort()).toEqual(['attachable', 'driver_opts']);
    expect(a.services[0]!.hash).toBe(b.services[0]!.hash);
  });
});

describe('validateForSwarm', () => {
  it('refuses keys Swarm cannot honour, each at its file:line:col', async () => {
    const { model, rawServices, raw } = await load(`
services:
  app:
    image: x
    privileged: true
    container_name: app
    network_mode: host
  builder:
    build: .
`);
    const problems = validateForSwarm(model, rawServices, raw.locate);
    const errors = problems.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.location?.line, d.location?.col])).toEqual([
      ['UNSUPPORTED_KEY', 6, 5],
      ['UNSUPPORTED_KEY', 7, 5],
      ['UNSUPPORTED_KEY', 5, 5],
      ['NO_IMAGE', 9, 5],
    ]);
    expect(errors[0]!.message).toContain('container_name');
  });
});

describe('resolveTarget', () => {
  it('takes --target over STACK_TARGET over x-stack.target, local by default', () => {
    expect(resolveTarget(undefined, {}, {})).toBe('local');
    expect(resolveTarget(undefined, {}, { 'x-stack': { target: 'swarm' } })).toBe('swarm');
    expect(resolveTarget(undefined, { STACK_TARGET: 'local' }, { 'x-stack': { target: 'swarm' } })).toBe('local');
    expect(resolveTarget('swarm', { STACK_TARGET: 'local' }, {})).toBe('swarm');
    expect(() => resolveTarget('k8s', {}, {})).toThrow(/unknown target/);
  });
});

describe('secrets and configs on Swarm', () => {
  it('take their content from a file, a variable or inline content, keep external names, and apply uid/gid/mode', async () => {
    const project = mkdtempSync(join(dir, 'p-'));
    writeFileSync(
      join(project, 'stack.yaml'),
      `
services:
  app:
    image: x
    secrets: [{ source: from_env, target: env_token, uid: "100", gid: "101", mode: 0400 }, shared]
    configs: [inline]
secrets:
  from_env: { environment: TOKEN }
  shared: { external: true, name: team_shared }
configs:
  inline: { content: "a=1" }
`,
    );
    const options = { cwd: project, env: { TOKEN: 'tok' }, projectName: 'demo' };
    const [model, raw] = await Promise.all([loadStack(options), loadRaw(options)]);
    const files = readFileObjects(model, raw.env);
    expect(Buffer.from(files.get('secret:from_env')!).toString()).toBe('tok');
    expect(Buffer.from(files.get('config:inline')!).toString()).toBe('a=1');
    const desired = convertStack(model, {
      deploys: readDeploys(model, (raw.data['services'] ?? {}) as Record<string, unknown>),
      files,
      images: {},
    });
    expect(desired.secrets.map((s) => [s.name.replace(/_[0-9a-f]{10}$/, '_<hash>'), s.external])).toEqual([
      ['demo_from_env_<hash>', false],
      ['team_shared', true],
    ]);
    const container = (desired.services[0]!.spec['TaskTemplate'] as { ContainerSpec: Record<string, unknown> })
      .ContainerSpec;
    expect(container['Secrets']).toEqual([
      { File: { Name: 'env_token', UID: '100', GID: '101', Mode: 0o400 }, SecretName: desired.secrets[0]!.name },
      { File: { Name: 'shared', UID: '0', GID: '0', Mode: 0o444 }, SecretName: 'team_shared' },
    ]);
    expect(dropSwarmImplementedWarnings(model.warnings).map((w) => w.message)).toEqual([]);
  });
});
