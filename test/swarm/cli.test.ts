// The CLI on the swarm target: the same commands a local user runs (`up -d --wait`, `plan`,
// `ps`, `ls`, `down`), chosen by `--target swarm` or by `x-stack: {target: swarm}` in the
// file, against the manager of the 3-node test cluster; a non-manager engine is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runStack } from '../support/stack-cli.js';
import { uniqueName } from '../support/engine.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster } from './cluster.js';

const describe = await describeWithCluster();

describe('the CLI on the swarm target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-cli-'));
  const project = uniqueName('swcli');
  const manager = `unix://${MANAGER_SOCKET}`;
  const stack = (args: string[], dockerHost = manager) =>
    runStack(['-p', project, ...args], { cwd: dir, dockerHost, timeoutMs: 180_000 });
  afterAll(async () => {
    await stack(['--target', 'swarm', 'down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('x-stack target in the file: plan, up -d --wait, a no-op up, ps and ls, then down leaves nothing', async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'x-stack: { target: swarm }',
        'services:',
        '  web:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '    deploy:',
        '      replicas: 2',
        '      endpoint_mode: dnsrr',
        '',
      ].join('\n'),
    );
    const plan = await stack(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`create service ${project}_web`);
    expect(plan.stderr).not.toContain('UNSUPPORTED_KEY');

    const up = await stack(['up', '-d', '--wait']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Service ${project}_web  Created`);

    const again = await stack(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('up to date, nothing written');
    expect((await stack(['plan', '--detailed-exitcode'])).code).toBe(0);

    const ps = await stack(['ps', '--format', 'json']);
    const tasks = ps.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task: string; currentState: string });
    expect(tasks.map((t) => `${t.task} ${t.currentState}`).sort()).toEqual([
      `${project}_web.1 running`,
      `${project}_web.2 running`,
    ]);
    expect((await stack(['--target', 'swarm', 'ls'])).stdout).toMatch(new RegExp(`^${project}\\s+1$`, 'm'));

    const down = await stack(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect((await stack(['ps'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('--target swarm against an engine that is not a swarm manager exits 1 saying how to init or join', async () => {
    writeFileSync(join(dir, 'stack.yaml'), ['services:', '  web:', `    image: ${SWARM_IMAGE}`, ''].join('\n'));
    const run = await stack(['--target', 'swarm', 'up', '-d'], 'unix:///var/run/docker.sock');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/docker swarm init|join/);
  });

  it('an unknown target is a usage error (exit 2), nothing touched', async () => {
    const run = await stack(['--target', 'k8s', 'up', '-d']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown target "k8s"');
  });
});
