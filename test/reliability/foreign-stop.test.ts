// Stops this run did not make (issue 20 item 15, the residual): a stop that an earlier run of
// stack, a killed `stack stop` or another client left with the engine lands while `up` runs. It
// is never blamed on the service: the dependency is observed and planned again (bounded), and so
// is a container the run left running. A crash is still reported at once, and a dependency that
// exits on its own again after this run started it again is reported.
//
// The stop lands at a chosen moment: the fault proxy holds `up`'s first container create until
// the dependency has exited (POST /containers/{id}/wait), then fills the engine's event history
// (a ring of 256 events on Engine 20.10; a busy engine's health checks fill it in seconds) so
// that the history no longer shows the stop, then lets the create through. The run then waits
// for the dependency to be healthy and finds it exited. The three origins of the stop are the
// three cases the lease's wait did not cover: a killed `stack stop` (it takes no lease), a run
// with STACK_LOCK_LEASE=0, and a stop the engine carries out later than the dead holder's lease
// said.
import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { describeWithEngine, rawRequest, uniqueName } from '../support/engine.js';
import {
  ROOT,
  cliBuilt,
  describeRun,
  readProjectState,
  removeProjectsWithPrefix,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';
import type { StackRun } from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-fstop');
const FIXTURE = join(ROOT, 'fixtures/reliability/stop-race.yaml');
const RUN_TIMEOUT = 120_000;

/** 300 volume events (150 creates and removes, 8 at a time): the engine's history of 256 rolls over. */
async function fillEventHistory(): Promise<void> {
  const names = Array.from({ length: 150 }, (_, i) => `${PREFIX}-flood-${i}`);
  for (let i = 0; i < names.length; i += 8) {
    const batch = names.slice(i, i + 8);
    await Promise.all(
      batch.map((name) =>
        rawRequest({
          method: 'POST',
          path: '/volumes/create',
          body: { Name: name, Labels: { 'com.docker.compose.project': `${PREFIX}-flood` } },
        }),
      ),
    );
    await Promise.all(batch.map((name) => rawRequest({ method: 'DELETE', path: `/volumes/${name}` })));
  }
}

/** Runs `args` of the fixture's project through the proxy; `up`'s first create waits for db to have exited. */
async function upWhileDbStops(
  proxy: EngineProxy,
  project: string,
  env: Record<string, string> = {},
): Promise<StackRun> {
  const db = `${project}-db-1`;
  proxy.setFaults([
    {
      route: 'POST /containers/create',
      action: 'before',
      deliver: true,
      run: async () => {
        await rawRequest({ method: 'POST', path: `/containers/${db}/wait`, timeoutMs: 60_000 });
        await fillEventHistory();
      },
    },
  ]);
  try {
    return await runStack(stackArgs(project, ['up', '-d'], FIXTURE), {
      env,
      dockerHost: proxy.dockerHost,
      timeoutMs: RUN_TIMEOUT,
    });
  } finally {
    proxy.setFaults([]);
  }
}

async function inspectState(container: string): Promise<{ Running: boolean; ExitCode: number }> {
  return (
    (await rawRequest({ path: `/containers/${container}/json` })).json as {
      State: { Running: boolean; ExitCode: number };
    }
  ).State;
}

/** `up -d` of a new project, then api removed: the next `up` creates and starts it, waiting for db. */
async function upThenRemoveApi(project: string): Promise<void> {
  const first = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), { timeoutMs: RUN_TIMEOUT });
  expect(first.code, describeRun(first)).toBe(0);
  await rawRequest({ method: 'DELETE', path: `/containers/${project}-api-1?force=1` });
}

/** Converged: exit 0, nothing blamed, the stop seen (planned again), every container running. */
async function expectConverged(project: string, run: StackRun): Promise<void> {
  expect(run.stderr, describeRun(run)).not.toMatch(/exited with code/);
  expect(run.code, describeRun(run)).toBe(0);
  // The stop landed during the run (not before its observation): it was seen and planned again.
  expect(run.stderr, describeRun(run)).toMatch(/stopped during (this|the) run.*observing again/);
  const state = await readProjectState(project);
  expect(state.containers.length, state.containers.join('\n')).toBe(3);
  expect(
    state.containers.every((c) => c.includes('state=running')),
    state.containers.join('\n'),
  ).toBe(true);
  expect(state.duplicates).toEqual([]);
}

