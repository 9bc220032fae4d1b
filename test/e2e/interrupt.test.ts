/**
 * Interrupted and concurrent runs: after SIGINT or SIGKILL of `up` at several points, the
 * next `up` converges with no duplicates and no temp-named leftovers; two concurrent `up`s on
 * one project never interleave.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { cleanup, containers, describeE2E, docker, fixture, projectName, runCli, startCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('e2e-many');
const SERVICES = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
const projects: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const p of projects.splice(0)) cleanup(p);
});

function project(name: string): string {
  const p = projectName(name);
  projects.push(p);
  return p;
}

async function proxy(): Promise<EngineProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'stack-e2e-proxy-'));
  const started = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  cleanups.push(async () => {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return started;
}

/** Exactly one running container per service, canonically named, with REV=`rev`. */
function expectConverged(p: string, rev: string): void {
  const list = containers(p);
  expect(list.map((c) => c.name)).toEqual(SERVICES.map((s) => `${p}-${s}-1`));
  expect(list.every((c) => c.state === 'running')).toBe(true);
  for (const c of list)
    expect(docker(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', c.id])).toContain(`REV=${rev}`);
}

describe('interrupted runs converge', () => {
  for (const writeIndex of [3, 12]) {
    it(`SIGINT at engine write #${writeIndex}: exit 130, in-flight actions finish, the next up converges`, async () => {
      const p = project(`int${writeIndex}`);
      const engine = await proxy();
      const target: { child?: ChildProcess } = {};
      engine.setFaults([{ writeIndex, action: 'before', deliver: true, run: () => void target.child?.kill('SIGINT') }]);
      const run = startCli(['-p', p, 'up', '-d'], { cwd, env: { DOCKER_HOST: engine.dockerHost } });
      target.child = run.child;
      const result = await run.done;
      expect(result.code, result.stderr).toBe(130);
      const next = await runCli(['-p', p, 'up', '-d'], { cwd });
      expect(next.code, next.stderr).toBe(0);
      expectConverged(p, '1');
    });
  }

  for (const writeIndex of [2, 10]) {
    it(`SIGKILL at engine write #${writeIndex}: the next up converges with no duplicates`, async () => {
      const p = project(`kill${writeIndex}`);
      const engine = await proxy();
      const target: { child?: ChildProcess } = {};
      engine.setFaults([
        { writeIndex, action: 'after', deliver: false, run: () => void target.child?.kill('SIGKILL') },
      ]);
      const run = startCli(['-p', p, 'up', '-d'], { cwd, env: { DOCKER_HOST: engine.dockerHost } });
      target.child = run.child;
      const result = await run.done;
      expect(result.signal).toBe('SIGKILL');
      const next = await runCli(['-p', p, 'up', '-d'], { cwd });
      expect(next.code, next.stderr).toBe(0);
      expectConverged(p, '1');
    });
  }

  // 8 recreates at --parallel 8: writes 1-8 create temp-named replacements, then stops,
  // removes and renames follow; #4 leaves replacements beside the old containers, #20 leaves
  // some services with only a temp-named replacement.
  for (const writeIndex of [4, 20])
    it(`SIGKILL in the middle of a recreate (write #${writeIndex}): the next up finishes it, no temp-named leftovers`, async () => {
      const p = project(`killrec${writeIndex}`);
      expect((await runCli(['-p', p, 'up', '-d'], { cwd })).code).toBe(0);
      const engine = await proxy();
      const target: { child?: ChildProcess } = {};
      engine.setFaults([
        { writeIndex, action: 'after', deliver: false, run: () => void target.child?.kill('SIGKILL') },
      ]);
      const run = startCli(['-p', p, 'up', '-d'], { cwd, env: { DOCKER_HOST: engine.dockerHost, REV: '2' } });
      target.child = run.child;
      expect((await run.done).signal).toBe('SIGKILL');
      const next = await runCli(['-p', p, 'up', '-d'], { cwd, env: { REV: '2' } });
      expect(next.code, next.stderr).toBe(0);
      expectConverged(p, '2');
    });

  it('two concurrent `up`s on one project: no duplicates; both succeed or one names the lock holder', async () => {
    const p = project('concurrent');
    const a = startCli(['-p', p, 'up', '-d'], { cwd });
    const b = startCli(['-p', p, 'up', '-d'], { cwd });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) {
      if (r.code !== 0) expect(r.stderr).toMatch(/LOCK_HELD.*pid \d+/);
    }
    expect([ra.code, rb.code]).toContain(0);
    expect(ra.stderr + rb.stderr).toMatch(/waiting for lock held by pid \d+ \(stack up/);
    expectConverged(p, '1');
  });
});
