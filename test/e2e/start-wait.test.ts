/**
 * `start --wait` returns only once the started services are healthy (fixtures/e2e-attached:
 * sleeper has a health check with a 1 s interval).
 */
import { afterAll, expect, it } from 'vitest';
import { cleanup, describeE2E, docker, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('e2e-attached');
const p = projectName('startwait');
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd });

describe('start --wait', () => {
  afterAll(() => cleanup(p));

  it('start --wait exits 0 with the service healthy', async () => {
    expect((await stack('up', '-d', 'sleeper')).code).toBe(0);
    expect((await stack('stop', 'sleeper')).code).toBe(0);
    const started = await stack('start', '--wait', '--wait-timeout', '60', 'sleeper');
    expect(started.code, started.stderr).toBe(0);
    expect(docker(['inspect', '--format', '{{.State.Health.Status}}', `${p}-sleeper-1`])).toBe('healthy');
  });
});
