// The project lock every client of the engine sees (issue 20 item 11): runs with different
// XDG_RUNTIME_DIRs (a sudo and a user run, cron and a shell, CI runners on one remote engine)
// have separate local lock files; the engine-side lease (a volume `stack-lock-<project>`)
// serializes them. A lease of a dead process on this host is taken over at once, another
// host's only after it expired; a no-op `up` writes nothing (it takes no lease). Runs of two
// users (root and nobody, through a proxy socket both may open) race REL_LOCK_ROUNDS rounds
// (1 in CI; scripts/reliability-sweep.sh runs 10).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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
const PREFIX = uniqueName('rel-elock');
const ROUNDS = Number(process.env['REL_LOCK_ROUNDS'] ?? 1);
const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;

async function leaseVolumes(project: string): Promise<string[]> {
  const filter = encodeURIComponent(JSON.stringify({ name: [`stack-lock-${project}`] }));
  const body = (await rawRequest({ path: `/volumes?filters=${filter}` })).json as {
    Volumes: { Name: string }[] | null;
  };
  return (body.Volumes ?? [])
    .map((v) => v.Name)
    .filter((n) => n === `stack-lock-${project}` || n.startsWith(`stack-lock-${project}.`));
}

async function plantLease(project: string, labels: Record<string, string>): Promise<void> {
  await rawRequest({
    method: 'POST',
    path: '/volumes/create',
    body: {
      Name: `stack-lock-${project}`,
      Labels: { 'dev.stack.lock': 'lease', 'dev.stack.lock.command': 'stack up', ...labels },
    },
  });
}

