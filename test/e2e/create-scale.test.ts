/**
 * `create` (= up --no-start) leaves containers created and not running; `scale SERVICE=N`
 * sets the replica count of the named services. fixtures/compose-env (COMPOSE_FILE from .env).
 */
import { afterAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('compose-env');
const p = projectName('crscale');
const stack = (...args: string[]) => runCli(['-p', p, ...args], { cwd });

describe('create and scale', () => {
  afterAll(() => cleanup(p));

  it('create makes the containers without starting them', async () => {
    const result = await stack('create');
    expect(result.code, result.stderr).toBe(0);
    expect(containers(p).map((c) => [c.service, c.state])).toEqual([
      ['app', 'created'],
      ['extra', 'created'],
    ]);
  });

  it('scale app=3 runs three replicas of app and leaves extra alone; scale app=1 removes the surplus', async () => {
    const up = await stack('scale', 'app=3');
    expect(up.code, up.stderr).toBe(0);
    expect(
      containers(p)
        .filter((c) => c.service === 'app')
        .map((c) => c.state),
    ).toEqual(['running', 'running', 'running']);
    expect(containers(p).find((c) => c.service === 'extra')?.state).toBe('created');
    expect((await stack('scale', 'app=1')).code).toBe(0);
    expect(containers(p).filter((c) => c.service === 'app')).toHaveLength(1);
    expect((await stack('scale', 'app')).code).toBe(2);
  });
});
