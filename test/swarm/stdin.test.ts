// `-f -` on the swarm target: the stack file from stdin deploys, plans to nothing and comes
// down, with paths and `.env` relative to the working directory (as Compose reads `-f -`), and
// no model cache entry written (a stdin file is a new temporary file each run: never found again).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

const FILE = [
  'services:',
  '  web:',
  `    image: ${SWARM_IMAGE}`,
  '    command: ["sleep", "3600"]',
  '    stop_grace_period: 1s',
  '    environment: { GREETING: "${GREETING:-unset}" }',
  '    configs: [{ source: motd, target: /motd }]',
  '    deploy: { endpoint_mode: dnsrr }',
  'configs:',
  '  motd: { file: ./motd.txt }',
  '',
].join('\n');

describeCluster('the swarm target with the stack file on stdin', () => {
  let dir: string;
  let client: SwarmClient;
  const project = uniqueName('swstdin');
  const stdin = (args: string[]) =>
    runStack(['--target', 'swarm', '-f', '-', '-p', project, ...args], {
      cwd: dir,
      dockerHost: `unix://${MANAGER_SOCKET}`,
      stdin: FILE,
      env: { XDG_CACHE_HOME: join(dir, 'xdg'), STACK_MODEL_CACHE: undefined },
      timeoutMs: 180_000,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-swarm-stdin-'));
    writeFileSync(join(dir, '.env'), 'GREETING=from-dotenv\n');
    writeFileSync(join(dir, 'motd.txt'), 'hello from stdin\n');
    client = await connectSwarm({ DOCKER_HOST: `unix://${MANAGER_SOCKET}` });
  });
  afterAll(async () => {
    await stdin(['down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('up -d, a no-op plan and down, each reading the file from stdin', async () => {
    const up = await stdin(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const [web] = await client.listServices({ name: [`${project}_web`] });
    const container = (web?.Spec['TaskTemplate'] as { ContainerSpec: { Env?: string[] } }).ContainerSpec;
    expect(container.Env).toContain('GREETING=from-dotenv');
    // motd.txt was read next to the working directory: the config's name carries its content hash.
    const configs = await client.listConfigs({ label: [`${NS}=${project}`] });
    const hash = createHash('sha256').update('hello from stdin\n').digest('hex').slice(0, 10);
    expect(configs.map((c) => c.Spec.Name)).toEqual([`${project}_motd_${hash}`]);

    const plan = await stdin(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    // Nothing stored for a file that is named anew each run.
    const models = join(dir, 'xdg/stack/models');
    expect(existsSync(models) ? readdirSync(models) : []).toEqual([]);

    const down = await stdin(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(await client.listServices({ label: [`${NS}=${project}`] })).toEqual([]);
    expect(await client.listConfigs({ label: [`${NS}=${project}`] })).toEqual([]);
    expect(await client.listNetworks({ label: [`${NS}=${project}`] })).toEqual([]);
  });
});
