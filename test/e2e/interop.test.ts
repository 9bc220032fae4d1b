/**
 * Interop with Docker Compose (1.29, the Debian package): a project brought up by
 * `docker-compose` in the same folder is taken over by `stack up` without name conflicts and
 * `stack down` cleans it; and the reverse: `docker-compose down` removes what `stack up` made
 * (both use Compose's ownership labels). State is read from the engine.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { containers, describeE2E, fixture, networks, projects, runCli, volumes } from './helpers.js';

const describe = await describeE2E();
const project = projects();

function hasCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** docker-compose in the fixture folder; throws with its output when it fails. */
function compose(cwd: string, project: string, args: readonly string[]): void {
  execFileSync('docker-compose', ['-p', project, '-f', 'stack.yaml', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });
}

// docker-compose is part of what .ci/run installs; in CI its absence is a failure, not a skip.
const required = process.env['STACK_E2E_REQUIRED'] === '1';

describe.runIf(required || hasCompose())('interop with docker-compose 1.29', () => {
  it('stack up takes over a project started by docker-compose (no name conflict, one container per service) and stack down cleans it', async () => {
    const p = project('interop-take');
    const cwd = fixture('e2e-basic');
    compose(cwd, p, ['up', '-d']);
    const byCompose = containers(p);
    expect(byCompose.map((c) => `${c.name}:${c.state}`)).toEqual([`${p}_web_1:running`, `${p}_worker_1:running`]);

    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    const taken = containers(p);
    expect(taken.map((c) => `${c.service}:${c.state}`)).toEqual(['web:running', 'worker:running']);
    // Converged: a second run has nothing to do.
    expect((await runCli(['-p', p, 'plan', '--detailed-exitcode'], { cwd })).code).toBe(0);

    const down = await runCli(['-p', p, 'down'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    expect(containers(p)).toEqual([]);
    expect(networks(p)).toEqual([]);
    // The named volume docker-compose created is kept (down without -v).
    expect(volumes(p)).toEqual([`${p}_data`]);
  });

  it('docker-compose down removes what stack up created', async () => {
    const p = project('interop-back');
    const cwd = fixture('e2e-basic');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(containers(p)).toHaveLength(2);
    compose(cwd, p, ['down']);
    expect(containers(p)).toEqual([]);
    expect(networks(p)).toEqual([]);
  });
});
