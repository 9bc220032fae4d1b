// Races on one project: 2 and 5 concurrent `up -d`s, and `up` racing `down`. Runs on one
// project are serialized by the project lock: no duplicates, every run exits cleanly (a waiter
// waits, it does not fail), and the project converges afterwards.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithEngine, uniqueName } from '../support/engine.js';
import {
  cliBuilt,
  describeRun,
  randomPort,
  readProjectState,
  removeProjectDirect,
  removeProjectsWithPrefix,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';
import type { ProjectState } from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-race');
const RUN_TIMEOUT = 180_000;

describeEngine('races on one project', () => {
  let reference: ProjectState;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    const project = `${PREFIX}-ref`;
    const up = await runStack(stackArgs(project, ['up', '-d']), {
      env: { WEB_PORT: String(randomPort()) },
      timeoutMs: RUN_TIMEOUT,
    });
    expect(up.code, describeRun(up)).toBe(0);
    reference = await readProjectState(project);
    await removeProjectDirect(project);
  }, 200_000);

  afterAll(async () => {
    await removeProjectsWithPrefix(PREFIX);
  });

  async function expectConverged(project: string, env: Record<string, string>): Promise<void> {
    const state = await readProjectState(project);
    expect(state.duplicates, 'duplicate containers').toEqual([]);
    expect(state.leftovers, 'temp-named leftovers').toEqual([]);
    expect(state.containers).toEqual(reference.containers);
    expect(state.networks).toEqual(reference.networks);
    expect(state.volumes).toEqual(reference.volumes);
    const plan = await runStack(stackArgs(project, ['plan', '--detailed-exitcode']), { env, timeoutMs: RUN_TIMEOUT });
    expect(plan.code, describeRun(plan)).toBe(0);
  }

  for (const count of [2, 5]) {
    it(`${count} concurrent up -d on one project: every run succeeds, no duplicates, converged`, async () => {
      const project = `${PREFIX}-c${count}`;
      const env = { WEB_PORT: String(randomPort()) };
      try {
        const runs = await Promise.all(
          Array.from({ length: count }, () =>
            runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT }),
          ),
        );
        for (const run of runs) expect(run.code, describeRun(run)).toBe(0);
        // All start together and a first up takes seconds: the others wait on the lock, and
        // each that waited names the holder's pid.
        const waited = runs.filter((r) => /lock/i.test(r.stderr + r.stdout));
        expect(waited.length, runs.map(describeRun).join('\n')).toBeGreaterThanOrEqual(1);
        for (const run of waited) expect(run.stderr + run.stdout).toMatch(/lock held by pid \d+/);
        await expectConverged(project, env);
      } finally {
        await removeProjectDirect(project);
      }
    }, 400_000);
  }

  it('up racing down: both finish cleanly, the project ends fully up or fully down, and up converges', async () => {
    const project = `${PREFIX}-ud`;
    const env = { WEB_PORT: String(randomPort()) };
    try {
      const up = runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
      await new Promise((r) => setTimeout(r, 400));
      const down = runStack(stackArgs(project, ['down', '-v']), { env, timeoutMs: RUN_TIMEOUT });
      const [upRun, downRun] = await Promise.all([up, down]);
      expect(upRun.code, describeRun(upRun)).toBe(0);
      expect(downRun.code, describeRun(downRun)).toBe(0);
      const state = await readProjectState(project);
      expect(state.duplicates).toEqual([]);
      const empty = state.containers.length === 0 && state.networks.length === 0;
      const full = JSON.stringify(state.containers) === JSON.stringify(reference.containers);
      expect(
        empty || full,
        `partial state after up/down race:\n${state.containers.join('\n')}\nnetworks ${state.networks}`,
      ).toBe(true);
      const again = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
      expect(again.code, describeRun(again)).toBe(0);
      await expectConverged(project, env);
    } finally {
      await removeProjectDirect(project);
    }
  }, 400_000);
});