describeEngine('stops this run did not make are never blamed on the service', () => {
  let dir: string;
  let proxy: EngineProxy;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-fstop-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a killed `stack stop` of another user (its own lock directory) whose stop lands during the next up: db started again, never blamed',
    async () => {
      const project = `${PREFIX}-stop`;
      await upThenRemoveApi(project);
      // `stack stop db` dies 300 ms after its stop request left: the engine sends db the SIGKILL
      // at the end of its 6 s grace, while the next up runs.
      let child: ChildProcess | undefined;
      proxy.setFaults([
        {
          route: 'POST /containers/{id}/stop',
          action: 'before',
          deliver: true,
          run: () => void setTimeout(() => child?.kill('SIGKILL'), 300),
        },
      ]);
      const stop = await runStack(stackArgs(project, ['stop', 'db'], FIXTURE), {
        dockerHost: proxy.dockerHost,
        timeoutMs: RUN_TIMEOUT,
        onSpawn: (c) => (child = c),
      });
      proxy.setFaults([]);
      expect(stop.signal, describeRun(stop)).toBe('SIGKILL');
      // The up runs with a lock directory of its own (another user, another XDG_RUNTIME_DIR): it
      // never sees the dead `stack stop`'s lock, which records the stop.
      const runtime = mkdtempSync(join(dir, 'runtime-'));
      const next = await upWhileDbStops(proxy, project, { XDG_RUNTIME_DIR: runtime });
      await expectConverged(project, next);
    },
    RUN_TIMEOUT,
  );

  it.each([
    ['stop', ['stop', 'db']],
    ['rm -s', ['rm', '-s', '-f', 'db']],
  ])(
    'a `stack %s` killed with its stop in flight, then up at once (STACK_LOCK_LEASE=0): up waits for the stop to land and the project ends running',
    async (name, command) => {
      const project = `${PREFIX}-landed-${name.replace(/\W/g, '')}`;
      const first = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), { timeoutMs: RUN_TIMEOUT });
      expect(first.code, describeRun(first)).toBe(0);
      let child: ChildProcess | undefined;
      let killedAt = 0;
      proxy.setFaults([
        {
          route: 'POST /containers/{id}/stop',
          action: 'before',
          deliver: true,
          run: () =>
            void setTimeout(() => {
              killedAt = Date.now();
              child?.kill('SIGKILL');
            }, 300),
        },
      ]);
      const stop = await runStack(stackArgs(project, command, FIXTURE), {
        dockerHost: proxy.dockerHost,
        timeoutMs: RUN_TIMEOUT,
        onSpawn: (c) => (child = c),
      });
      proxy.setFaults([]);
      expect(stop.signal, describeRun(stop)).toBe('SIGKILL');
      const next = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), {
        env: { STACK_LOCK_LEASE: '0' },
        timeoutMs: RUN_TIMEOUT,
      });
      expect(next.code, describeRun(next)).toBe(0);
      // Judged once the stop has surely landed (6 s of grace and a margin from the kill): before
      // the lock recorded stops, db died here after `up` had found it running and exited 0.
      const landed = killedAt + 9_000 - Date.now();
      if (landed > 0) await new Promise((r) => setTimeout(r, landed));
      expect((await inspectState(`${project}-db-1`)).Running, 'db runs after the stop landed').toBe(true);
      expect(next.stderr).toMatch(/died while it may have been stopping/);
    },
    RUN_TIMEOUT,
  );

  it(
    "with STACK_LOCK_LEASE=0, another client's stop in flight lands during the up: db started again, never blamed",
    async () => {
      const project = `${PREFIX}-nolease`;
      await upThenRemoveApi(project);
      const stop = rawRequest({ method: 'POST', path: `/containers/${project}-db-1/stop?t=6`, timeoutMs: 60_000 });
      const next = await upWhileDbStops(proxy, project, { STACK_LOCK_LEASE: '0' });
      await stop;
      await expectConverged(project, next);
    },
    RUN_TIMEOUT,
  );

  it(
    "a stop that lands after the dead holder's lease said it would: waited for, then db started again, never blamed",
    async () => {
      const project = `${PREFIX}-late`;
      await upThenRemoveApi(project);
      // The dead holder recorded a 2 s grace; the engine takes 12 s (the wait ends about 5 s in).
      await rawRequest({
        method: 'POST',
        path: '/volumes/create',
        body: {
          Name: `stack-lock-${project}`,
          Labels: {
            'dev.stack.lock': 'lease',
            'dev.stack.lock.command': 'stack up',
            'dev.stack.lock.token': 'dead-holder-token',
            'dev.stack.lock.host': hostname(),
            'dev.stack.lock.pid': '999999',
            'dev.stack.lock.expires': String(Date.now() + 3_600_000),
            'dev.stack.lock.stop-grace': '2',
          },
        },
      });
      const stop = rawRequest({ method: 'POST', path: `/containers/${project}-db-1/stop?t=12`, timeoutMs: 60_000 });
      const next = await upWhileDbStops(proxy, project);
      await stop;
      expect(next.stderr).toMatch(/died while it may have been stopping/);
      await expectConverged(project, next);
    },
    RUN_TIMEOUT,
  );

  it(
    'a container the run left running, stopped by another client before the run ends, is started again by it',
    async () => {
      const project = `${PREFIX}-left`;
      const first = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), { timeoutMs: RUN_TIMEOUT });
      expect(first.code, describeRun(first)).toBe(0);
      // The next up creates and starts worker only; api (nobody waits for it) is stopped meanwhile.
      await rawRequest({ method: 'DELETE', path: `/containers/${project}-worker-1?force=1` });
      proxy.setFaults([
        {
          route: 'POST /containers/{id}/start',
          action: 'after',
          deliver: true,
          run: async () => {
            await rawRequest({ method: 'POST', path: `/containers/${project}-api-1/stop?t=10`, timeoutMs: 60_000 });
          },
        },
      ]);
      const next = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), {
        dockerHost: proxy.dockerHost,
        timeoutMs: RUN_TIMEOUT,
      });
      proxy.setFaults([]);
      await expectConverged(project, next);
    },
    RUN_TIMEOUT,
  );

  /** `up -d` while db exits with `code` on its own (an exec writes the code its PID 1 exits with). */
  async function upWhileDbExits(project: string, code: number): Promise<Awaited<ReturnType<typeof runStack>>> {
    await upThenRemoveApi(project);
    const db = `${project}-db-1`;
    const exec = (
      await rawRequest({
        method: 'POST',
        path: `/containers/${db}/exec`,
        body: { Cmd: ['sh', '-c', `echo ${code} > /tmp/crash`] },
      })
    ).json as { Id: string };
    proxy.setFaults([
      {
        route: 'POST /containers/create',
        action: 'before',
        deliver: true,
        run: async () => {
          await rawRequest({ method: 'POST', path: `/exec/${exec.Id}/start`, body: { Detach: true } });
          await rawRequest({ method: 'POST', path: `/containers/${db}/wait`, timeoutMs: 60_000 });
        },
      },
    ]);
    const next = await runStack(stackArgs(project, ['up', '-d'], FIXTURE), {
      dockerHost: proxy.dockerHost,
      timeoutMs: RUN_TIMEOUT,
    });
    proxy.setFaults([]);
    return next;
  }

  it(
    'a dependency that crashes during the run (exit 1) is reported at once and not started again',
    async () => {
      const project = `${PREFIX}-crash`;
      const next = await upWhileDbExits(project, 1);
      expect(next.code, describeRun(next)).toBe(1);
      expect(next.stderr).toMatch(/service \\?"db\\?" exited with code 1/);
      expect(next.stderr).not.toMatch(/observing again/);
      expect((await inspectState(`${project}-db-1`)).Running, 'db was not started again').toBe(false);
    },
    RUN_TIMEOUT,
  );

  it(
    'a dependency that exits 0 on its own, and again once this run started it again, is reported',
    async () => {
      // Exit 0 looks like a stop: presumed one the first time (db was running before the run), but
      // db exits at once after the run starts it again, and that exit is its own.
      const next = await upWhileDbExits(`${PREFIX}-again`, 0);
      expect(next.code, describeRun(next)).toBe(1);
      expect(next.stderr.match(/observing again/g) ?? [], describeRun(next)).toHaveLength(1);
      expect(next.stderr).toMatch(/service \\?"db\\?" exited with code 0/);
    },
    RUN_TIMEOUT,
  );
});
