// Private images on the swarm target, against a real registry with htpasswd auth: the image's
// digest is resolved with the user's credentials (docker config), and `up --with-registry-auth`
// sends them with the service create/update so the worker nodes can pull it; without the flag
// the nodes cannot, the rollout fails naming the task error, and turning the flag on fixes it.
//
// The registry: one docker-registry per node, each listening on 127.0.0.1:5002 inside the node's
// network namespace (every dockerd trusts 127.0.0.0/8 over plain HTTP, so no TLS and no daemon
// restart are needed), all sharing one storage directory; the test starts and stops them.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pushImageForDigest } from '../../src/engine/images.js';
import { connectSwarm, downSwarm } from '../../src/targets/swarm/index.js';
import type { SwarmClient } from '../../src/targets/swarm/index.js';
import { uniqueName } from '../support/engine.js';
import { runStack } from '../support/stack-cli.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster } from './cluster.js';

const describeCluster = await describeWithCluster();
const NAMESPACES = ['stksw-node1', 'stksw-node2', 'stksw-node3'];
const REGISTRY = '127.0.0.1:5002';
const USER = 'stackuser';
const PASSWORD = 'stack-test-pass';
/** bcrypt of PASSWORD (the only hash docker-registry's htpasswd accepts). */
const HTPASSWD = `${USER}:$2b$04$Srpo3zSN8IJN2wsuRCuqvuXv9.15hC7twEJ13Dyt4T2hS4zq/ABZa\n`;

/** True once the registry in `ns` accepts connections. */
function answers(ns: string): boolean {
  const probe = spawnSync('nsenter', [`--net=/var/run/netns/${ns}`, 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/5002'], {
    timeout: 5000,
  });
  return probe.status === 0;
}

describeCluster('private images on the swarm target (registry with htpasswd auth)', () => {
  let dir: string;
  let client: SwarmClient;
  const registries: ChildProcess[] = [];
  const projects: string[] = [];
  const repo = `${REGISTRY}/${uniqueName('private')}/busybox`;
  const image = `${repo}:1`;
  const manager = `unix://${MANAGER_SOCKET}`;
  const stack = (project: string, args: string[], dockerConfig: string) =>
    runStack(['-p', project, '--target', 'swarm', ...args], {
      cwd: dir,
      dockerHost: manager,
      env: { DOCKER_CONFIG: dockerConfig },
      timeoutMs: 180_000,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-auth-'));
    const missing = ['/usr/bin/docker-registry', ...NAMESPACES.map((ns) => `/var/run/netns/${ns}`)].filter(
      (path) => !existsSync(path),
    );
    if (missing.length > 0)
      throw new Error(`this test needs ${missing.join(', ')} (scripts/swarm-cluster.sh, as root)`);
    writeFileSync(join(dir, 'htpasswd'), HTPASSWD);
    mkdirSync(join(dir, 'data'));
    for (const ns of NAMESPACES) {
      const config = join(dir, `${ns}.yml`);
      writeFileSync(
        config,
        [
          'version: 0.1',
          'log: { level: error }',
          `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
          `http: { addr: "${REGISTRY}", secret: stack-test-secret }`,
          `auth: { htpasswd: { realm: stack-test, path: ${join(dir, 'htpasswd')} } }`,
          '',
        ].join('\n'),
      );
      registries.push(
        spawn('nsenter', [`--net=/var/run/netns/${ns}`, '/usr/bin/docker-registry', 'serve', config], {
          stdio: 'ignore',
        }),
      );
    }
    const deadline = Date.now() + 20_000;
    while (!NAMESPACES.every(answers)) {
      if (Date.now() > deadline) throw new Error('the test registries did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The user's docker config: credentials for the registry, as `docker login` writes them.
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    mkdirSync(join(dir, 'docker'));
    writeFileSync(join(dir, 'docker', 'config.json'), JSON.stringify({ auths: { [REGISTRY]: { auth } } }));
    mkdirSync(join(dir, 'nobody'));
    writeFileSync(join(dir, 'nobody', 'config.json'), '{}');
    // The image, pushed from the manager with the credentials (the workers have never seen this repository).
    client = await connectSwarm({ DOCKER_HOST: manager });
    await client.tagImage(SWARM_IMAGE, repo, '1');
    await pushImageForDigest(client, image, { auth: { username: USER, password: PASSWORD, serveraddress: REGISTRY } });
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  app:',
        `    image: ${image}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '    deploy:',
        '      replicas: 2',
        '      endpoint_mode: dnsrr',
        '      placement: { constraints: ["node.role == worker"], max_replicas_per_node: 1 }',
        '      restart_policy: { condition: none }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    for (const project of projects) await downSwarm(client, project).catch(() => undefined);
    await client?.removeImage(image).catch(() => undefined);
    for (const registry of registries) registry.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without credentials the private image cannot even be resolved: refused before anything is written', async () => {
    const project = uniqueName('swauth');
    const run = await stack(project, ['up', '-d'], join(dir, 'nobody'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`image "${image}" is not in a registry the swarm can reach`);
    expect(await client.listServices({ label: [`com.docker.stack.namespace=${project}`] })).toEqual([]);
  });

  it('the digest is resolved with the credentials; the nodes pull only with --with-registry-auth, and turning it on fixes a failed rollout', async () => {
    const project = uniqueName('swauth');
    projects.push(project);
    const docker = join(dir, 'docker');
    const without = await stack(project, ['up', '-d', '--wait', '--wait-timeout', '60'], docker);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(new RegExp(`${project}_app\\.\\d .* rejected: No such image: ${image}@sha256:`));
    expect(without.stderr).toContain('run `up --with-registry-auth`');

    const plan = await stack(project, ['plan'], docker);
    expect(plan.stdout).toBe(`${project}: up to date (no changes)\n`);
    // plan --with-registry-auth shows the update `up --with-registry-auth` makes: the label naming the registry.
    const planAuth = await stack(project, ['plan', '--with-registry-auth', '--detailed-exitcode'], docker);
    expect(planAuth.code, planAuth.stderr).toBe(2);
    expect(planAuth.stdout).toMatch(new RegExp(`^~ update service ${project}_app \\(version \\d+\\): labels$`, 'm'));
    expect(planAuth.stdout + planAuth.stderr).not.toContain(PASSWORD);
    const withAuth = await stack(
      project,
      ['up', '-d', '--wait', '--wait-timeout', '90', '--with-registry-auth'],
      docker,
    );
    expect(withAuth.code, withAuth.stderr).toBe(0);
    expect(withAuth.stderr).toContain(`Service ${project}_app  Updated`);
    const tasks = (await client.listTasks({ service: [`${project}_app`], 'desired-state': ['running'] })).filter(
      (t) => t.Status.State === 'running',
    );
    expect(new Set(tasks.map((t) => t.NodeID)).size).toBe(2);
    // The spec names the registry whose credentials it was given, never the credentials.
    const [service] = await client.listServices({ name: [`${project}_app`] });
    expect(service?.Spec.Labels?.['dev.stack.registry-auth']).toBe(REGISTRY);
    expect(JSON.stringify(service?.Spec)).not.toContain(PASSWORD);
    const again = await stack(project, ['up', '-d', '--with-registry-auth'], docker);
    expect(again.stderr).toContain('up to date, nothing written');
    expect((await stack(project, ['plan', '--with-registry-auth', '--detailed-exitcode'], docker)).code).toBe(0);
  });
});
