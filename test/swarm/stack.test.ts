// The swarm target on the 3-node cluster of scripts/swarm-cluster.sh: one stack taken through
// its life (up, no-op, one change, secret rotation, failed rollout, down), each step one
// intent asserted on the engine's state. The steps share the stack to keep the suite short.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { StackError } from '../../src/errors.js';
import {
  connectSwarm,
  downSwarm,
  logsSwarm,
  lsSwarm,
  prepareSwarm,
  psSwarm,
  upSwarm,
} from '../../src/targets/swarm/index.js';
import type { SwarmClient } from '../../src/targets/swarm/index.js';
import { rawRequest } from '../support/engine.js';
import {
  MANAGER_SOCKET,
  NODE_SOCKETS,
  SWARM_IMAGE,
  WORKER_SOCKET,
  describeWithCluster,
  eventually,
} from './cluster.js';

const describeCluster = await describeWithCluster();
const project = `sw-${Math.random().toString(36).slice(2, 8)}`;
const NS = 'com.docker.stack.namespace';

const stackFile = (webCommand = 'cat /run/secrets/token; echo; exec sleep 3600') => `
services:
  web:
    image: ${SWARM_IMAGE}
    command: ["sh", "-c", "${webCommand}"]
    stop_grace_period: 1s
    secrets: [token]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      placement: { constraints: ["node.labels.tier == worker"], max_replicas_per_node: 1 }
      update_config: { parallelism: 2, delay: 0s, failure_action: rollback, monitor: 4s }
      rollback_config: { parallelism: 2, delay: 0s }
  api:
    image: ${SWARM_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    environment: { VERSION: "\${VERSION:-1}" }
    depends_on: [web]
    deploy: { replicas: 1, endpoint_mode: dnsrr }
secrets:
  token: { file: ./token.txt }
`;

