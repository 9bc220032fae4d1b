import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { StackModel } from '../../src/model.js';
import { planUp, renderPlan } from '../../src/planner/index.js';
import { desiredContainer, rehashContainer } from '../../src/planner/desired.js';
import type { ObservedContainer, ObservedState, UpOptions } from '../../src/planner/types.js';
import { buildSpec, container, emptyObserved, image, model, network, service, volume, wantedHash } from './helpers.js';
import { applyPlan } from './simulate.js';

const IMAGES = [image('db:latest'), image('web:latest'), image('job:latest'), image('cache:latest')];
const after = (dep: string, condition: 'service_started' | 'service_completed_successfully' = 'service_started') => ({
  [dep]: { condition, required: true, restart: false },
});

/** The observed state after applying the plan for `m` to `from` (default: nothing). */
function converged(m: StackModel, from: ObservedState = emptyObserved(m.name, IMAGES)): ObservedState {
  return applyPlan(from, planUp(m, from));
}

const text = (m: StackModel, o: ObservedState, options: UpOptions = {}): string =>
  renderPlan(planUp(m, o, options), 'text');

/** Replaces the container named `name` in `o`. */
function edit(o: ObservedState, name: string, change: (c: ObservedContainer) => ObservedContainer): ObservedState {
  return { ...o, containers: o.containers.map((c) => (c.name === name ? change(c) : c)) };
}

const webDb = (): StackModel =>
  model('demo', [
    service('db'),
    service('web', { dependsOn: after('db'), environment: { DB_URL: 'postgres://secret@db' } }),
  ]);

