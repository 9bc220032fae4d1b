/**
 * Container names clash across projects (issue 20, item 13): project P with service `b-c` and
 * project `P-b` with service `c` both make `P-b-c-1`. The clash is found before anything is
 * written, names the other project, and never promises that "the next run converges".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { connectEngine } from '../../src/engine/client.js';
import { observe } from '../../src/engine/observe.js';
import { loadStack } from '../../src/loader/load.js';
import { planUp } from '../../src/planner/index.js';
import { nameClashError } from '../../src/planner/name-clash.js';
import { findNameClashes } from '../../src/pipeline/name-clash.js';
import { cleanup, containers, describeE2E, networks, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'stack-e2e-clash-'));
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory with a stack file of one sleeping service. */
function stackDir(name: string, service: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'stack.yaml'),
    `services:\n  ${service}:\n    image: stack-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n`,
  );
  return dir;
}

/** Project `a` runs service `b-c`; project `a-b` with service `c` wants the same container name. */
async function clashingProjects(): Promise<{ a: string; b: string; bDir: string; contested: string }> {
  const a = projectName('clash');
  const b = `${a}-b`;
  projects.push(a, b);
  const up = await runCli(['-p', a, 'up', '-d'], { cwd: stackDir(a, 'b-c') });
  expect(up.code, up.stderr).toBe(0);
  return { a, b, bDir: stackDir(b, 'c'), contested: `${a}-b-c-1` };
}

describe('container names clashing across projects', () => {
  it("the pipeline finds the other project's container by name, and the planner turns it into NAME_CONFLICT naming that project", async () => {
    const { a, b, bDir, contested } = await clashingProjects();
    const engine = await connectEngine({ env: process.env });
    const model = await loadStack({ cwd: bDir, env: {}, projectName: b });
    const observed = await observe(engine, model);
    const plan = planUp(model, observed);
    const clashes = await findNameClashes(engine, plan, observed);
    expect(clashes.map((c) => `${c.name} ${c.project ?? '-'} ${c.service ?? '-'}`)).toEqual([`${contested} ${a} b-c`]);
    const error = nameClashError(plan, clashes);
    expect(error?.code).toBe('NAME_CONFLICT');
    expect(error?.exitCode).toBe(1);
    expect(error?.message).toContain(`project "${a}"`);
    expect(error?.message).toContain(contested);
    // Nothing contested, nothing reported: the first project's own converged plan is clean.
    const own = await loadStack({ cwd: join(root, a), env: {}, projectName: a });
    const ownObserved = await observe(engine, own);
    expect(await findNameClashes(engine, planUp(own, ownObserved), ownObserved)).toEqual([]);
  }, 120_000);

  it('up -d exits 1 with NAME_CONFLICT before writing anything, and leaves the other project running', async () => {
    const { a, b, bDir, contested } = await clashingProjects();
    const before = containers(a);
    const up = await runCli(['-p', b, 'up', '-d'], { cwd: bDir });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain('NAME_CONFLICT');
    expect(up.stderr).toContain(`project "${a}"`);
    expect(up.stderr).toContain(contested);
    expect(up.stderr).not.toContain('next run converges');
    expect(containers(b)).toEqual([]);
    expect(networks(b)).toEqual([]);
    expect(containers(a)).toEqual(before);
  }, 120_000);
});
