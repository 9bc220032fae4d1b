/**
 * depends_on conditions against the real engine: order by engine timestamps, and a failing
 * dependency stopping its dependents with a clear error.
 */
import { expect, it } from 'vitest';
import { containers, describeE2E, fixture, inspect, projects, runCli } from './helpers.js';

const describe = await describeE2E();
const project = projects();

interface State {
  State: {
    Status: string;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Log: { End: string; ExitCode: number }[] };
  };
}

describe('depends_on', () => {
  it('app starts only after db is healthy and migrate completed successfully', async () => {
    const p = project('deps');
    const result = await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-deps') });
    expect(result.code, result.stderr).toBe(0);
    const app = inspect<State>(`${p}-app-1`);
    const db = inspect<State>(`${p}-db-1`);
    const migrate = inspect<State>(`${p}-migrate-1`);
    expect(app.State.Status).toBe('running');
    expect(migrate.State.ExitCode).toBe(0);
    const appStarted = Date.parse(app.State.StartedAt);
    // db's first passing health check ended before app started
    const firstHealthy = db.State.Health!.Log.find((l) => l.ExitCode === 0)!;
    expect(Date.parse(firstHealthy.End)).toBeLessThanOrEqual(appStarted);
    expect(Date.parse(migrate.State.FinishedAt)).toBeLessThanOrEqual(appStarted);
  });

  it('a dependency that exits non-zero fails its dependents with its exit code and last log lines', async () => {
    const p = project('depfail');
    const result = await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-deps'), env: { MIGRATE_EXIT: '3' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/service "migrate" exited with code 3/);
    expect(result.stderr).toMatch(/migration done with 3/);
    const app = containers(p).find((c) => c.service === 'app');
    expect(app === undefined || app.state !== 'running').toBe(true);
    // db (independent of migrate) is up
    expect(containers(p).find((c) => c.service === 'db')?.state).toBe('running');
  });
});
