// The swarm target with the rest of the Swarm world: stacks of `docker stack deploy` taken
// over (and ours seen by `docker stack`), images pushed and pinned by digest, and a worker
// whose dockerd crashes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectSwarm, downSwarm, planSwarm, prepareSwarm, psSwarm, upSwarm } from '../../src/targets/swarm/index.js';
import type { SwarmClient } from '../../src/targets/swarm/index.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster, eventually } from './cluster.js';
import { pushImageForDigest, registryDigest } from '../../src/engine/images.js';

const describeCluster = await describeWithCluster();
const CLUSTER_SCRIPT = resolve(import.meta.dirname, '../../scripts/swarm-cluster.sh');
const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
const suffix = Math.random().toString(36).slice(2, 8);

describeCluster('the swarm target with docker stack, registries and failing nodes', () => {
  let dir: string;
  let client: SwarmClient;
  let killed = false;
  const env = { DOCKER_HOST: `unix://${MANAGER_SOCKET}` };
  const docker = (...args: string[]) =>
    execFileSync(DOCKER, ['-H', `unix://${MANAGER_SOCKET}`, ...args], { encoding: 'utf8' });
  const projectDir = (project: string, yaml: string) => {
    const path = join(dir, project);
    execFileSync('mkdir', ['-p', path]);
    writeFileSync(join(path, 'stack.yaml'), yaml);
    return { cwd: path, env, projectName: project };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-interop-'));
    client = await connectSwarm(env);
  });
  afterAll(async () => {
    if (killed) execFileSync('bash', [CLUSTER_SCRIPT, 'restart-node', 'node3']);
    for (const project of [`ad-${suffix}`, `kn-${suffix}`]) await downSwarm(client, project).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a stack deployed by docker stack deploy is taken over by one update per service, then is a no-op, and docker stack ps lists it', async () => {
    const project = `ad-${suffix}`;
    const yaml = `services:\n  web:\n    image: ${SWARM_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy: { endpoint_mode: dnsrr }\n`;
    const load = projectDir(project, yaml);
    docker('stack', 'deploy', '--detach=true', '-c', join(load.cwd, 'stack.yaml'), project);
    const first = await upSwarm(client, await prepareSwarm(client, load), { wait: true, waitTimeoutMs: 60_000 });
    expect(first.plan.actions.map((a) => [a.kind, a.name, 'reasons' in a ? a.reasons : []])).toEqual([
      ['update-service', `${project}_web`, ['not_managed_by_stack']],
    ]);
    const { plan } = await planSwarm(client, await prepareSwarm(client, load));
    expect(plan.actions).toEqual([]);
    const ps = docker(
      'stack',
      'ps',
      '--filter',
      'desired-state=running',
      '--format',
      '{{.Name}} {{.CurrentState}}',
      project,
    );
    expect(ps).toMatch(new RegExp(`^${project}_web\\.1 Running`, 'm'));
    expect(docker('stack', 'ls', '--format', '{{.Name}}')).toContain(project);
  });

  it('an image pushed to the cluster registry is pinned by the digest the push reported', async () => {
    const pushed = await pushImageForDigest(client, SWARM_IMAGE);
    expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryDigest(client, SWARM_IMAGE)).toBe(pushed);
    const prepared = await prepareSwarm(
      client,
      projectDir(`pin-${suffix}`, `services:\n  web:\n    image: ${SWARM_IMAGE}\n`),
    );
    expect(prepared.desired.services[0]!.spec).toMatchObject({
      TaskTemplate: { ContainerSpec: { Image: `${SWARM_IMAGE}@${pushed}` } },
    });
  });

  it('a global service runs one task per node and a replicated job runs to completion; --wait returns on both, and the next plan is empty', async () => {
    const project = `md-${suffix}`;
    const load = projectDir(
      project,
      `services:\n  once:\n    image: ${SWARM_IMAGE}\n    command: ["true"]\n    deploy: { mode: replicated-job, replicas: 2, endpoint_mode: dnsrr }\n  every:\n    image: ${SWARM_IMAGE}\n    command: ["sleep", "300"]\n    stop_grace_period: 1s\n    deploy: { mode: global, endpoint_mode: dnsrr }\n`,
    );
    try {
      await upSwarm(client, await prepareSwarm(client, load), { wait: true, waitTimeoutMs: 60_000 });
      const rows = await psSwarm(client, project, { all: true });
      expect(
        new Set(
          rows.filter((r) => r.service === `${project}_every` && r.currentState === 'running').map((r) => r.node),
        ),
      ).toEqual(new Set(['node1', 'node2', 'node3']));
      expect(rows.filter((r) => r.service === `${project}_once`).map((r) => r.currentState)).toEqual([
        'complete',
        'complete',
      ]);
      expect((await planSwarm(client, await prepareSwarm(client, load))).plan.actions).toEqual([]);
    } finally {
      await downSwarm(client, project);
    }
  });

  it('a service with build: is built, pushed to the registry of its image and runs by digest on every node; the next up builds nothing', async () => {
    const project = `bd-${suffix}`;
    const image = `10.123.0.1:5001/stack-swarm-test/built-${suffix}:1`;
    const load = projectDir(
      project,
      `services:\n  app:\n    image: ${image}\n    build: ./app\n    command: ["sh", "-c", "cat /marker.txt; exec sleep 3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 3\n      endpoint_mode: dnsrr\n      placement: { max_replicas_per_node: 1 }\n`,
    );
    execFileSync('mkdir', ['-p', join(load.cwd, 'app')]);
    writeFileSync(join(load.cwd, 'app', 'Dockerfile'), 'FROM stack-test/busybox:latest\nCOPY marker.txt /marker.txt\n');
    writeFileSync(join(load.cwd, 'app', 'marker.txt'), `built-${suffix}\n`);
    const pushed: string[] = [];
    try {
      // `plan` builds and pushes nothing: the image is not in the registry yet, and that is no error.
      const planned = await planSwarm(
        client,
        await prepareSwarm(client, load, { build: false, onPushed: (ref) => pushed.push(ref) }),
      );
      expect(planned.plan.actions.map((a) => a.kind)).toEqual(['create-network', 'create-service']);
      expect(pushed).toEqual([]);
      await upSwarm(
        client,
        await prepareSwarm(client, load, { onPushed: (ref, digest) => pushed.push(`${ref}@${digest ?? ''}`) }),
        { wait: true, waitTimeoutMs: 90_000 },
      );
      expect(pushed).toEqual([`${image}@${await registryDigest(client, image)}`]);
      const service = (await client.listServices({ name: [`${project}_app`] }))[0]!;
      expect((service.Spec['TaskTemplate'] as { ContainerSpec: { Image: string } }).ContainerSpec.Image).toBe(
        pushed[0],
      );
      const tasks = (await client.listTasks({ service: [`${project}_app`], 'desired-state': ['running'] })).filter(
        (t) => t.Status.State === 'running',
      );
      expect(new Set(tasks.map((t) => t.NodeID)).size).toBe(3);
      const again = await prepareSwarm(client, load, { onPushed: (ref) => pushed.push(ref) });
      expect(pushed).toHaveLength(1);
      expect((await planSwarm(client, again)).plan.actions).toEqual([]);
    } finally {
      await downSwarm(client, project);
    }
  });

  it("when a worker's dockerd dies its tasks move to the other worker, and the next up is still a no-op", async () => {
    const project = `kn-${suffix}`;
    const load = projectDir(
      project,
      `services:\n  app:\n    image: ${SWARM_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      endpoint_mode: dnsrr\n      placement: { constraints: ["node.labels.tier == worker"] }\n`,
    );
    await upSwarm(client, await prepareSwarm(client, load), { wait: true, waitTimeoutMs: 60_000 });
    const nodes = new Map((await client.listNodes()).map((n) => [n.Description?.Hostname, n.ID]));
    const runningOn = async () =>
      (await client.listTasks({ service: [`${project}_app`], 'desired-state': ['running'] }))
        .filter((t) => t.Status.State === 'running')
        .map((t) => t.NodeID);
    expect((await runningOn()).sort()).toEqual([nodes.get('node2'), nodes.get('node3')].sort());
    execFileSync('bash', [CLUSTER_SCRIPT, 'kill-node', 'node3']);
    killed = true;
    const moved = async () => {
      const on = await runningOn();
      return on.length === 2 && on.every((id) => id === nodes.get('node2'));
    };
    expect(await eventually(moved, 60_000)).toBe(true);
    const { plan } = await planSwarm(client, await prepareSwarm(client, load));
    expect(plan.actions).toEqual([]);
    execFileSync('bash', [CLUSTER_SCRIPT, 'restart-node', 'node3']);
    killed = false;
  });
});
