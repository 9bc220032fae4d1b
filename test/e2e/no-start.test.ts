/**
 * `up --no-start` is idempotent (issue 20, item 4): a created, never-started container is
 * listed with NetworkID "" by Engine 20.10, which once read as "diverged: networks" and
 * recreated it on every run.
 */
import { expect, it } from 'vitest';
import { containers, describeE2E, fixture, projects, runCli } from './helpers.js';

const describe = await describeE2E();
const project = projects();

describe('up --no-start', () => {
  it('a second up --no-start changes nothing, and a later up -d starts the same containers', async () => {
    const p = project('nostart');
    const cwd = fixture('e2e-basic');
    const first = await runCli(['-p', p, 'up', '--no-start'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const created = containers(p);
    expect(created.map((c) => `${c.service} ${c.state}`)).toEqual(['web created', 'worker created']);

    const second = await runCli(['-p', p, 'up', '--no-start'], { cwd });
    expect(second.code, second.stderr).toBe(0);
    expect(containers(p)).toEqual(created);

    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(containers(p).map((c) => `${c.id} ${c.state}`)).toEqual(created.map((c) => `${c.id} running`));
  }, 120_000);
});
