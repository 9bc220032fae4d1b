// The swarm target's overlay networks on the 3-node cluster: a project brought down and up
// again at once (the manager lists a removed network until its own tasks have stopped), and a
// network whose configuration changed in the file (Swarm cannot update a network in place).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectSwarm, downSwarm, planSwarm, prepareSwarm, upSwarm } from '../../src/targets/swarm/index.js';
import type { SwarmClient } from '../../src/targets/swarm/index.js';
import { uniqueName } from '../support/engine.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster } from './cluster.js';

const describeCluster = await describeWithCluster();
const NS = 'com.docker.stack.namespace';

/** A service whose task runs on the manager (so the manager holds a copy of the network), on a network of the stack. */
const stackFile = (networkExtra = '') => `
services:
  web:
    image: ${SWARM_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 2s
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
      placement: { constraints: ["node.role == manager"] }
  idle:
    image: ${SWARM_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy: { endpoint_mode: dnsrr }
networks:
  back:
    driver: overlay${networkExtra}
`;

describeCluster('overlay networks of the swarm target', () => {
  let dir: string;
  let client: SwarmClient;
  const projects: string[] = [];
  const env = { DOCKER_HOST: `unix://${MANAGER_SOCKET}` };
  const load = (project: string) => ({ cwd: dir, env, projectName: project });
  const running = async (name: string) =>
    (await client.listTasks({ service: [name], 'desired-state': ['running'] })).filter(
      (t) => t.Status.State === 'running',
    ).length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-net-'));
    client = await connectSwarm(env);
  });
  afterAll(async () => {
    for (const project of projects) await downSwarm(client, project).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('down then an immediate up of the same project works, round after round', async () => {
    const project = uniqueName('swrace');
    projects.push(project);
    writeFileSync(join(dir, 'stack.yaml'), stackFile());
    for (let round = 1; round <= 3; round++) {
      const { plan } = await upSwarm(client, await prepareSwarm(client, load(project)), {
        wait: true,
        waitTimeoutMs: 60_000,
      });
      expect(plan.actions.map((a) => a.kind).sort(), `round ${round}`).toEqual([
        'create-network',
        'create-network',
        'create-service',
        'create-service',
      ]);
      expect(await running(`${project}_web`), `round ${round}`).toBe(1);
      await downSwarm(client, project);
      // What down reports gone is gone from the manager's list too.
      expect(await client.listNetworks({ label: [`${NS}=${project}`] }), `round ${round}`).toEqual([]);
    }
  });

  it('an up right after the stack was removed by another tool (which does not wait) creates the network once the manager lets it go', async () => {
    const project = uniqueName('swrm');
    projects.push(project);
    writeFileSync(join(dir, 'stack.yaml'), stackFile());
    await upSwarm(client, await prepareSwarm(client, load(project)), { wait: true, waitTimeoutMs: 60_000 });
    // What `docker stack rm` does: remove the services, then the networks, and return.
    const label = { label: [`${NS}=${project}`] };
    for (const s of await client.listServices(label)) await client.removeService(s.ID);
    for (const n of await client.listNetworks(label)) await client.removeNetwork(n.Id);
    const { plan } = await upSwarm(client, await prepareSwarm(client, load(project)), {
      wait: true,
      waitTimeoutMs: 60_000,
    });
    // The manager still listed its copy of the removed network when this up observed.
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'create-network', name: `${project}_back`, lingering: true }),
    );
    expect(await running(`${project}_web`)).toBe(1);
  });

  it('a network whose configuration changed in the file is created again with it, and the services that join it; the plan names the field', async () => {
    const project = uniqueName('swnet');
    projects.push(project);
    const file = join(dir, `${project}.yaml`);
    const options = { cwd: dir, env, projectName: project, files: [file] };
    writeFileSync(file, stackFile());
    await upSwarm(client, await prepareSwarm(client, options), { wait: true, waitTimeoutMs: 60_000 });
    const serviceOf = async (key: string) => (await client.listServices({ name: [`${project}_${key}`] }))[0]!;
    const [webBefore, idleBefore] = [await serviceOf('web'), await serviceOf('idle')];
    const netBefore = (await client.listNetworks({ name: [`${project}_back`] }))[0]!;

    writeFileSync(file, stackFile('\n    attachable: true\n    labels: { tier: back }'));
    const { plan } = await planSwarm(client, await prepareSwarm(client, options));
    expect(plan.actions.map((a) => `${a.kind} ${a.name} ${a.reason.detail}`)).toEqual([
      `remove-service ${project}_web network ${project}_back: attachable, labels`,
      `remove-network ${project}_back attachable, labels`,
      `create-network ${project}_back attachable, labels`,
      `create-service ${project}_web network ${project}_back: attachable, labels`,
    ]);
    await upSwarm(client, await prepareSwarm(client, options), { wait: true, waitTimeoutMs: 60_000 });
    const netAfter = (await client.listNetworks({ name: [`${project}_back`] })).find(
      (n) => n.Name === `${project}_back`,
    ) as { Id: string; Attachable?: boolean; Labels: Record<string, string> } | undefined;
    expect(netAfter?.Id).not.toBe(netBefore.Id);
    expect(netAfter?.Attachable).toBe(true);
    expect(netAfter?.Labels['tier']).toBe('back');
    // web runs again, on the new network; idle (on the default network) was not touched.
    const webAfter = await serviceOf('web');
    expect(webAfter.ID).not.toBe(webBefore.ID);
    const joined = (webAfter.Spec['TaskTemplate'] as { Networks?: { Target: string }[] }).Networks?.map(
      (n) => n.Target,
    );
    expect(joined).toEqual([netAfter?.Id]);
    expect(await running(`${project}_web`)).toBe(1);
    const idleAfter = await serviceOf('idle');
    expect([idleAfter.ID, idleAfter.Version.Index]).toEqual([idleBefore.ID, idleBefore.Version.Index]);
    expect((await planSwarm(client, await prepareSwarm(client, options))).plan.actions).toEqual([]);
  });

  it('a changed network that another stack joins as external is refused before anything is touched, naming its services', async () => {
    const owner = uniqueName('swnet');
    const user = uniqueName('swext');
    const ownerFile = join(dir, `${owner}.yaml`);
    const userFile = join(dir, `${user}.yaml`);
    const ownerOptions = { cwd: dir, env, projectName: owner, files: [ownerFile] };
    const userOptions = { cwd: dir, env, projectName: user, files: [userFile] };
    writeFileSync(ownerFile, stackFile());
    writeFileSync(
      userFile,
      [
        'services:',
        '  guest:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '    networks: [shared]',
        '    deploy: { endpoint_mode: dnsrr }',
        'networks:',
        `  shared: { external: true, name: ${owner}_back }`,
        '',
      ].join('\n'),
    );
    try {
      await upSwarm(client, await prepareSwarm(client, ownerOptions), { wait: true, waitTimeoutMs: 60_000 });
      await upSwarm(client, await prepareSwarm(client, userOptions), { wait: true, waitTimeoutMs: 60_000 });
      const web = (await client.listServices({ name: [`${owner}_web`] }))[0]!;
      const net = (await client.listNetworks({ name: [`${owner}_back`] }))[0]!;

      writeFileSync(ownerFile, stackFile('\n    attachable: true'));
      const refusal = {
        code: 'NETWORK_IN_USE',
        message: expect.stringContaining(`network ${owner}_back: its configuration changed (attachable)`) as string,
      };
      const planned = await planSwarm(client, await prepareSwarm(client, ownerOptions)).catch((e: unknown) => e);
      expect(planned).toMatchObject(refusal);
      expect((planned as Error).message).toContain(`${user}_guest (stack ${user})`);
      const applied = await upSwarm(client, await prepareSwarm(client, ownerOptions)).catch((e: unknown) => e);
      expect(applied).toMatchObject(refusal);

      // Nothing touched: the owner's service and network are the same objects, the guest still runs.
      const webAfter = (await client.listServices({ name: [`${owner}_web`] }))[0]!;
      expect([webAfter.ID, webAfter.Version.Index]).toEqual([web.ID, web.Version.Index]);
      expect((await client.listNetworks({ name: [`${owner}_back`] })).map((n) => n.Id)).toContain(net.Id);
      expect(await running(`${user}_guest`)).toBe(1);
    } finally {
      await downSwarm(client, user).catch(() => undefined);
      await downSwarm(client, owner).catch(() => undefined);
    }
  });
});
