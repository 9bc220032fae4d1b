// Daemon restarts, on a PRIVATE dockerd that scripts/reliability-sweep.sh starts (its own
// data-root, exec-root and socket), so restarting it disturbs no one else on the machine.
// Runs only when REL_DOCKERD_RESTART (the command that restarts that daemon) is set, and
// STACK_TEST_ENGINE_SOCKET points at its socket; never in CI.
//
// - named-volume data survives a daemon restart (data safety 7/7);
// - dockerd restarted during `up`: no hang, a clear error (or success), the next `up` converges.
import { execSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describe } from 'vitest';
import { ENGINE_SOCKET, engineAnswers, uniqueName } from '../support/engine.js';
import { eventually } from '../support/eventually.js';
import {
  cliBuilt,
  describeRun,
  randomPort,
  readProjectState,
  removeProjectsWithPrefix,
  runOnVolume,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';

const RESTART = process.env['REL_DOCKERD_RESTART'];
const PREFIX = uniqueName('rel-daemon');
const RUN_TIMEOUT = 180_000;

function restartDaemon(): void {
  execSync(RESTART!, { stdio: 'inherit', timeout: 120_000 });
}

describe.runIf(Boolean(RESTART))('daemon restart (private dockerd)', () => {
  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built').toBe(true);
    expect(ENGINE_SOCKET, 'STACK_TEST_ENGINE_SOCKET must point at the private daemon').not.toBe('/var/run/docker.sock');
    expect(await engineAnswers()).toBe(true);
  });
  afterAll(async () => {
    await removeProjectsWithPrefix(PREFIX);
  });

  it('named-volume data survives a daemon restart, and up converges after it', async () => {
    const project = `${PREFIX}-data`;
    const env = { WEB_PORT: String(randomPort()) };
    const up = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
    expect(up.code, describeRun(up)).toBe(0);
    await runOnVolume(`${project}_dbdata`, 'echo sentinel-restart > /data/sentinel');
    restartDaemon();
    expect(await eventually(() => engineAnswers(), 60_000, 500)).toBe(true);
    const again = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
    expect(again.code, describeRun(again)).toBe(0);
    expect((await runOnVolume(`${project}_dbdata`, 'cat /data/sentinel')).trim()).toBe('sentinel-restart');
    const state = await readProjectState(project);
    expect(state.duplicates).toEqual([]);
    expect(state.containers.every((c) => c.includes('state=running'))).toBe(true);
    const plan = await runStack(stackArgs(project, ['plan', '--detailed-exitcode']), { env, timeoutMs: RUN_TIMEOUT });
    expect(plan.code, describeRun(plan)).toBe(0);
  }, 400_000);

  for (const delayMs of [300, 1200]) {
    it(`dockerd restarted ${delayMs} ms into an up: the run ends without hanging and the next up converges`, async () => {
      const project = `${PREFIX}-mid${delayMs}`;
      const env = { WEB_PORT: String(randomPort()), REL_GEN: '1' };
      const running = runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
      await new Promise((r) => setTimeout(r, delayMs));
      restartDaemon();
      const first = await running;
      expect(first.stderr, 'the interrupted run must not hang').not.toContain('[test harness] killed');
      if (first.code !== 0) {
        expect(first.code, describeRun(first)).toBe(1);
        expect(first.stderr).not.toMatch(/this is a bug/i);
      }
      expect(await eventually(() => engineAnswers(), 60_000, 500)).toBe(true);
      const again = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
      expect(again.code, describeRun(again)).toBe(0);
      const state = await readProjectState(project);
      expect(state.duplicates).toEqual([]);
      expect(state.leftovers).toEqual([]);
      expect(state.containers.length).toBe(5);
      const plan = await runStack(stackArgs(project, ['plan', '--detailed-exitcode']), { env, timeoutMs: RUN_TIMEOUT });
      expect(plan.code, describeRun(plan)).toBe(0);
    }, 400_000);
  }
});
