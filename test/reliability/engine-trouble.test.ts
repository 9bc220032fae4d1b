// Engine trouble through the fault proxy: transient 500s and connection resets on reads are
// retried with bounded backoff; a failed write fails the run with a summary (never a blind
// retry) and the next up converges; a write whose reply is slow or never comes leaves no
// duplicate; an unreachable engine is a quick, clear error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy, Fault } from '../../bench/lib/engine-proxy.mjs';
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

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-trouble');
const RUN_TIMEOUT = 120_000;

describeEngine('engine trouble', () => {
  let dir: string;
  let proxy: EngineProxy;
  let n = 0;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-trouble-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterEach(() => {
    proxy.setFaults([]);
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `up -d` through the proxy with `faults`, then a clean `up -d` and the convergence checks. */
  async function upWithFaults(
    faults: Fault[],
    expectFirst: 'ok' | 'fail' | 'either',
    firstEnv: Record<string, string> = {},
  ) {
    const project = `${PREFIX}-${++n}`;
    const env = { WEB_PORT: String(randomPort()) };
    proxy.reset();
    proxy.setFaults(faults);
    const first = await runStack(stackArgs(project, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env: { ...env, ...firstEnv },
      timeoutMs: RUN_TIMEOUT,
    });
    const log = proxy.requests.slice();
    proxy.setFaults([]);
    if (expectFirst === 'ok') expect(first.code, describeRun(first)).toBe(0);
    if (expectFirst === 'fail') expect(first.code, describeRun(first)).toBe(1);
    const second = await runStack(stackArgs(project, ['up', '-d']), { env, timeoutMs: RUN_TIMEOUT });
    expect(second.code, describeRun(second)).toBe(0);
    const plan = await runStack(stackArgs(project, ['plan', '--detailed-exitcode']), { env, timeoutMs: RUN_TIMEOUT });
    expect(plan.code, describeRun(plan)).toBe(0);
    const state = await readProjectState(project);
    expect(state.duplicates).toEqual([]);
    expect(state.leftovers).toEqual([]);
    expect(state.containers.length).toBe(5);
    await removeProjectDirect(project);
    return { first, log };
  }

  it('transient 500s on the list calls are retried and the up succeeds', async () => {
    const { first, log } = await upWithFaults(
      [
        { route: 'GET /containers/json', action: 'error', status: 500, times: 2 },
        { route: 'GET /networks', action: 'error', status: 503, times: 1 },
      ],
      'ok',
    );
    expect(log.filter((r) => r.route === 'GET /containers/json' && r.status === 500).length).toBe(2);
    expect(log.filter((r) => r.route === 'GET /containers/json' && r.status === 200).length).toBeGreaterThan(0);
    expect(first.ms).toBeLessThan(60_000);
  }, 300_000);

  it('a read that keeps failing is retried three times with backoff, then reported naming what failed (exit 1)', async () => {
    proxy.reset();
    proxy.setFaults([
      {
        route: 'GET /containers/json',
        action: 'error',
        status: 500,
        times: Infinity,
        message: 'injected list failure',
      },
    ]);
    const run = await runStack(stackArgs(`${PREFIX}-readfail`, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env: { WEB_PORT: String(randomPort()) },
      timeoutMs: RUN_TIMEOUT,
    });
    const log = proxy.requests.slice();
    proxy.setFaults([]);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stderr).toContain('injected list failure');
    expect(log.filter((r) => r.route === 'GET /containers/json')).toHaveLength(4);
    // Nothing was written: the run stopped at observing.
    expect(log.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  }, 300_000);

  it('connection resets on reads are retried and the up succeeds', async () => {
    const { log } = await upWithFaults(
      [
        { route: 'GET /volumes', action: 'reset', times: 2 },
        { route: /^GET \/images\//, action: 'reset', times: 1 },
      ],
      'ok',
    );
    expect(log.filter((r) => r.route === 'GET /volumes' && r.fault === 'reset').length).toBe(2);
  }, 300_000);

  it('a 500 on a container create fails the run naming the service, is not retried blindly, and the next up converges', async () => {
    const { first, log } = await upWithFaults(
      [{ route: 'POST /containers/create', action: 'error', status: 500, message: 'injected create failure' }],
      'fail',
    );
    const creates = log.filter((r) => r.route === 'POST /containers/create');
    const failedPath = creates.find((r) => r.status === 500)?.path ?? '';
    const failedName = new URL(failedPath, 'http://x').searchParams.get('name') ?? '';
    // No second create of the same name in that run (a 500 on a write is not retried).
    expect(creates.filter((r) => new URL(r.path, 'http://x').searchParams.get('name') === failedName).length).toBe(1);
    const service = /-(\w+)-\d+$/.exec(failedName)?.[1] ?? '?';
    expect(first.stderr + first.stdout).toContain(service);
  }, 300_000);

  it('a create whose reply is 15 s late (the engine acted) leaves no duplicate', async () => {
    await upWithFaults([{ route: 'POST /containers/create', action: 'stall', phase: 'after', ms: 15_000 }], 'either');
  }, 300_000);

  it('a create whose reply never comes is an ambiguous write: resolved by observing again, never re-sent, and the same run converges', async () => {
    const { first, log } = await upWithFaults(
      [{ route: 'POST /containers/create', action: 'stall', phase: 'after', times: 1 }],
      'ok',
      { STACK_WRITE_TIMEOUT: '3' },
    );
    expect(first.stderr).not.toContain('[test harness] killed');
    expect(first.stderr).toMatch(/ENGINE_WRITE_AMBIGUOUS|outcome of create-container .* is unknown: observing again/);
    // The engine acted on the stalled create: observing again found that container, so the
    // same name was never sent twice.
    const stalled = log.find((r) => r.route === 'POST /containers/create' && r.fault !== undefined);
    const name = new URL(stalled?.path ?? '/', 'http://x').searchParams.get('name');
    expect(name).toBeTruthy();
    expect(
      log.filter(
        (r) => r.route === 'POST /containers/create' && new URL(r.path, 'http://x').searchParams.get('name') === name,
      ),
    ).toHaveLength(1);
  }, 300_000);

  it('an engine that does not answer is a quick, clear error (exit 1, nothing hangs)', async () => {
    const run = await runStack(stackArgs(`${PREFIX}-none`, ['up', '-d']), {
      dockerHost: `unix://${join(dir, 'nothing-here.sock')}`,
      env: { WEB_PORT: String(randomPort()) },
      timeoutMs: 60_000,
    });
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stderr).toMatch(/ENGINE_UNREACHABLE|engine/i);
    expect(run.stderr).not.toMatch(/this is a bug/i);
    expect(run.ms).toBeLessThan(30_000);
  }, 120_000);
});