describeEngine('the engine-side project lock', () => {
  let dir: string;
  let proxy: EngineProxy;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-elock-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeProjectsWithPrefix(PREFIX);
    for (const suffix of ['race', 'dead', 'other', 'users'])
      for (const v of await leaseVolumes(`${PREFIX}-${suffix}`))
        await rawRequest({ method: 'DELETE', path: `/volumes/${v}` });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('6 concurrent ups, each with its own XDG_RUNTIME_DIR (local locks that never meet), are serialized: all succeed, no duplicates or leftovers', async () => {
    const project = `${PREFIX}-race`;
    const port = String(randomPort());
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const runtime = join(dir, `runtime-${i}`);
        mkdirSync(runtime, { recursive: true, mode: 0o700 });
        return runStack(stackArgs(project, ['up', '-d']), {
          env: { XDG_RUNTIME_DIR: runtime, WEB_PORT: port, REL_GEN: String(i) },
          timeoutMs: 200_000,
        });
      }),
    );
    for (const run of runs) expect(run.code, describeRun(run)).toBe(0);
    const state = await readProjectState(project);
    expect(state.duplicates).toEqual([]);
    expect(state.leftovers).toEqual([]);
    expect(
      state.containers.every((c) => c.includes('state=running')),
      state.containers.join('\n'),
    ).toBe(true);
    expect(await leaseVolumes(project)).toEqual([]);
  }, 300_000);

  it.skipIf(!asRoot)(
    `two users (root and nobody), each run with its own XDG_RUNTIME_DIR, race ${ROUNDS} round(s) of 4 ups: serialized, all succeed, no duplicates or leftovers`,
    async () => {
      const project = `${PREFIX}-users`;
      const port = String(randomPort());
      // nobody cannot open the engine's socket: it reaches the engine through the proxy, as a
      // second user with docker access would.
      chmodSync(dir, 0o711);
      chmodSync(proxy.socketPath, 0o666);
      const home = join(dir, 'nobody');
      mkdirSync(home, { recursive: true, mode: 0o700 });
      chownSync(home, NOBODY.uid, NOBODY.gid);
      const failures: string[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const runs = await Promise.all(
          Array.from({ length: 4 }, (_, i) => {
            const nobody = i % 2 === 1;
            const runtime = join(nobody ? home : dir, `runtime-${round}-${i}`);
            mkdirSync(runtime, { recursive: true, mode: 0o700 });
            if (nobody) chownSync(runtime, NOBODY.uid, NOBODY.gid);
            return runStack(stackArgs(project, ['up', '-d']), {
              dockerHost: proxy.dockerHost,
              env: {
                XDG_RUNTIME_DIR: runtime,
                ...(nobody ? { HOME: home, XDG_CACHE_HOME: join(home, 'cache') } : {}),
                WEB_PORT: port,
                REL_GEN: `${round}-${i}`,
              },
              timeoutMs: 200_000,
              ...(nobody ? { user: NOBODY } : {}),
            });
          }),
        );
        runs.forEach((run, i) => {
          if (run.code !== 0)
            failures.push(`round ${round}, run ${i} (${i % 2 ? 'nobody' : 'root'}): ${describeRun(run)}`);
        });
        const state = await readProjectState(project);
        if (state.duplicates.length > 0) failures.push(`round ${round}: duplicates ${state.duplicates.join(', ')}`);
        if (state.leftovers.length > 0) failures.push(`round ${round}: leftovers ${state.leftovers.join(', ')}`);
        if (!state.containers.every((c) => c.includes('state=running')))
          failures.push(`round ${round}: not all running:\n${state.containers.join('\n')}`);
        const leases = await leaseVolumes(project);
        if (leases.length > 0) failures.push(`round ${round}: leases left ${leases.join(', ')}`);
      }
      process.stdout.write(
        `[reliability] two-user lock race: ${ROUNDS} round(s) of 4 runs, ${failures.length} failure(s)\n`,
      );
      expect(failures, failures.join('\n\n')).toEqual([]);
    },
    ROUNDS * 300_000,
  );

  it('a no-op up takes no lease and writes nothing', async () => {
    const project = `${PREFIX}-race`;
    proxy.reset();
    const run = await runStack(stackArgs(project, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env: { REL_GEN: '5' },
      timeoutMs: 120_000,
    });
    // REL_GEN of the last of the six runs is not known: at most one recreate, then a no-op.
    expect(run.code, describeRun(run)).toBe(0);
    proxy.reset();
    const noop = await runStack(stackArgs(project, ['up', '-d']), {
      dockerHost: proxy.dockerHost,
      env: { REL_GEN: '5' },
      timeoutMs: 120_000,
    });
    expect(noop.code, describeRun(noop)).toBe(0);
    expect(
      proxy.counts.writes,
      proxy.requests
        .filter((r) => r.kind === 'write')
        .map((r) => r.route)
        .join(', '),
    ).toBe(0);
  }, 200_000);

  it("a lease left by a dead process on this host is taken over at once; another host's only after it expired", async () => {
    const dead = `${PREFIX}-dead`;
    await plantLease(dead, {
      'dev.stack.lock.token': 'dead-holder-token',
      'dev.stack.lock.host': hostname(),
      'dev.stack.lock.pid': '999999',
      'dev.stack.lock.expires': String(Date.now() + 3_600_000),
    });
    const first = await runStack(stackArgs(dead, ['up', '-d']), {
      env: { WEB_PORT: String(randomPort()) },
      timeoutMs: 120_000,
    });
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.stderr).not.toContain('waiting for lock');
    expect(await leaseVolumes(dead)).toEqual([]);

    const other = `${PREFIX}-other`;
    await plantLease(other, {
      'dev.stack.lock.token': 'other-host-token',
      'dev.stack.lock.host': 'another-host',
      'dev.stack.lock.pid': '1',
      'dev.stack.lock.expires': String(Date.now() + 4_000),
    });
    const started = Date.now();
    const second = await runStack(stackArgs(other, ['up', '-d']), {
      env: { WEB_PORT: String(randomPort()) },
      timeoutMs: 120_000,
    });
    expect(second.code, describeRun(second)).toBe(0);
    expect(second.stderr).toMatch(/waiting for lock held by pid 1 .*another-host/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(await leaseVolumes(other)).toEqual([]);

    // A live lease of another host that does not expire in time: LOCK_HELD naming it.
    await plantLease(other, {
      'dev.stack.lock.token': 'other-host-token-2',
      'dev.stack.lock.host': 'another-host',
      'dev.stack.lock.pid': '1',
      'dev.stack.lock.expires': String(Date.now() + 3_600_000),
    });
    const held = await runStack(stackArgs(other, ['up', '-d', '--force-recreate']), {
      env: { STACK_LOCK_TIMEOUT: '2' },
      timeoutMs: 60_000,
    });
    expect(held.code, describeRun(held)).toBe(1);
    expect(held.stderr).toContain('LOCK_HELD');
    expect(held.stderr).toContain('another-host');
  }, 300_000);
});
