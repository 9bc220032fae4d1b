// `ps` and `ls` flags on the swarm target mean for tasks and stacks what they mean locally for
// containers and projects (as `docker stack ps` / `docker stack ls`), or are refused with a
// usage error: a Compose user's flag is never silently ignored. One stack on the cluster: a
// service of 2 running replicas and a one-shot service whose task completes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStack } from '../support/stack-cli.js';
import { rawRequest, uniqueName } from '../support/engine.js';
import { MANAGER_SOCKET, SWARM_IMAGE, describeWithCluster, eventually } from './cluster.js';

const describe = await describeWithCluster();

describe('ps and ls flags on the swarm target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-flags-'));
  const project = uniqueName('swflags');
  const stack = (args: string[]) =>
    runStack(['-p', project, '--target', 'swarm', ...args], {
      cwd: dir,
      dockerHost: `unix://${MANAGER_SOCKET}`,
      timeoutMs: 180_000,
    });
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  /** The stack's tasks as the manager lists them: ID and current state. */
  const tasks = async () => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.stack.namespace=${project}`] }));
    const reply = await rawRequest({ socketPath: MANAGER_SOCKET, path: `/v1.41/tasks?filters=${filters}` });
    return (reply.json as { ID: string; Status: { State: string } }[]).map((t) => ({
      id: t.ID,
      state: t.Status.State,
    }));
  };

  beforeAll(async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  web:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '    deploy: { replicas: 2, endpoint_mode: dnsrr }',
        '  once:',
        `    image: ${SWARM_IMAGE}`,
        '    command: ["true"]',
        '    deploy: { endpoint_mode: dnsrr, restart_policy: { condition: none } }',
        '',
      ].join('\n'),
    );
    const up = await stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const settled = async () => {
      const states = (await tasks()).map((t) => t.state).sort();
      return states.join(',') === 'complete,running,running';
    };
    expect(await eventually(settled, 90_000)).toBe(true);
  }, 240_000);
  afterAll(async () => {
    await stack(['down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ps -q prints the task IDs (12 characters, --no-trunc in full), --status filters by current state, --services the keys', async () => {
    const running = (await tasks()).filter((t) => t.state === 'running').map((t) => t.id);
    const full = await stack(['ps', '-q', '--no-trunc', '--status', 'running']);
    expect(full.code, full.stderr).toBe(0);
    expect(lines(full.stdout).sort()).toEqual([...running].sort());
    const short = await stack(['ps', '-q', '--status', 'running']);
    expect(lines(short.stdout).sort()).toEqual(running.map((id) => id.slice(0, 12)).sort());

    const complete = await stack(['ps', '--status', 'complete', '--format', 'json']);
    expect(complete.code, complete.stderr).toBe(0);
    expect(lines(complete.stdout).map((l) => (JSON.parse(l) as { service: string }).service)).toEqual([
      `${project}_once`,
    ]);
    const filtered = await stack(['ps', '--services', '--filter', 'status=running']);
    expect(filtered.stdout).toBe('web\n');
  });

  it('ps --no-orphans leaves out the services the file no longer declares; by default they are listed', async () => {
    writeFileSync(join(dir, 'only-web.yaml'), ['services:', '  web:', `    image: ${SWARM_IMAGE}`, ''].join('\n'));
    const withOrphans = await stack(['-f', 'only-web.yaml', 'ps', '-a', '--services']);
    expect(withOrphans.code, withOrphans.stderr).toBe(0);
    expect(lines(withOrphans.stdout).sort()).toEqual(['once', 'web']);
    const declared = await stack(['-f', 'only-web.yaml', 'ps', '-a', '--services', '--no-orphans']);
    expect(declared.stdout).toBe('web\n');
  });

  it('ps --format takes a template over the task fields, `table` with docker stack ps headers', async () => {
    const plain = await stack(['ps', '--status', 'running', '--format', '{{.Name}} {{.CurrentState}}', 'web']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(lines(plain.stdout).sort()).toEqual([`${project}_web.1 running`, `${project}_web.2 running`]);
    const table = await stack(['ps', '--format', 'table {{.Name}}\\t{{.DesiredState}}\\t{{.Image}}', 'web']);
    expect(table.code, table.stderr).toBe(0);
    expect(lines(table.stdout)[0]).toMatch(/^NAME\s+DESIRED STATE\s+IMAGE$/);
    expect(lines(table.stdout)[1]).toContain(SWARM_IMAGE);
  });

  it('ps refuses, with a usage error, a state Swarm tasks do not have and a filter it does not know', async () => {
    const state = await stack(['ps', '--status', 'exited']);
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('invalid status "exited"');
    expect(state.stderr).toContain('complete');
    const filter = await stack(['ps', '--filter', 'desired-state=running']);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toContain('unknown filter desired-state');
  });

  it('ls -q and --filter name= list only the matching stacks', async () => {
    const own = await stack(['ls', '-q', '--filter', `name=${project}`]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toBe(`${project}\n`);
    const pattern = await stack(['ls', '--format', 'json', '--filter', `name=^${project.slice(0, -2)}`]);
    expect(JSON.parse(pattern.stdout)).toEqual([{ Name: project, Services: 2 }]);
    const none = await stack(['ls', '-q', '--filter', 'name=^no-such-stack$']);
    expect(none.stdout).toBe('');
    const refused = await stack(['ls', '--filter', 'label=x']);
    expect(refused.code).toBe(2);
  });
});
