/**
 * The progress a user reads from `up -d` in CI (plain mode, as when piped), against the engine:
 * a recreate is one `Recreated` line under the container's own name (no temporary name), a
 * start that waits says what for, and a no-op `up -d` lists what is running (as Compose).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeE2E, fixture, projects, runCli } from './helpers.js';

const describe = await describeE2E();
const project = projects();

describe('up -d progress lines', () => {
  it('no-op: one Running line per container; a change: one Recreated line, no temporary name', async () => {
    const p = project('lines');
    const cwd = fixture('e2e-basic');
    const first = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(first.code, first.stderr).toBe(0);

    const noop = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stderr.trimEnd().split('\n')).toEqual([
      ` ✔ Container ${p}-web-1  Running`,
      ` ✔ Container ${p}-worker-1  Running`,
    ]);

    const changed = await runCli(['-p', p, 'up', '-d'], { cwd, env: { GREETING: 'changed' } });
    expect(changed.code, changed.stderr).toBe(0);
    const lines = changed.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes(`Container ${p}-web-1 `))).toEqual([
      expect.stringMatching(new RegExp(`^ ✔ Container ${p}-web-1  Recreated  \\d+\\.\\ds$`)),
      expect.stringMatching(new RegExp(`^ ✔ Container ${p}-web-1  Started  \\d+\\.\\ds$`)),
    ]);
    expect(lines).toContain(` ✔ Container ${p}-worker-1  Running`);
    expect(changed.stderr).not.toMatch(new RegExp(`[0-9a-f]{12}_${p}-web-1`));
  }, 120_000);

  it('a start held by depends_on conditions says what it waits for', async () => {
    const p = project('waitline');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd: fixture('e2e-deps') });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(` - Container ${p}-app-1  Waiting for db (healthy), migrate (completed)\n`);
    // The wait comes before the start it holds.
    expect(up.stderr.indexOf('Waiting for db')).toBeLessThan(up.stderr.indexOf(`Container ${p}-app-1  Started`));
  }, 120_000);

  it('an unhealthy dependency fails the run with its last health-check output', async () => {
    const p = project('unhealthy');
    const cwd = mkdtempSync(join(tmpdir(), 'stack-unhealthy-'));
    writeFileSync(
      join(cwd, 'stack.yaml'),
      [
        'services:',
        '  db:',
        '    image: stack-test/busybox:latest',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '    healthcheck:',
        '      test: ["CMD-SHELL", "echo db-not-ready-yet; exit 1"]',
        '      interval: 1s',
        '      retries: 1',
        '  app:',
        '    image: stack-test/busybox:latest',
        '    command: ["sleep", "3600"]',
        '    depends_on: {db: {condition: service_healthy}}',
        '',
      ].join('\n'),
    );
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    rmSync(cwd, { recursive: true, force: true });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain(`service "db" is unhealthy (container ${p}-db-1)`);
    expect(up.stderr).toContain('last health check (exit 1): db-not-ready-yet');
  }, 120_000);
});
