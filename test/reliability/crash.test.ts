// Crash at write k: SIGKILL the CLI on the k-th engine write, either before the proxy forwards
// it or after the engine acted (the reply never arrives), during a fresh `up -d` and during a
// recreate of everything (an env change). A plain `up -d` afterwards must converge: the state
// equals a fresh up, a further `plan --detailed-exitcode` exits 0 and `up -d` makes zero
// writes, no duplicates, no temp-named leftovers, and the sentinel in the named volume is intact.
//
// CI runs a sample of kill points (a fresh up: the first container create and the last write;
// a recreate: the first remove and the first rename). REL_KILL_POINTS=all runs every k (scripts/reliability-sweep.sh); results go to
// REL_RESULTS_FILE as JSON lines when set.
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy, RequestRecord } from '../../bench/lib/engine-proxy.mjs';
import { describeWithEngine, uniqueName } from '../support/engine.js';
import {
  cliBuilt,
  describeRun,
  randomPort,
  readProjectState,
  removeProjectDirect,
  removeProjectsWithPrefix,
  runOnVolume,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';
import type { ProjectState } from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const FULL = process.env['REL_KILL_POINTS'] === 'all';
const RESULTS = process.env['REL_RESULTS_FILE'];
const PREFIX = uniqueName('rel-crash');
const RUN_TIMEOUT = 120_000;

type Scenario = 'fresh' | 'recreate';
/** `inflight`: killed while a stop is in flight (during its grace period): the engine finishes it after the CLI died. */
type Mode = 'before' | 'after' | 'inflight';

interface KillPointResult {
  readonly scenario: Scenario;
  readonly mode: Mode;
  readonly k: number;
  readonly route: string;
  readonly fired: boolean;
  readonly converged: boolean;
  readonly problems: readonly string[];
}

/** Which writes to kill at: every one in the full sweep, else a sample by route. */
function killPoints(writes: readonly RequestRecord[], scenario: Scenario): number[] {
  const all = writes.map((w) => w.writeIndex!);
  if (FULL) return all;
  const first = (route: string) => writes.find((w) => w.route === route)?.writeIndex;
  // The sample: a fresh up dies at its first container create or at its last write; a
  // recreate dies when the first old container is removed or the first replacement renamed.
  const picks =
    scenario === 'fresh'
      ? [first('POST /containers/create'), all.at(-1)]
      : [first('DELETE /containers/{id}'), first('POST /containers/{id}/rename')];
  return [...new Set(picks.filter((k): k is number => k !== undefined))].sort((a, b) => a - b);
}

describeEngine('crash at write k, then up converges', () => {
  let dir: string;
  let proxy: EngineProxy;
  let reference: ProjectState;
  const calibration: Record<Scenario, RequestRecord[]> = { fresh: [], recreate: [] };
  const results: KillPointResult[] = [];

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-crash-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
    // Calibration: a clean fresh up and a clean recreate through the proxy give the write
    // sequence (and so the kill points) and the reference state.
    const project = `${PREFIX}-cal`;
    const env = { WEB_PORT: String(randomPort()), REL_GEN: '1' };
    const fresh = await runStack(stackArgs(project, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env,
      timeoutMs: RUN_TIMEOUT,
    });
    expect(fresh.code, describeRun(fresh)).toBe(0);
    calibration.fresh = proxy.requests.filter((r) => r.kind === 'write');
    reference = await readProjectState(project);
    proxy.reset();
    const recreate = await runStack(stackArgs(project, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env: { ...env, REL_GEN: '2' },
      timeoutMs: RUN_TIMEOUT,
    });
    expect(recreate.code, describeRun(recreate)).toBe(0);
    calibration.recreate = proxy.requests.filter((r) => r.kind === 'write');
    proxy.reset();
    await removeProjectDirect(project);
  }, 300_000);

  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (results.length > 0) {
      const converged = results.filter((r) => r.fired && r.converged).length;
      const fired = results.filter((r) => r.fired).length;
      process.stdout.write(
        `[reliability] crash at write k: converged ${converged}/${fired}${FULL ? ' (full sweep)' : ' (sample)'}\n`,
      );
    }
  });

  async function killPoint(scenario: Scenario, mode: Mode, k: number): Promise<KillPointResult> {
    const project = `${PREFIX}-${scenario[0]}${mode[0]}${k}`;
    const env = { WEB_PORT: String(randomPort()), REL_GEN: '1' };
    const problems: string[] = [];
    const sentinel = `sentinel-${project}`;
    try {
      if (scenario === 'recreate') {
        const setup = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
        if (setup.code !== 0)
          return {
            scenario,
            mode,
            k,
            route: '?',
            fired: false,
            converged: false,
            problems: [`setup up failed: ${describeRun(setup)}`],
          };
        await runOnVolume(`${project}_dbdata`, `echo ${sentinel} > /data/sentinel`);
        env.REL_GEN = '2';
      }
      let child: ChildProcess | undefined;
      let fired: RequestRecord | undefined;
      let killedAt = 0;
      proxy.reset();
      if (mode === 'inflight') {
        // `up --force-recreate` (nothing changed) killed 500 ms into its k-th stop: the engine
        // carries out every stop already sent after the CLI died (web's httpd ignores TERM: it
        // dies at the end of its 10 s grace), and the next up must not converge before they
        // landed (issue 20 item 15).
        env.REL_GEN = '1';
        proxy.setFaults([
          {
            route: 'POST /containers/{id}/stop',
            nth: k,
            action: 'before',
            deliver: true,
            run: (info) => {
              fired = info;
              setTimeout(() => {
                killedAt = Date.now();
                child?.kill('SIGKILL');
              }, 500);
            },
          },
        ]);
      } else {
        proxy.setFaults([
          {
            kind: 'write',
            writeIndex: k,
            action: mode,
            run: (info) => {
              fired = info;
              child?.kill('SIGKILL');
            },
          },
        ]);
      }
      const crashed = await runStack(
        stackArgs(project, mode === 'inflight' ? ['up', '-d', '--force-recreate'] : ['up', '-d']),
        {
          dockerHost: proxy.dockerHost,
          env,
          timeoutMs: RUN_TIMEOUT,
          onSpawn: (c) => (child = c),
        },
      );
      proxy.setFaults([]);
      const route =
        (fired as RequestRecord | undefined)?.route ??
        (mode === 'inflight' ? `stop #${k}` : (calibration[scenario].find((w) => w.writeIndex === k)?.route ?? '?'));
      if (!fired) {
        // The run finished with fewer writes than the calibration: not a kill point this time.
        if (crashed.code !== 0) problems.push(`run without the fault failed: ${describeRun(crashed)}`);
        return { scenario, mode, k, route, fired: false, converged: problems.length === 0, problems };
      }
      proxy.reset();
      const converge = await runStack(stackArgs(project, ['up', '-d']), {
        dockerHost: proxy.dockerHost,
        env,
        timeoutMs: RUN_TIMEOUT,
      });
      if (converge.code !== 0) problems.push(`converging up failed: ${describeRun(converge)}`);
      if (mode === 'inflight') {
        // Judge the state once every stop the killed run sent has surely landed: 10 s of grace
        // (web) and a margin, from the kill. Before the fix, web died here after `up` exited 0.
        const landed = killedAt + 13_000 - Date.now();
        if (landed > 0) await new Promise((r) => setTimeout(r, landed));
      }
      const plan = await runStack(stackArgs(project, ['plan', '--detailed-exitcode']), { env, timeoutMs: RUN_TIMEOUT });
      if (plan.code !== 0) problems.push(`plan --detailed-exitcode after converging: ${describeRun(plan)}`);
      proxy.reset();
      const again = await runStack(stackArgs(project, ['up', '-d']), {
        dockerHost: proxy.dockerHost,
        env,
        timeoutMs: RUN_TIMEOUT,
      });
      if (again.code !== 0 || proxy.counts.writes !== 0) {
        problems.push(
          `a further up made ${proxy.counts.writes} writes (${proxy.requests
            .filter((r) => r.kind === 'write')
            .map((r) => r.route)
            .join(', ')}); ${describeRun(again)}`,
        );
      }
      const state = await readProjectState(project);
      if (state.duplicates.length > 0) problems.push(`duplicate containers for ${state.duplicates.join(', ')}`);
      if (state.leftovers.length > 0) problems.push(`leftover containers ${state.leftovers.join(', ')}`);
      if (JSON.stringify(state.containers) !== JSON.stringify(reference.containers)) {
        problems.push(
          `containers differ from a fresh up:\n  got      ${state.containers.join('\n           ')}\n  expected ${reference.containers.join('\n           ')}`,
        );
      }
      if (JSON.stringify(state.networks) !== JSON.stringify(reference.networks))
        problems.push(`networks ${state.networks} != ${reference.networks}`);
      if (JSON.stringify(state.volumes) !== JSON.stringify(reference.volumes))
        problems.push(`volumes ${state.volumes} != ${reference.volumes}`);
      if (scenario === 'recreate') {
        const read = (await runOnVolume(`${project}_dbdata`, 'cat /data/sentinel')).trim();
        if (read !== sentinel) problems.push(`sentinel in dbdata: "${read}"`);
      }
      return { scenario, mode, k, route, fired: true, converged: problems.length === 0, problems };
    } finally {
      proxy.setFaults([]);
      await removeProjectDirect(project);
    }
  }

  for (const scenario of ['fresh', 'recreate'] as const) {
    for (const mode of ['before', 'after'] as const) {
      it(
        `a ${scenario === 'fresh' ? 'fresh up' : 'recreate of everything'} killed ${mode === 'before' ? 'before' : 'after'} the engine acts on write k converges on the next up`,
        async () => {
          const points = killPoints(calibration[scenario], scenario);
          expect(points.length).toBeGreaterThan(0);
          const failures: KillPointResult[] = [];
          for (const k of points) {
            const result = await killPoint(scenario, mode, k);
            results.push(result);
            if (RESULTS) appendFileSync(RESULTS, JSON.stringify({ suite: 'crash', ...result }) + '\n');
            if (!result.converged) failures.push(result);
          }
          const report = failures.map((f) => `k=${f.k} (${f.route}):\n  ${f.problems.join('\n  ')}`).join('\n\n');
          expect(failures.length, `${failures.length}/${points.length} kill points did not converge:\n${report}`).toBe(
            0,
          );
        },
        FULL ? 3_600_000 : 400_000,
      );
    }
  }

  it(
    'an up --force-recreate killed while a stop is in flight (the engine finishes it later) converges on the next up',
    async () => {
      const stops = calibration.recreate.filter((w) => w.route === 'POST /containers/{id}/stop').length;
      expect(stops).toBeGreaterThan(0);
      const points = FULL ? Array.from({ length: stops }, (_, i) => i + 1) : [...new Set([1, stops])];
      const failures: KillPointResult[] = [];
      for (const k of points) {
        const result = await killPoint('recreate', 'inflight', k);
        results.push(result);
        if (RESULTS) appendFileSync(RESULTS, JSON.stringify({ suite: 'crash', ...result }) + '\n');
        if (!result.converged) failures.push(result);
      }
      const report = failures.map((f) => `k=${f.k} (${f.route}):\n  ${f.problems.join('\n  ')}`).join('\n\n');
      expect(failures.length, `${failures.length}/${points.length} kill points did not converge:\n${report}`).toBe(0);
    },
    FULL ? 3_600_000 : 400_000,
  );
});