describeCluster('the swarm target on a 3-node cluster', () => {
  let dir: string;
  let proxy: EngineProxy;
  let client: SwarmClient;
  const env = (extra: Record<string, string> = {}) => ({ DOCKER_HOST: `unix://${MANAGER_SOCKET}`, ...extra });
  const load = (extra: Record<string, string> = {}) => ({ cwd: dir, env: env(extra), projectName: project });
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const up = async (options: { env?: Record<string, string>; wait?: boolean } = {}) =>
    upSwarm(client, await prepareSwarm(client, load(options.env)), {
      wait: options.wait ?? true,
      waitTimeoutMs: 120_000,
      removeOrphans: true,
    });
  const services = async () => client.listServices({ label: [`${NS}=${project}`] });
  const version = async (key: string) =>
    (await services()).find((s) => s.Spec.Name === `${project}_${key}`)?.Version.Index;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-'));
    write('stack.yaml', stackFile());
    write('token.txt', 'first-secret');
    proxy = await startEngineProxy({ target: MANAGER_SOCKET, socketPath: join(dir, 'engine.sock') });
    client = await connectSwarm(env());
  });
  afterAll(async () => {
    if (client) await downSwarm(client, project).catch(() => undefined);
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an engine that is not a manager is refused before anything, saying how to init or join', async () => {
    const error = await connectSwarm({ DOCKER_HOST: `unix://${WORKER_SOCKET}` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).exitCode).toBe(1);
    expect((error as StackError).message).toMatch(/worker, not a manager/);
    const local = await connectSwarm({ DOCKER_HOST: 'unix:///var/run/docker.sock' }).catch((e: unknown) => e);
    expect((local as StackError).diagnostics[0]?.hint).toMatch(/docker swarm init/);
  });

  it('up --wait spreads the replicas over the nodes its placement constraint allows', async () => {
    const { plan } = await up();
    expect(plan.actions.map((a) => a.kind)).toEqual([
      'create-network',
      'create-secret',
      'create-service',
      'create-service',
    ]);
    const nodes = new Map((await client.listNodes()).map((n) => [n.ID, n.Spec?.Labels?.['tier']]));
    const tasks = (await client.listTasks({ service: [`${project}_web`], 'desired-state': ['running'] })).filter(
      (t) => t.Status.State === 'running',
    );
    expect(tasks).toHaveLength(2);
    expect(tasks.map((t) => nodes.get(t.NodeID ?? ''))).toEqual(['worker', 'worker']);
    expect(new Set(tasks.map((t) => t.NodeID)).size).toBe(2);
    const ps = await psSwarm(client, project);
    expect(
      ps
        .filter((r) => r.currentState === 'running')
        .map((r) => r.task)
        .sort(),
    ).toEqual([`${project}_api.1`, `${project}_web.1`, `${project}_web.2`]);
    expect(await lsSwarm(client)).toContainEqual({ name: project, services: 2 });
    // depends_on with --wait: api (depends on web) was created only once web's tasks ran.
    const api = (await services()).find((s) => s.Spec.Name === `${project}_api`)!;
    const webRunningSince = Math.max(...tasks.map((t) => Date.parse(t.Status.Timestamp ?? '')));
    expect(Date.parse(api.CreatedAt ?? '')).toBeGreaterThanOrEqual(webRunningSince);
  });

  it('a second up with nothing changed makes zero writes', async () => {
    const viaProxy = await connectSwarm({ DOCKER_HOST: proxy.dockerHost });
    proxy.reset();
    const { plan, writes } = await upSwarm(viaProxy, await prepareSwarm(viaProxy, load()), {
      wait: true,
      removeOrphans: true,
    });
    expect(plan.actions).toEqual([]);
    expect(writes).toBe(0);
    expect(proxy.counts.writes).toBe(0);
  });

  it('an update based on a version someone else changed meanwhile is a conflict, not a lost update', async () => {
    const prepared = await prepareSwarm(client, load({ VERSION: '2' }));
    let planned: string[] = [];
    let version = 0;
    // Someone changes the service between the loop's observation and its write (the progress
    // renderer is created after the plan is final, before anything runs).
    const error = await upSwarm(client, prepared, {
      progress: async () => {
        const current = (await services()).find((s) => s.Spec.Name === `${project}_api`)!;
        version = current.Version.Index;
        await client.updateService(current.ID, current.Version.Index, {
          ...current.Spec,
          Labels: { ...current.Spec.Labels, 'changed-by': 'someone-else' },
        });
        return {
          begin: (actions) => (planned = actions.map((a) => a.kind)),
          onEvent: () => undefined,
          end: async () => undefined,
        };
      },
    }).catch((e: unknown) => e);
    expect(planned).toEqual(['update-service']);
    expect((error as StackError).code).toBe('APPLY_FAILED');
    expect((error as StackError).message).toMatch(
      new RegExp(
        `service ${project}_api was changed by someone else since it was observed \\(version ${version}, now \\d+\\)`,
      ),
    );
    // Not overwritten: the other writer's change is still there.
    const after = (await services()).find((s) => s.Spec.Name === `${project}_api`)!;
    expect(after.Spec.Labels?.['changed-by']).toBe('someone-else');
  });

  it('a create whose reply is lost is resolved by observing again, not by creating twice', async () => {
    const viaProxy = await connectSwarm({ DOCKER_HOST: proxy.dockerHost });
    write(
      'extra.yaml',
      `services:\n  extra:\n    image: ${SWARM_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy: { endpoint_mode: dnsrr }\n`,
    );
    const extra = { cwd: dir, env: env(), projectName: `${project}-x`, files: ['extra.yaml'] };
    proxy.setFaults([{ route: 'POST /services/create', action: 'reset', phase: 'after' }]);
    try {
      const { writes } = await upSwarm(viaProxy, await prepareSwarm(viaProxy, extra), { wait: false });
      expect(writes).toBe(2);
      expect(proxy.requests.filter((r) => r.route === 'POST /services/create')).toHaveLength(1);
      expect(await client.listServices({ label: [`${NS}=${project}-x`] })).toHaveLength(1);
    } finally {
      proxy.setFaults([]);
      await downSwarm(client, `${project}-x`);
    }
  });

  it('one changed service is updated in place; the other keeps its version', async () => {
    const [web, api] = [await version('web'), await version('api')];
    const { plan } = await up({ env: { VERSION: '2' } });
    expect(plan.actions).toMatchObject([
      { kind: 'update-service', key: 'api', version: api, reasons: ['environment'] },
    ]);
    expect(await version('web')).toBe(web);
    expect(await version('api')).toBeGreaterThan(api!);
  });

  it('a changed secret file rotates: new object, services moved to it, old object removed', async () => {
    const before = (await client.listSecrets({ label: [`${NS}=${project}`] })).map((s) => s.Spec.Name);
    write('token.txt', 'second-secret');
    const { plan } = await up({ env: { VERSION: '2' } });
    expect(plan.actions.map((a) => a.kind)).toEqual(['create-secret', 'update-service', 'remove-secret']);
    const after = (await client.listSecrets({ label: [`${NS}=${project}`] })).map((s) => s.Spec.Name);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
    const seen = async () => {
      let text = '';
      for await (const line of logsSwarm(client, project, { services: ['web'] })) text += line.data.toString();
      return text.includes('second-secret');
    };
    expect(await eventually(seen, 20_000)).toBe(true);
  });

  it('an image no registry has is refused before any write, naming the service', async () => {
    write(
      'stack.yaml',
      stackFile().replace(
        `image: ${SWARM_IMAGE}\n    command: ["sleep"`,
        `image: 10.123.0.1:5001/stack-test/missing:1\n    command: ["sleep"`,
      ),
    );
    const error = await prepareSwarm(client, load({ VERSION: '2' })).catch((e: unknown) => e);
    expect((error as StackError).code).toBe('IMAGE_NOT_FOUND');
    expect((error as StackError).message).toContain('"api"');
  });

  it('a failing rollout with --wait fails naming the task error, and failure_action rollback restores the old spec', async () => {
    const good = (await services()).find((s) => s.Spec.Name === `${project}_web`)!;
    write('stack.yaml', stackFile('exit 3'));
    const error = await up({ env: { VERSION: '2' } }).catch((e: unknown) => e);
    expect((error as StackError).code).toBe('APPLY_FAILED');
    expect((error as StackError).message).toMatch(
      new RegExp(
        `service ${project}_web: update rolled back: .*${project}_web\\.\\d \\(task \\w+\\) on node\\d: failed: task: non-zero exit \\(3\\)`,
      ),
    );
    const web = (await services()).find((s) => s.Spec.Name === `${project}_web`)!;
    expect(web.UpdateStatus?.State).toBe('rollback_completed');
    expect(web.Spec.Labels?.['dev.stack.config-hash']).toBe(good.Spec.Labels?.['dev.stack.config-hash']);
  });

  it('down removes the services, then the secret and the network: nothing of the stack is left', async () => {
    const { writes } = await downSwarm(client, project);
    expect(writes).toBe(4);
    const label = { label: [`${NS}=${project}`] };
    expect(await client.listServices(label)).toEqual([]);
    expect(await client.listSecrets(label)).toEqual([]);
    expect(await client.listConfigs(label)).toEqual([]);
    // The manager's local copy of an overlay network goes once its own tasks have stopped.
    expect(await eventually(async () => (await client.listNetworks(label)).length === 0, 30_000)).toBe(true);
    // No container of the stack is left on any node.
    const containersLeft = async () => {
      const counts = await Promise.all(
        NODE_SOCKETS.map(async (socketPath) => {
          const filters = encodeURIComponent(JSON.stringify({ label: [`${NS}=${project}`] }));
          const reply = await rawRequest({ socketPath, path: `/v1.41/containers/json?all=1&filters=${filters}` });
          return (reply.json as unknown[]).length;
        }),
      );
      return counts.every((n) => n === 0);
    };
    expect(await eventually(containersLeft, 30_000)).toBe(true);
  });
});
