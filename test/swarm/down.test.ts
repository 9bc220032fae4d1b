// `stack --target swarm down` on the 3-node cluster, through the CLI: a network of the stack
// that another stack joins (as `external:`) is refused before anything is removed, where
// `docker stack rm` removes the services and then fails on the network.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectSwarm } from '../../src/targets/swarm/index.js';
import type { SwarmClient } from '../../src/targets/swarm/index.js';
import { runStack } from '../support/stack-cli.js';
import { uniqueName } from '../support/engine.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster } from './cluster.js';

const describeCluster = await describeWithCluster();
const NS = 'com.docker.stack.namespace';

const service = (name: string, networks: string) =>
  [
    `  ${name}:`,
    `    image: ${SWARM_IMAGE}`,
    '    command: ["sleep", "3600"]',
    '    stop_grace_period: 1s',
    `    networks: [${networks}]`,
    '    deploy: { endpoint_mode: dnsrr }',
  ].join('\n');

describeCluster('down on the swarm target', () => {
  let dir: string;
  let client: SwarmClient;
  const manager = `unix://${MANAGER_SOCKET}`;
  const stack = (project: string, args: string[]) =>
    runStack(['--target', 'swarm', '-p', project, '-f', join(dir, `${project}.yaml`), ...args], {
      cwd: dir,
      dockerHost: manager,
      timeoutMs: 180_000,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-down-'));
    client = await connectSwarm({ DOCKER_HOST: manager });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a network another stack's service joins before removing anything, naming the network and that service", async () => {
    const owner = uniqueName('swdown');
    const guest = uniqueName('swguest');
    writeFileSync(
      join(dir, `${owner}.yaml`),
      ['services:', service('web', 'back'), service('idle', 'default'), 'networks:', '  back: {}', ''].join('\n'),
    );
    writeFileSync(
      join(dir, `${guest}.yaml`),
      [
        'services:',
        service('visitor', 'shared'),
        'networks:',
        `  shared: { external: true, name: ${owner}_back }`,
        '',
      ].join('\n'),
    );
    const servicesOf = async (project: string) =>
      (await client.listServices({ label: [`${NS}=${project}`] }))
        .map((s) => `${s.Spec.Name} ${s.ID} ${s.Version.Index}`)
        .sort();
    try {
      const up = await stack(owner, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect((await stack(guest, ['up', '-d'])).code).toBe(0);
      const before = await servicesOf(owner);
      expect(before).toHaveLength(2);
      const networks = (await client.listNetworks({ label: [`${NS}=${owner}`] })).map((n) => n.Id).sort();

      const planned = await stack(owner, ['plan', '--down']);
      // Exit 2 as for `up`: nothing was touched.
      expect(planned.code, planned.stderr).toBe(2);
      expect(planned.stderr).toContain('error[NETWORK_IN_USE]');

      const down = await stack(owner, ['down']);
      expect(down.code).toBe(2);
      expect(down.stderr).toContain('error[NETWORK_IN_USE]');
      expect(down.stderr).toContain(`network ${owner}_back: \`down\` removes it`);
      expect(down.stderr).toContain(`${guest}_visitor (stack ${guest})`);
      // Nothing of the stack was removed: the same services, at the same versions, and its networks.
      expect(await servicesOf(owner)).toEqual(before);
      expect((await client.listNetworks({ label: [`${NS}=${owner}`] })).map((n) => n.Id).sort()).toEqual(networks);

      // Once the other stack is gone, down removes everything.
      expect((await stack(guest, ['down'])).code).toBe(0);
      const again = await stack(owner, ['down']);
      expect(again.code, again.stderr).toBe(0);
      expect(await servicesOf(owner)).toEqual([]);
      expect(await client.listNetworks({ label: [`${NS}=${owner}`] })).toEqual([]);
    } finally {
      await stack(guest, ['down']);
      await stack(owner, ['down']);
    }
  });
  it('refuses an attachable network a standalone container on the manager joins, naming it; its own tasks there do not count', async () => {
    const owner = uniqueName('swattach');
    const container = `${owner}-standalone`;
    const docker = (...args: string[]) =>
      execFileSync('docker', ['-H', manager, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(
      join(dir, `${owner}.yaml`),
      [
        'services:',
        // Its task runs on the manager, where the check lists the network's containers.
        service('web', 'back').replace('dnsrr }', 'dnsrr, placement: { constraints: ["node.role == manager"] } }'),
        'networks:',
        '  back: { attachable: true }',
        '',
      ].join('\n'),
    );
    try {
      const up = await stack(owner, ['up', '-d', '--wait']);
      expect(up.code, up.stderr).toBe(0);
      docker('run', '-d', '--name', container, '--network', `${owner}_back`, SWARM_IMAGE, 'sleep', '3600');
      const before = (await client.listServices({ label: [`${NS}=${owner}`] })).map((s) => s.ID);

      const down = await stack(owner, ['down']);
      expect(down.code).toBe(2);
      expect(down.stderr).toContain('error[NETWORK_IN_USE]');
      expect(down.stderr).toContain(`network ${owner}_back: \`down\` removes it`);
      expect(down.stderr).toContain(`container ${container}`);
      expect(down.stderr).not.toContain(`container ${owner}_web`);
      expect((await client.listServices({ label: [`${NS}=${owner}`] })).map((s) => s.ID)).toEqual(before);

      docker('rm', '-f', container);
      const again = await stack(owner, ['down']);
      expect(again.code, again.stderr).toBe(0);
      expect(await client.listNetworks({ label: [`${NS}=${owner}`] })).toEqual([]);
    } finally {
      try {
        docker('rm', '-f', container);
      } catch {
        // already removed
      }
      await stack(owner, ['down']);
    }
  });
});