describe('planUp', () => {
  it('creates missing networks, volumes and containers, then starts them after their dependencies', () => {
    const m = model(
      'demo',
      [
        service('db', { volumes: [{ type: 'volume', source: 'data', target: '/var/lib/db', readOnly: false }] }),
        service('web', { dependsOn: after('db') }),
      ],
      {
        volumes: [volume('demo', 'data')],
      },
    );
    expect(text(m, emptyObserved('demo', IMAGES))).toMatchInlineSnapshot(`
      "#1 create-network network:default demo_default (missing: not created yet)
      #2 create-volume volume:data demo_data (missing: not created yet)
      #3 create-container service:db:1 as demo-db-1 (missing: not created yet) after #1,#2
      #4 start-container service:db:1 demo-db-1 (missing: not created yet) after #3
      #5 create-container service:web:1 as demo-web-1 (missing: not created yet) after #1
      #6 start-container service:web:1 demo-web-1 (missing: not created yet) after #4,#5"
    `);
  });

  it('depends_on restart: true restarts a running dependent after its dependency is recreated, and only then', () => {
    const restarting = (env: string): StackModel =>
      model('demo', [
        service('db', { environment: { V: env } }),
        service('web', { dependsOn: { db: { condition: 'service_started', required: true, restart: true } } }),
      ]);
    const before = converged(restarting('1'));
    expect(text(restarting('1'), before)).toMatchInlineSnapshot(`"project demo: nothing to do"`);
    const plan = text(restarting('2'), before);
    expect(plan).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1002fffffff_demo-db-1 replacing c1002fffffff (diverged: configuration changed)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1002fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (diverged: configuration changed) after #4
      #6 stop-container service:web:1 demo-web-1 (dependency_restarted: db recreated (depends_on restart: true)) after #5
      #7 start-container service:web:1 demo-web-1 (dependency_restarted: db recreated (depends_on restart: true)) after #5,#6"
    `);
    // Without restart: true the dependent is left alone.
    const plain = (env: string): StackModel =>
      model('demo', [service('db', { environment: { V: env } }), service('web', { dependsOn: after('db') })]);
    expect(text(plain('2'), converged(plain('1')))).not.toContain('web');
  });

  it('lists privileged services, the engine socket, host paths outside the project and host namespaces when it creates them', () => {
    const m = model('demo', [
      service('agent', {
        privileged: true,
        networkMode: 'host',
        networks: {},
        capAdd: ['SYS_ADMIN', 'CHOWN'],
        volumes: [
          { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: false },
          { type: 'bind', source: '/etc', target: '/host-etc', readOnly: true },
          { type: 'bind', source: '/work/demo/src', target: '/src', readOnly: false },
        ],
      }),
      service('web'),
    ]);
    const plan = planUp(m, emptyObserved('demo', [...IMAGES, image('agent:latest')]));
    expect(plan.notes).toEqual([
      'service agent gets privileged mode',
      'service agent gets the Docker engine socket /var/run/docker.sock',
      'service agent gets host path /etc (read-only)',
      'service agent gets network_mode: host',
      'service agent gets cap_add SYS_ADMIN',
    ]);
    // Converged: nothing to create, nothing to list.
    expect(planUp(m, applyPlan(emptyObserved('demo', [...IMAGES, image('agent:latest')]), plan)).notes).toEqual([]);
  });

  it('judges host paths by where they lead: a symlink to /etc, secret and config files, env_files, a build outside the project', () => {
    const m: StackModel = {
      ...model('demo', [
        service('agent', {
          volumes: [
            { type: 'bind', source: '/work/demo/conf', target: '/conf', readOnly: true },
            { type: 'bind', source: '/work/demo/sock', target: '/sock', readOnly: false },
            { type: 'bind', source: '/work/demo/src', target: '/src', readOnly: false },
          ],
          secrets: [{ source: 'db_pass', target: '/run/secrets/db_pass' }],
          configs: [
            { source: 'app', target: '/app.conf' },
            { source: 'local', target: '/local.conf' },
          ],
          envFiles: [
            { path: '/proc/self/environ', required: true },
            { path: '/work/demo/.env.web', required: true },
          ],
        }),
        service('web', {
          build: buildSpec('/work/demo/app', { dockerfile: '../../Dockerfile.shared' }),
        }),
        service('tool', {
          build: buildSpec('/srv/tools'),
        }),
        service('api', {
          build: buildSpec('/work/demo/api', { dockerfile: '../Dockerfile.api' }),
        }),
      ]),
      secrets: { db_pass: { key: 'db_pass', name: 'demo_db_pass', external: false, file: '/work/demo/secret.txt' } },
      configs: {
        app: { key: 'app', name: 'demo_app', external: false, file: '/etc/app.conf' },
        local: { key: 'local', name: 'demo_local', external: false, file: '/work/demo/local.conf' },
      },
    };
    const hostPaths = {
      projectDir: '/work/demo',
      real: {
        '/work/demo/conf': '/etc',
        '/work/demo/sock': '/run/docker.sock',
        '/work/demo/src': '/work/demo/src',
        '/work/demo/secret.txt': '/etc/shadow',
        '/etc/app.conf': '/etc/app.conf',
        '/work/demo/local.conf': '/work/demo/local.conf',
        '/proc/self/environ': '/proc/12/environ',
        '/work/demo/.env.web': '/work/demo/.env.web',
      },
    };
    const observed = emptyObserved('demo', [
      ...IMAGES,
      image('agent:latest'),
      image('tool:latest'),
      image('api:latest'),
    ]);
    expect(planUp(m, observed, { hostPaths }).notes).toEqual([
      'service agent gets host path /etc (through /work/demo/conf) (read-only)',
      'service agent gets the Docker engine socket /run/docker.sock (through /work/demo/sock)',
      'service agent gets host file /etc/shadow (through /work/demo/secret.txt) as secret db_pass',
      'service agent gets host file /etc/app.conf as config app',
      'service agent gets its environment from host file /proc/self/environ (env_file)',
      'service api gets the Dockerfile /work/demo/Dockerfile.api, outside its build context /work/demo/api',
      'service tool gets the host directory /srv/tools as its build context',
      'service web gets the host file /work/Dockerfile.shared as its Dockerfile',
    ]);
    // Without resolved paths (a library caller that passes none) the declared spelling is judged.
    expect(planUp(m, observed).notes).toEqual([
      'service agent gets host file /etc/app.conf as config app',
      'service agent gets its environment from host file /proc/self/environ (env_file)',
      'service api gets the Dockerfile /work/demo/Dockerfile.api, outside its build context /work/demo/api',
      'service tool gets the host directory /srv/tools as its build context',
      'service web gets the host file /work/Dockerfile.shared as its Dockerfile',
    ]);
  });

  it('plans nothing for a converged stack', () => {
    const m = webDb();
    expect(text(m, converged(m))).toMatchInlineSnapshot(`"project demo: nothing to do"`);
  });

  it('recreates a diverged container through a temp-named replacement, naming changed env keys but never values', () => {
    const m = webDb();
    const before = converged(m);
    const changed = model('demo', [
      service('db'),
      service('web', {
        dependsOn: after('db'),
        environment: { DB_URL: 'postgres://other@db' },
        ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }],
      }),
    ]);
    const withDetail = edit(before, 'demo-web-1', (c) => ({
      ...c,
      detail: {
        config: { Env: ['DB_URL=postgres://secret@db', 'PATH=/bin'], Image: 'web:latest' },
        hostConfig: { NetworkMode: 'demo_default' },
      },
    }));
    const plan = text(changed, withDetail);
    expect(plan).not.toContain('secret');
    expect(plan).not.toContain('other@');
    expect(plan).toMatchInlineSnapshot(`
      "#1 create-container service:web:1 as c1003fffffff_demo-web-1 replacing c1003fffffff (diverged: environment.DB_URL, ports)
      #2 stop-container service:web:1 demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #1
      #3 remove-container service:web:1 demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #1,#2
      #4 rename-container service:web:1 c1003fffffff_demo-web-1 to demo-web-1 (recreate: into demo-web-1) after #3
      #5 start-container service:web:1 demo-web-1 (diverged: environment.DB_URL, ports) after #4"
    `);
  });

  it('a recreate runs the pre_stop hooks of the old container before stopping it, and post_start after the new one starts', () => {
    const hook = { command: ['sh', '-c', 'echo bye'], privileged: false, environment: {} };
    const m = model('demo', [
      service('db'),
      service('web', { dependsOn: after('db'), preStop: [hook], postStart: [hook] }),
    ]);
    const changed = model('demo', [
      service('db'),
      service('web', { dependsOn: after('db'), preStop: [hook], postStart: [hook], user: 'nobody' }),
    ]);
    const plan = text(changed, converged(m));
    expect(plan).toContain('stop-container service:web:1 demo-web-1 after 1 pre_stop hook(s)');
    expect(plan).toContain('start-container service:web:1 demo-web-1 then 1 post_start hook(s)');
  });

  it('says "configuration changed" for a diverged container without inspect detail', () => {
    const m = webDb();
    const changed = model('demo', [
      service('db', { user: 'postgres' }),
      service('web', { dependsOn: after('db'), environment: { DB_URL: 'postgres://secret@db' } }),
    ]);
    expect(text(changed, converged(m))).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1002fffffff_demo-db-1 replacing c1002fffffff (diverged: configuration changed)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1002fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (diverged: configuration changed) after #4"
    `);
  });

  it('mounts the old anonymous volumes into the replacement, and the plan says so; with -V it gets fresh ones and the old are removed', () => {
    const scratch = { type: 'volume', target: '/scratch', readOnly: false } as const;
    const m = model('demo', [service('db', { volumes: [scratch] })]);
    const before = converged(m);
    const changed = model('demo', [service('db', { user: 'postgres', volumes: [scratch] })]);
    const anon = before.containers[0]!.mounts[0]!.name!;
    expect(text(changed, before)).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1003fffffff_demo-db-1 replacing c1003fffffff keeping anonymous volumes at /scratch (diverged: configuration changed)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1003fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 (recreate: replaced by c1003fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1003fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (diverged: configuration changed) after #4"
    `);
    expect(text(changed, before, { renewAnonVolumes: true })).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1003fffffff_demo-db-1 replacing c1003fffffff (diverged: configuration changed)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1003fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 with its anonymous volumes (recreate: replaced by c1003fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1003fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (diverged: configuration changed) after #4"
    `);
    // The JSON plan (what `stack plan --json` prints and the executor runs) mounts the same volume at the same target.
    type JsonAction = {
      kind: string;
      carried_volumes?: string[];
      remove_volumes?: boolean;
      body?: { HostConfig: { Mounts: unknown[] } };
    };
    const json = (options: UpOptions): JsonAction[] =>
      (JSON.parse(renderPlan(planUp(changed, before, options), 'json')) as { actions: JsonAction[] }).actions;
    const kept = json({});
    expect(kept[0]).toMatchObject({
      kind: 'create-container',
      carried_volumes: ['/scratch'],
      body: { HostConfig: { Mounts: [{ Type: 'volume', Target: '/scratch', Source: anon }] } },
    });
    expect(kept[2]).toMatchObject({ kind: 'remove-container', remove_volumes: false });
    const renewed = json({ renewAnonVolumes: true });
    expect(renewed[0]).not.toHaveProperty('carried_volumes');
    expect(renewed[0]!.body!.HostConfig.Mounts).toEqual([{ Type: 'volume', Target: '/scratch' }]);
    expect(renewed[2]).toMatchObject({ kind: 'remove-container', remove_volumes: true });
    // After the carried-over recreate, the replacement holds the old volume and the next plan is empty.
    const after = applyPlan(before, planUp(changed, before));
    expect(after.containers[0]!.mounts).toMatchObject([{ type: 'volume', name: anon, destination: '/scratch' }]);
    expect(text(changed, after)).toBe('project demo: nothing to do');
  });

  it('starts stopped containers but does not rerun a run-once job that exited 0', () => {
    const m = model('demo', [
      service('job'),
      service('web', { dependsOn: after('job', 'service_completed_successfully') }),
      service('db'),
    ]);
    let o = converged(m);
    o = edit(o, 'demo-job-1', (c) => ({ ...c, state: 'exited', exitCode: 0 }));
    o = edit(o, 'demo-web-1', (c) => ({ ...c, state: 'exited', exitCode: 137 }));
    o = edit(o, 'demo-db-1', (c) => ({ ...c, state: 'created' }));
    expect(text(m, o)).toMatchInlineSnapshot(`
      "#1 start-container service:db:1 demo-db-1 (stopped: container is created)
      #2 start-container service:web:1 demo-web-1 (stopped: container is exited)"
    `);
  });

  it('scales up with the lowest free numbers', () => {
    const m = webDb();
    expect(text(m, converged(m), { scale: { web: 3 } })).toMatchInlineSnapshot(`
      "#1 create-container service:web:2 as demo-web-2 (scale_up: 3 replicas wanted)
      #2 start-container service:web:2 demo-web-2 (scale_up: 3 replicas wanted) after #1
      #3 create-container service:web:3 as demo-web-3 (scale_up: 3 replicas wanted)
      #4 start-container service:web:3 demo-web-3 (scale_up: 3 replicas wanted) after #3"
    `);
  });

  it('scales down removing outdated replicas first, then the highest-numbered', () => {
    const m = model('demo', [service('web', { replicas: 4 })]);
    let o = converged(m);
    o = edit(o, 'demo-web-2', (c) => ({ ...c, labels: { ...c.labels, [Label.configHash]: `v1:${'0'.repeat(64)}` } }));
    expect(text(model('demo', [service('web', { replicas: 2 })]), o)).toMatchInlineSnapshot(`
      "#1 stop-container service:web:2 demo-web-2 (scale_down: 2 replicas wanted)
      #2 remove-container service:web:2 demo-web-2 (scale_down: 2 replicas wanted) after #1
      #3 stop-container service:web:4 demo-web-4 (scale_down: 2 replicas wanted)
      #4 remove-container service:web:4 demo-web-4 (scale_down: 2 replicas wanted) after #3"
    `);
  });

  it('reports orphans and removes them only with removeOrphans', () => {
    const m = webDb();
    const o = converged(model('demo', [...Object.values(m.services), service('old')]));
    expect(text(m, o)).toMatchInlineSnapshot(`
      "project demo: nothing to do
      orphan: service:old:1
      note: orphan containers kept: demo-old-1 (remove them with --remove-orphans)"
    `);
    expect(text(m, o, { removeOrphans: true })).toMatchInlineSnapshot(`
      "#1 stop-container service:old:1 demo-old-1 (orphan: service no longer in the stack file)
      #2 remove-container service:old:1 demo-old-1 (orphan: service no longer in the stack file) after #1
      orphan: service:old:1"
    `);
  });

  it('removes the leftover of an interrupted recreate whose original still exists', () => {
    const m = webDb();
    const o = converged(m);
    const web = o.containers.find((c) => c.name === 'demo-web-1')!;
    const leftover: ObservedContainer = {
      ...web,
      id: 'f'.repeat(64),
      name: `${web.id.slice(0, 12)}_demo-web-1`,
      state: 'created',
      labels: { ...web.labels, [Label.replaces]: web.id },
    };
    expect(text(m, { ...o, containers: [...o.containers, leftover] })).toMatchInlineSnapshot(
      `"#1 remove-container service:web:1 c1003fffffff_demo-web-1 (leftover: replacement of c1003fffffff left by an interrupted recreate)"`,
    );
  });

  it('renames an up-to-date leftover into place when the original is gone, and replaces a diverged one', () => {
    const m = webDb();
    const o = converged(m);
    const web = o.containers.find((c) => c.name === 'demo-web-1')!;
    const leftover: ObservedContainer = {
      ...web,
      name: `0123456789ab_demo-web-1`,
      labels: { ...web.labels, [Label.replaces]: '0123456789ab'.padEnd(64, '0') },
    };
    const upToDate = edit(o, 'demo-web-1', () => leftover);
    expect(text(m, upToDate)).toMatchInlineSnapshot(
      `"#1 rename-container service:web:1 0123456789ab_demo-web-1 to demo-web-1 (leftover: replacement of an interrupted recreate, moved into place)"`,
    );
    const stale = edit(upToDate, leftover.name, (c) => ({
      ...c,
      labels: { ...c.labels, [Label.configHash]: `v1:${'1'.repeat(64)}` },
    }));
    expect(text(m, stale)).toMatchInlineSnapshot(`
      "#1 create-container service:web:1 as c1003fffffff_demo-web-1 replacing c1003fffffff (diverged: configuration changed)
      #2 stop-container service:web:1 0123456789ab_demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #1
      #3 remove-container service:web:1 0123456789ab_demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #1,#2
      #4 rename-container service:web:1 c1003fffffff_demo-web-1 to demo-web-1 (recreate: into demo-web-1) after #3
      #5 start-container service:web:1 demo-web-1 (diverged: configuration changed) after #4"
    `);
  });

  it('resolves duplicate replicas: keeps the up-to-date one, prefers running, removes the others', () => {
    const m = model('demo', [service('web')]);
    const hash = wantedHash(m, 'web', 1, IMAGES[1]!.id);
    const net = { demo_default: { networkId: 'net1' } };
    const o: ObservedState = {
      ...emptyObserved('demo', IMAGES),
      networks: [{ id: 'net1', name: 'demo_default', labels: { [Label.project]: 'demo' }, driver: 'bridge' }],
      containers: [
        container('demo', 'web', 1, {
          id: 'a'.repeat(64),
          name: 'demo-web-1',
          hash: `v1:${'2'.repeat(64)}`,
          networks: net,
          imageId: IMAGES[1]!.id,
        }),
        container('demo', 'web', 1, {
          id: 'b'.repeat(64),
          name: 'web-copy',
          hash,
          state: 'exited',
          exitCode: 1,
          networks: net,
          imageId: IMAGES[1]!.id,
        }),
        container('demo', 'web', 1, {
          id: 'c'.repeat(64),
          name: 'web-copy-2',
          hash,
          networks: net,
          imageId: IMAGES[1]!.id,
        }),
      ],
    };
    expect(text(m, o)).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (duplicate: another container holds replica 1)
      #2 remove-container service:web:1 demo-web-1 (duplicate: another container holds replica 1) after #1
      #3 remove-container service:web:1 web-copy (duplicate: another container holds replica 1)
      #4 rename-container service:web:1 web-copy-2 to demo-web-1 (wrong_name: named web-copy-2) after #2"
    `);
  });

  // Engine 20.10 lists a created, never-started container with NetworkID "" (the endpoint is
  // made at start): that is not a network recreated under it (issue 20, item 4).
  it('a created, never-started up-to-date container is kept by up --no-start and only started by a later up', () => {
    const m = webDb();
    const created = (o: ObservedState): ObservedState => ({
      ...o,
      containers: o.containers.map((c) => ({
        ...c,
        state: 'created' as const,
        networks: Object.fromEntries(Object.keys(c.networks).map((n) => [n, { networkId: '' }])),
      })),
    });
    const o = created(converged(m));
    expect(text(m, o, { noStart: true })).toMatchInlineSnapshot(`"project demo: nothing to do"`);
    expect(text(m, o)).toMatchInlineSnapshot(`
      "#1 start-container service:db:1 demo-db-1 (stopped: container is created)
      #2 start-container service:web:1 demo-web-1 (stopped: container is created) after #1"
    `);
  });

  it('renames a kept replica with a wrong name to its canonical name', () => {
    const m = webDb();
    const o = edit(converged(m), 'demo-db-1', (c) => ({ ...c, name: 'db-by-hand' }));
    expect(text(m, o)).toMatchInlineSnapshot(
      `"#1 rename-container service:db:1 db-by-hand to demo-db-1 (wrong_name: named db-by-hand)"`,
    );
  });

  it('recreates a drifted network and the containers on it; other attached containers are disconnected', () => {
    const m = webDb();
    let o = converged(model('demo', [...Object.values(m.services), service('old')]));
    o = {
      ...o,
      networks: o.networks.map((n) => ({
        ...n,
        labels: { ...n.labels, [Label.resourceHash]: `v1:${'3'.repeat(64)}` },
      })),
    };
    expect(text(m, o)).toMatchInlineSnapshot(`
      "#1 stop-container service:db:1 demo-db-1 (network_diverged: network demo_default is recreated)
      #2 remove-container service:db:1 demo-db-1 (network_diverged: network demo_default is recreated) after #1
      #3 stop-container service:web:1 demo-web-1 (network_diverged: network demo_default is recreated)
      #4 remove-container service:web:1 demo-web-1 (network_diverged: network demo_default is recreated) after #3
      #5 disconnect-network service:old:1 demo-old-1 from demo_default (network_diverged: configuration changed)
      #6 remove-network network:default demo_default (network_diverged: configuration changed) after #2,#4,#5
      #7 create-network network:default demo_default (network_diverged: configuration changed) after #6
      #8 create-container service:db:1 as demo-db-1 (network_diverged: network demo_default is recreated) after #2,#7
      #9 start-container service:db:1 demo-db-1 (network_diverged: network demo_default is recreated) after #8
      #10 create-container service:web:1 as demo-web-1 (network_diverged: network demo_default is recreated) after #4,#7
      #11 start-container service:web:1 demo-web-1 (network_diverged: network demo_default is recreated) after #9,#10
      orphan: service:old:1
      note: orphan containers kept: demo-old-1 (remove them with --remove-orphans)"
    `);
  });

  it('notes a drifted volume and recreates it (destructive) only when allowed', () => {
    const m = model(
      'demo',
      [service('db', { volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] })],
      { volumes: [volume('demo', 'data')] },
    );
    let o = converged(m);
    o = {
      ...o,
      volumes: o.volumes.map((v) => ({ ...v, labels: { ...v.labels, [Label.resourceHash]: `v1:${'4'.repeat(64)}` } })),
    };
    expect(text(m, o)).toMatchInlineSnapshot(`
      "project demo: nothing to do
      note: volume demo_data: configuration changed; kept with its data (recreating it is destructive: allow destructive actions to recreate it)"
    `);
    expect(text(m, o, { allowDestructive: true })).toMatchInlineSnapshot(`
      "#1 stop-container service:db:1 demo-db-1 (volume_diverged: volume demo_data is recreated)
      #2 remove-container service:db:1 demo-db-1 (volume_diverged: volume demo_data is recreated) after #1
      #3 remove-volume volume:data demo_data (volume_diverged: configuration changed; its data is lost) after #2 [destructive]
      #4 create-volume volume:data demo_data (volume_diverged: configuration changed; its data is lost) after #3 [destructive]
      #5 create-container service:db:1 as demo-db-1 (volume_diverged: volume demo_data is recreated) after #2,#4
      #6 start-container service:db:1 demo-db-1 (volume_diverged: volume demo_data is recreated) after #5"
    `);
  });

  it('never creates an external network or volume, and notes a missing one', () => {
    const m = model(
      'demo',
      [
        service('web', {
          networks: { shared: { aliases: [], linkLocalIps: [] } },
          volumes: [{ type: 'volume', source: 'cache', target: '/c', readOnly: false }],
        }),
      ],
      {
        networks: [network('demo', 'shared', { name: 'shared', external: true })],
        volumes: [volume('demo', 'cache', { name: 'cache', external: true })],
      },
    );
    const o: ObservedState = {
      ...emptyObserved('demo', IMAGES),
      networks: [{ id: 'ext', name: 'shared', labels: {}, driver: 'bridge' }],
    };
    expect(text(m, o)).toMatchInlineSnapshot(`
      "project demo: nothing to do
      note: external volume cache not found: create it before up
      note: service web not created or started: external volume cache not found"
    `);
    const both: ObservedState = { ...o, volumes: [{ name: 'cache', labels: {}, driver: 'local' }] };
    expect(text(m, both)).toMatchInlineSnapshot(`
      "#1 create-container service:web:1 as demo-web-1 (missing: not created yet)
      #2 start-container service:web:1 demo-web-1 (missing: not created yet) after #1"
    `);
  });

  it('force-recreate replaces up-to-date containers; no-recreate keeps diverged ones', () => {
    const m = webDb();
    const o = converged(m);
    expect(text(m, o, { forceRecreate: true, services: ['db'] })).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1002fffffff_demo-db-1 replacing c1002fffffff (forced: force-recreate)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1002fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (forced: force-recreate) after #4"
    `);
    const changed = model('demo', [service('db', { user: 'x' }), service('web', { dependsOn: after('db') })]);
    expect(
      text(
        changed,
        edit(o, 'demo-db-1', (c) => ({ ...c, state: 'exited', exitCode: 0 })),
        { noRecreate: true },
      ),
    ).toMatchInlineSnapshot(`"#1 start-container service:db:1 demo-db-1 (stopped: container is exited)"`);
  });

  it('force-recreate of a named service recreates only it; always-recreate-deps its dependencies too', () => {
    const m = webDb();
    const o = converged(m);
    const onlyWeb = text(m, o, { forceRecreate: true, services: ['web'] });
    expect(onlyWeb).toContain('service:web:1 as');
    expect(onlyWeb).not.toContain('service:db:1 as');
    const withDeps = text(m, o, { forceRecreate: true, alwaysRecreateDeps: true, services: ['web'] });
    expect(withDeps).toContain('service:web:1 as');
    expect(withDeps).toContain('service:db:1 as');
    // No service named: every service is "named".
    expect(text(m, o, { forceRecreate: true })).toContain('service:db:1 as');
  });

  it('a recreate of a donor (network_mode service:x, volumes_from) recreates the containers built on it, after it', () => {
    const m = model('demo', [
      service('db'),
      service('side', { networkMode: 'service:db', networks: {} }),
      service('reader', { volumesFrom: [{ kind: 'service', name: 'db', readOnly: true }] }),
    ]);
    const o = converged(m);
    expect(text(m, o)).toBe('project demo: nothing to do');
    const changed = model('demo', [
      service('db', { user: 'x' }),
      service('side', { networkMode: 'service:db', networks: {} }),
      service('reader', { volumesFrom: [{ kind: 'service', name: 'db', readOnly: true }] }),
    ]);
    const out = text(changed, o);
    expect(out).toMatch(/create-container service:side:1 .*\(diverged: network_mode: service:db was recreated\)/);
    expect(out).toMatch(/create-container service:reader:1 .*\(diverged: volumes_from: db was recreated\)/);
    // Converges: once applied, nothing is left to do.
    expect(text(changed, applyPlan(o, planUp(changed, o)))).toBe('project demo: nothing to do');
  });

  it("a container created before its donor's current container is stale", () => {
    const m = model('demo', [service('db'), service('side', { networkMode: 'service:db', networks: {} })]);
    const o = converged(m);
    const older = edit(o, 'demo-side-1', (c) => ({ ...c, created: c.created - 100 }));
    expect(text(m, older)).toMatch(/service:side:1 .*network_mode: service:db was recreated/);
  });

  it('no-recreate leaves a diverged running container alone, and starts a diverged stopped one instead of recreating it', () => {
    const o = converged(webDb());
    const changed = model('demo', [
      service('db', { user: 'postgres' }),
      service('web', { dependsOn: after('db'), environment: { DB_URL: 'postgres://other@db' } }),
    ]);
    // Without the flag both are recreated; with it the running ones are kept as they are.
    expect(text(changed, o)).toContain('replacing');
    expect(text(changed, o, { noRecreate: true })).toMatchInlineSnapshot(`"project demo: nothing to do"`);
    const stopped = edit(
      edit(o, 'demo-db-1', (c) => ({ ...c, state: 'exited', exitCode: 137 })),
      'demo-web-1',
      (c) => ({ ...c, state: 'created' }),
    );
    expect(text(changed, stopped, { noRecreate: true })).toMatchInlineSnapshot(`
      "#1 start-container service:db:1 demo-db-1 (stopped: container is exited)
      #2 start-container service:web:1 demo-web-1 (stopped: container is created) after #1"
    `);
  });

  it('acts on the services named plus their dependencies, or only on them with noDeps', () => {
    const m = model('demo', [service('db'), service('cache'), service('web', { dependsOn: after('db') })]);
    const o = emptyObserved('demo', IMAGES);
    expect(text(m, o, { services: ['web'] })).toMatchInlineSnapshot(`
      "#1 create-network network:default demo_default (missing: not created yet)
      #2 create-container service:db:1 as demo-db-1 (missing: not created yet) after #1
      #3 start-container service:db:1 demo-db-1 (missing: not created yet) after #2
      #4 create-container service:web:1 as demo-web-1 (missing: not created yet) after #1
      #5 start-container service:web:1 demo-web-1 (missing: not created yet) after #3,#4"
    `);
    expect(text(m, o, { services: ['web'], noDeps: true })).toMatchInlineSnapshot(`
      "#1 create-network network:default demo_default (missing: not created yet)
      #2 create-container service:web:1 as demo-web-1 (missing: not created yet) after #1
      #3 start-container service:web:1 demo-web-1 (missing: not created yet) after #2"
    `);
  });

  it('keeps a container hashed by another scheme version and suggests force-recreate', () => {
    const m = webDb();
    const o = edit(converged(m), 'demo-db-1', (c) => ({
      ...c,
      labels: { ...c.labels, [Label.configHash]: `v9:${'5'.repeat(64)}` },
    }));
    expect(text(m, o)).toMatchInlineSnapshot(`
      "project demo: nothing to do
      note: service:db:1 has a config hash of another stack version: kept as is (use force-recreate to apply this version's config)"
    `);
  });

  it('a container hashed when v1 still included depends_on is up to date until its config changes', () => {
    const m = webDb();
    const former = (o: ObservedState, change: (mm: StackModel) => StackModel = (x) => x): ObservedState =>
      edit(o, 'demo-web-1', (c) => {
        const desired = desiredContainer(change(m), change(m).services['web']!, 1, c.imageId);
        return { ...c, labels: { ...c.labels, [Label.configHash]: rehashContainer(desired, c.imageId, 'former') } };
      });
    const o = converged(m);
    expect(text(m, former(o))).toBe('project demo: nothing to do');
    // Not vacuous: the former hash is another value, and a real change still recreates.
    expect(former(o).containers.find((c) => c.name === 'demo-web-1')!.labels[Label.configHash]).not.toBe(
      o.containers.find((c) => c.name === 'demo-web-1')!.labels[Label.configHash],
    );
    const edited = (mm: StackModel): StackModel => ({
      ...mm,
      services: { ...mm.services, web: { ...mm.services['web']!, environment: { DB_URL: 'other' } } },
    });
    expect(text(m, former(o, edited))).toContain('create-container service:web:1');
  });

  it('pulls a missing image and builds a missing built image before creating', () => {
    const m = model('demo', [
      service('web', { image: 'nginx:1.27' }),
      service('api', {
        image: undefined as never,
        build: buildSpec('/work/demo/api'),
      }),
    ]);
    expect(text(m, emptyObserved('demo'))).toMatchInlineSnapshot(`
      "#1 create-network network:default demo_default (missing: not created yet)
      #2 build-image image:api demo-api (image_build: demo-api not found locally)
      #3 pull-image image:web nginx:1.27 (image_missing: nginx:1.27 not found locally)
      #4 create-container service:api:1 as demo-api-1 (missing: not created yet) after #1,#2
      #5 start-container service:api:1 demo-api-1 (missing: not created yet) after #4
      #6 create-container service:web:1 as demo-web-1 (missing: not created yet) after #1,#3
      #7 start-container service:web:1 demo-web-1 (missing: not created yet) after #6
      note: image demo-api of api not found locally: hashes use the reference until it is pulled or built (docs/architecture.md)
      note: image nginx:1.27 of web not found locally: hashes use the reference until it is pulled or built (docs/architecture.md)"
    `);
  });

  it('does not recreate a container created before its image was observed once the image resolves to what it runs', () => {
    const m = model('demo', [service('web', { image: 'nginx:1.27' })]);
    const o = converged(m, emptyObserved('demo'));
    expect(text(m, o)).toMatchInlineSnapshot(`"project demo: nothing to do"`);
  });

  it('recreates a container attached to a network that was recreated under it', () => {
    const m = webDb();
    const o = converged(m);
    const moved = { ...o, networks: o.networks.map((n) => ({ ...n, id: 'new-network-id' })) };
    expect(text(m, moved)).toMatchInlineSnapshot(`
      "#1 create-container service:db:1 as c1002fffffff_demo-db-1 replacing c1002fffffff (diverged: networks)
      #2 stop-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1
      #3 remove-container service:db:1 demo-db-1 (recreate: replaced by c1002fffffff_demo-db-1) after #1,#2
      #4 rename-container service:db:1 c1002fffffff_demo-db-1 to demo-db-1 (recreate: into demo-db-1) after #3
      #5 start-container service:db:1 demo-db-1 (diverged: networks) after #4
      #6 create-container service:web:1 as c1003fffffff_demo-web-1 replacing c1003fffffff (diverged: networks)
      #7 stop-container service:web:1 demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #6
      #8 remove-container service:web:1 demo-web-1 (recreate: replaced by c1003fffffff_demo-web-1) after #6,#7
      #9 rename-container service:web:1 c1003fffffff_demo-web-1 to demo-web-1 (recreate: into demo-web-1) after #8
      #10 start-container service:web:1 demo-web-1 (diverged: networks) after #5,#9"
    `);
  });

  it('fills waitFor with the dependency replicas that exist after the plan, whatever their numbers', () => {
    const m = model('demo', [service('db', { replicas: 3 }), service('web', { dependsOn: after('db') })]);
    let o = converged(m);
    o = edit(o, 'demo-db-1', (c) => ({ ...c, labels: { ...c.labels, [Label.configHash]: `v1:${'6'.repeat(64)}` } }));
    o = edit(o, 'demo-web-1', (c) => ({ ...c, state: 'exited', exitCode: 1 }));
    const scaled = model('demo', [service('db', { replicas: 2 }), service('web', { dependsOn: after('db') })]);
    const start = planUp(scaled, o).actions.find((a) => a.kind === 'start-container' && a.name === 'demo-web-1');
    expect(start).toMatchObject({
      waitFor: [
        { service: 'db', container: 'demo-db-2', condition: 'service_started', required: true },
        { service: 'db', container: 'demo-db-3', condition: 'service_started', required: true },
      ],
    });
  });
});
