/**
 * Project names on a real engine (issue 20, items 1-2): a typed name that is not valid never
 * reaches the engine, so `-p RSV down` cannot quietly miss the running project `rsv`; two
 * directories whose names normalize to one project are named in a note by `up` and `down`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, fixture, projectName, runCli, volumes } from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'stack-e2e-pname-'));
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('project names', () => {
  it('-p in capitals without a stack file exits 2 naming the lowercase project, and leaves that running project alone', async () => {
    const p = projectName('rsv');
    projects.push(p);
    expect((await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-basic') })).code).toBe(0);
    const before = containers(p);
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });

    const down = await runCli(['-p', p.toUpperCase(), 'down'], { cwd: empty });
    expect(down.code, down.stderr).toBe(2);
    expect(down.stderr).toContain(`invalid project name "${p.toUpperCase()}"`);
    expect(down.stderr).toContain(`-p ${p}`);
    expect(containers(p)).toEqual(before);
  }, 120_000);

  it('up and down in a second directory that makes the same project name both directories', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const project = `e2edup-${suffix}`;
    projects.push(project);
    const first = join(root, `e2e.dup-${suffix}`);
    const second = join(root, `e2edup-${suffix}`);
    for (const dir of [first, second]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'stack.yaml'),
        'services:\n  app:\n    image: stack-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    volumes: [data:/data]\nvolumes:\n  data: {}\n',
      );
    }
    const up1 = await runCli(['up', '-d'], { cwd: first });
    expect(up1.code, up1.stderr).toBe(0);
    expect(up1.stderr).not.toContain('another directory');
    expect(volumes(project)).toEqual([`${project}_data`]);

    const up2 = await runCli(['up', '-d'], { cwd: second });
    expect(up2.code, up2.stderr).toBe(0);
    const warned = up2.stderr.split('\n').filter((l) => l.includes('another directory'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(first);
    expect(warned[0]).toContain(second);

    // The containers were made from the first directory: a down -v from the second removes
    // their volume too, and says whose it was.
    const down = await runCli(['down', '-v'], { cwd: second });
    expect(down.code, down.stderr).toBe(0);
    expect(volumes(project)).toEqual([]);
    expect(down.stderr.split('\n').filter((l) => l.includes('another directory') && l.includes(first))).toHaveLength(1);
  }, 120_000);
});
