/**
 * `up` against the real engine: idempotence (zero writes), targeted recreate keeping volume
 * data, and a port conflict that names the service and converges once freed.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import {
  cleanup,
  containerEvents,
  containers,
  describeE2E,
  docker,
  fixture,
  now,
  projectName,
  runCli,
} from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
const project = (name: string): string => {
  const p = projectName(name);
  projects.push(p);
  return p;
};
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});

const WRITE_EVENTS = new Set(['create', 'start', 'die', 'destroy', 'kill', 'stop', 'rename', 'restart', 'update']);

describe('up', () => {
  it('a second `up -d` makes zero engine writes and changes no container ID', async () => {
    const p = project('idem');
    const cwd = fixture('e2e-basic');
    const first = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const before = containers(p);
    expect(before.map((c) => [c.service, c.state])).toEqual([
      ['web', 'running'],
      ['worker', 'running'],
    ]);

    const dir = mkdtempSync(join(tmpdir(), 'stack-e2e-proxy-'));
    const proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
    try {
      const t0 = now();
      const second = await runCli(['-p', p, 'up', '-d'], { cwd, env: { DOCKER_HOST: proxy.dockerHost } });
      const t1 = now();
      expect(second.code, second.stderr).toBe(0);
      expect(proxy.counts.writes, JSON.stringify(proxy.counts.byRoute)).toBe(0);
      // One observation serves images and plan, and the label finds every network and volume,
      // so nothing is listed twice or by name; the API version comes from /_ping, not /version.
      expect(proxy.counts.byRoute).toEqual({
        'GET /_ping': 1,
        'GET /containers/json': 1,
        'GET /networks': 1,
        'GET /volumes': 1,
        'GET /images/json': 1,
      });
      expect(containerEvents(p, t0, t1 + 1).filter((e) => WRITE_EVENTS.has(e.action))).toEqual([]);
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(containers(p).map((c) => c.id)).toEqual(before.map((c) => c.id));
  });

  it("changing one service's environment recreates exactly that container; its named and anonymous volume data survive", async () => {
    const p = project('recreate');
    const cwd = fixture('e2e-basic');
    expect((await runCli(['-p', p, 'up', '-d'], { cwd })).code).toBe(0);
    const before = containers(p);
    const web = before.find((c) => c.service === 'web')!;
    docker(['exec', web.id, 'sh', '-c', 'echo named > /data/sentinel && echo anon > /anon/sentinel']);

    const result = await runCli(['-p', p, 'up', '-d'], { cwd, env: { GREETING: 'changed' } });
    expect(result.code, result.stderr).toBe(0);
    const after = containers(p);
    expect(after.map((c) => c.name)).toEqual(before.map((c) => c.name));
    const newWeb = after.find((c) => c.service === 'web')!;
    expect(newWeb.id).not.toBe(web.id);
    expect(newWeb.state).toBe('running');
    expect(after.find((c) => c.service === 'worker')!.id).toBe(before.find((c) => c.service === 'worker')!.id);
    expect(docker(['exec', newWeb.id, 'cat', '/data/sentinel', '/anon/sentinel'])).toBe('named\nanon');
    expect(docker(['exec', newWeb.id, 'sh', '-c', 'echo $GREETING'])).toBe('changed');
    // the value of an environment variable never appears in output
    expect(result.stdout + result.stderr).not.toContain('changed');
  });

  it('removing an environment variable and a label from the file is a recreate whose reason names both, never a value', async () => {
    const p = project('envdrop');
    const dir = mkdtempSync(join(tmpdir(), 'stack-e2e-envdrop-'));
    const file = join(dir, 'stack.yaml');
    const write = (env: string, label: string): void =>
      writeFileSync(
        file,
        `services:\n  web:\n    image: stack-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    labels:\n      keep.me: "1"\n${label}    environment:\n      KEEP: kept-value\n${env}`,
      );
    try {
      write('      DROP_ME: dropped-value\n', '      drop.me: "1"\n');
      expect((await runCli(['-p', p, 'up', '-d'], { cwd: dir })).code).toBe(0);
      write('', '');
      const plan = await runCli(['-p', p, 'plan'], { cwd: dir });
      expect(plan.code, plan.stderr).toBe(0);
      // The engine merges the image's own variables (PATH) and labels into the container's:
      // only the image inspect tells them apart from ones the file dropped.
      expect(plan.stdout).toMatch(/diverged: environment\.DROP_ME, labels\.drop\.me\)/);
      expect(plan.stdout).not.toMatch(/PATH|dropped-value|kept-value/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("up -d right after stop starts the containers again; the stop's own exit (137) is not blamed on the new start", async () => {
    const p = project('afterstop');
    const cwd = fixture('e2e-basic');
    expect((await runCli(['-p', p, 'up', '-d'], { cwd })).code).toBe(0);
    // worker stops with SIGKILL: exit code 137, a die event just before the next run
    expect((await runCli(['-p', p, 'stop'], { cwd })).code).toBe(0);
    const again = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(containers(p).map((c) => [c.service, c.state])).toEqual([
      ['web', 'running'],
      ['worker', 'running'],
    ]);
  });

  it('a port conflict names the service, leaves the others running, and the next `up` converges once the port is free', async () => {
    const p = project('ports');
    const cwd = fixture('e2e-ports');
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const env = { WEB_PORT: String(port) };
    try {
      const failed = await runCli(['-p', p, 'up', '-d'], { cwd, env });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/service:web/);
      expect(failed.stderr).toMatch(/address already in use|port is already allocated/);
      const other = containers(p).find((c) => c.service === 'other')!;
      expect(other.state).toBe('running');
      await new Promise<void>((resolve) => blocker.close(() => resolve()));

      const again = await runCli(['-p', p, 'up', '-d'], { cwd, env });
      expect(again.code, again.stderr).toBe(0);
      const after = containers(p);
      expect(after.map((c) => [c.service, c.state])).toEqual([
        ['other', 'running'],
        ['web', 'running'],
      ]);
      expect(after.find((c) => c.service === 'other')!.id).toBe(other.id);
    } finally {
      if (blocker.listening) blocker.close();
    }
  });

  it('a service whose command cannot start is named with its exit code; the others run', async () => {
    const p = project('crash');
    const result = await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-crash') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/service:nocmd:1: .*does-not-exist.*\(exit code 127\)/);
    expect(containers(p).find((c) => c.service === 'ok')?.state).toBe('running');
  });

  it('with --wait, a service that exits at once is named with its exit code and last log lines', async () => {
    const p = project('exits');
    const result = await runCli(['-p', p, 'up', '-d', '--wait', 'bad'], { cwd: fixture('e2e-crash') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/service "bad" exited with code 3|service:bad:1: .* exited with code 3/);
    expect(result.stderr).toMatch(/cannot open config/);
  });
});
