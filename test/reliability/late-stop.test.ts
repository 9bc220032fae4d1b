// A stop that outlives its run (issue 20 item 15): a run killed during `up --force-recreate`
// leaves its last stop request with the engine, which carries it out after the client died.
// The next `up` observed the dependency running, planned nothing for it, then saw it exit
// (code 0, our own graceful stop) and failed `service "db" exited with code 0`. A dependency
// that is stopped during a run without this run stopping it is observed and planned again
// (bounded), and a stop is never blamed on the service. The late stop is reproduced exactly:
// the fault proxy stops db on the engine (as the dead run's request would) just before this
// run's first write, after it observed db running.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { describeWithEngine, rawRequest, uniqueName } from '../support/engine.js';
import {
  cliBuilt,
  describeRun,
  randomPort,
  readProjectState,
  removeProjectsWithPrefix,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-latestop');

describeEngine('a stop carried out after its run died', () => {
  let dir: string;
  let proxy: EngineProxy;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-latestop-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [signal, expected] of [
    ['SIGTERM', 0],
    ['SIGKILL', 137],
  ] as const) {
    it(`the dependency stopped (${signal}, exit ${expected}) after the next up observed it: re-observed and started again, never blamed`, async () => {
      const project = `${PREFIX}-${expected}`;
      const env = { WEB_PORT: String(randomPort()) };
      const first = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: 120_000 });
      expect(first.code, describeRun(first)).toBe(0);
      // api must be created and started again by the next up (it waits for db to be healthy).
      await rawRequest({ method: 'DELETE', path: `/containers/${project}-api-1?force=1` });
      const db = `${project}-db-1`;
      proxy.setFaults([
        {
          route: 'POST /containers/create',
          action: 'before',
          deliver: true,
          run: async () => {
            // The dead run's stop, carried out now: SIGTERM (db traps it, exit 0) or a kill.
            const path = signal === 'SIGTERM' ? `/containers/${db}/stop?t=10` : `/containers/${db}/kill?signal=KILL`;
            await rawRequest({ method: 'POST', path });
            if (signal === 'SIGKILL') await rawRequest({ method: 'POST', path: `/containers/${db}/wait` });
          },
        },
      ]);
      const next = await runStack(stackArgs(project, ['up', '-d']), {
        env,
        dockerHost: proxy.dockerHost,
        timeoutMs: 120_000,
      });
      proxy.setFaults([]);
      const inspect = (await rawRequest({ path: `/containers/${db}/json` })).json as {
        State: { Running: boolean; ExitCode: number };
      };
      expect(next.stderr).not.toMatch(/exited with code/);
      expect(next.code, describeRun(next)).toBe(0);
      expect(inspect.State.Running, 'db is running again').toBe(true);
      const state = await readProjectState(project);
      expect(
        state.containers.every((c) => c.includes('state=running')),
        state.containers.join('\n'),
      ).toBe(true);
      expect(state.duplicates).toEqual([]);
      expect(state.leftovers).toEqual([]);
    });
  }

  // An exit 0 of its own cannot be told from a stop whose request the engine no longer reports:
  // db was running when the run observed it, so it is presumed stopped and started again once. A
  // crash (another exit code), or the same exit after this run started it again, is reported
  // (foreign-stop.test.ts).
  it("a dependency that ends on its own once with a stop's exit code (0) is started again, and the run converges", async () => {
    const project = `${PREFIX}-own`;
    const env = { WEB_PORT: String(randomPort()) };
    const first = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: 120_000 });
    expect(first.code, describeRun(first)).toBe(0);
    await rawRequest({ method: 'DELETE', path: `/containers/${project}-api-1?force=1` });
    const db = `${project}-db-1`;
    proxy.setFaults([
      {
        route: 'POST /containers/create',
        action: 'before',
        deliver: true,
        run: async () => {
          // db's own process ends (from inside: no stop or kill request reaches the engine).
          const exec = (
            await rawRequest({ method: 'POST', path: `/containers/${db}/exec`, body: { Cmd: ['kill', '-TERM', '1'] } })
          ).json as { Id: string };
          await rawRequest({ method: 'POST', path: `/exec/${exec.Id}/start`, body: { Detach: true } });
          await rawRequest({ method: 'POST', path: `/containers/${db}/wait` });
        },
      },
    ]);
    const next = await runStack(stackArgs(project, ['up', '-d']), {
      env,
      dockerHost: proxy.dockerHost,
      timeoutMs: 120_000,
    });
    proxy.setFaults([]);
    expect(next.code, describeRun(next)).toBe(0);
    expect(next.stderr.match(/dependency db was stopped during the run: observing again/g) ?? []).toHaveLength(1);
    const inspect = (await rawRequest({ path: `/containers/${db}/json` })).json as { State: { Running: boolean } };
    expect(inspect.State.Running, 'db is running again').toBe(true);
  });
});
