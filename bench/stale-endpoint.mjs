#!/usr/bin/env node
// Engine 20.10's "network has active endpoints" after many containers of one network are
// removed (issue 19, item 3): what triggers it, and whether an order of operations avoids it.
//
//   node bench/stale-endpoint.mjs [--engine /path/docker.sock] [--n 100,200] [--rounds 2]
//        [--strategies parallel,serial,force,disconnect,stop-all] [--parallel 8] [--ports 10]
//        [--out bench/results/stale-endpoint.md]
//
// Run it against a private dockerd (scripts/reliability-sweep.sh --start-private with
// REL_PRIVATE_DIR / REL_PRIVATE_NS of its own): a stale endpoint stays until that dockerd
// restarts, and an engine whose libnetwork deadlocks must not be the one everybody uses.
//
// Each round and strategy: one bridge network, N containers on it (every `--ports`th one
// publishes a port on 127.0.0.1, as the bench's realistic shape does), started 8 at a time; then
// the teardown under test; then the network's removal, retried for 10 s. Strategies:
//   parallel    stop, then remove, `--parallel` containers in flight (what stack and the floor do)
//   serial      the same, one container at a time
//   force       DELETE ?force=1 (kill and remove in one call), `--parallel` in flight
//   disconnect  stop, disconnect from the network, then remove, `--parallel` in flight
//   stop-all    stop every container first, then remove them, `--parallel` in flight
// The report says, per strategy and N, how many rounds left the network removable at once,
// removable only after a wait (a transient endpoint), or not at all (stale until a restart).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BENCH_COMMAND, BENCH_IMAGE } from './lib/generate.mjs';
import { createEngineClient, filterQuery, runDag } from './lib/engine-http.mjs';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: '/var/run/docker.sock' },
    n: { type: 'string', default: '100,200' },
    rounds: { type: 'string', default: '2' },
    strategies: { type: 'string', default: 'parallel,serial,force,disconnect,stop-all' },
    parallel: { type: 'string', default: '8' },
    ports: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const parallel = Number(values.parallel);
const portEvery = Number(values.ports);
const engine = createEngineClient({ socketPath: values.engine, maxSockets: Math.max(parallel, 8) });
const LABEL = 'dev.stack.bench.stale-endpoint';

/** Runs `work` over `items` with at most `limit` in flight. @template T @param {T[]} items @param {number} limit @param {(t: T) => Promise<unknown>} work */
function pool(items, limit, work) {
  return runDag(
    items.map((item, i) => ({ id: String(i), deps: [], run: () => work(item) })),
    limit,
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {string} name @param {number} n @returns {Promise<string[]>} container ids */
async function createFleet(name, n) {
  await engine.must('POST', '/networks/create', { Name: name, CheckDuplicate: true, Labels: { [LABEL]: name } });
  const ids = new Array(n);
  await pool([...Array(n).keys()], 8, async (i) => {
    const port = portEvery > 0 && i % portEvery === 0 ? 30000 + i : undefined;
    const body = {
      Image: BENCH_IMAGE,
      Cmd: BENCH_COMMAND,
      Labels: { [LABEL]: name },
      ...(port ? { ExposedPorts: { '8080/tcp': {} } } : {}),
      HostConfig: {
        NetworkMode: name,
        ...(port ? { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } : {}),
      },
    };
    const created = await engine.must('POST', `/containers/create?name=${name}-${i}`, body);
    ids[i] = created.json.Id;
    await engine.must('POST', `/containers/${ids[i]}/start`);
  });
  return ids;
}

const stop = (id) => engine.must('POST', `/containers/${id}/stop?t=10`, undefined, [204, 304, 404]);
const remove = (id, force = false) =>
  engine.must('DELETE', `/containers/${id}?v=1${force ? '&force=1' : ''}`, undefined, [204, 404]);

/** @type {Record<string, (ids: string[], network: string) => Promise<unknown>>} */
const STRATEGIES = {
  parallel: (ids) => pool(ids, parallel, async (id) => (await stop(id), remove(id))),
  serial: (ids) => pool(ids, 1, async (id) => (await stop(id), remove(id))),
  force: (ids) => pool(ids, parallel, (id) => remove(id, true)),
  disconnect: (ids, network) =>
    pool(ids, parallel, async (id) => {
      await stop(id);
      await engine.must('POST', `/networks/${network}/disconnect`, { Container: id }, [200, 404, 500]);
      await remove(id);
    }),
  'stop-all': async (ids) => {
    await pool(ids, parallel, stop);
    await pool(ids, parallel, (id) => remove(id));
  },
};

/**
 * Removes the network, retrying for 10 s. @param {string} name
 * @returns {Promise<{ outcome: 'removed' | 'after-wait' | 'stale', waitedMs: number, endpoints: number, message: string }>}
 */
async function removeNetwork(name) {
  const info = await engine.call('GET', `/networks/${name}`);
  const endpoints = Object.keys(info.json?.Containers ?? {}).length;
  const started = Date.now();
  let message = '';
  for (let attempt = 0; Date.now() - started < 10_000; attempt += 1) {
    const reply = await engine.call('DELETE', `/networks/${name}`);
    if (reply.status === 204 || reply.status === 404)
      return { outcome: attempt === 0 ? 'removed' : 'after-wait', waitedMs: Date.now() - started, endpoints, message };
    message = reply.json?.message ?? reply.text.trim();
    await sleep(500);
  }
  return { outcome: 'stale', waitedMs: Date.now() - started, endpoints, message };
}

/** Leftovers of earlier runs (containers; networks that can still go). */
async function sweep() {
  const f = filterQuery({ label: [LABEL] });
  const containers = (await engine.call('GET', `/containers/json?all=1&filters=${f}`)).json ?? [];
  await pool(containers, 8, (c) => remove(c.Id, true));
  const networks = (await engine.call('GET', `/networks?filters=${f}`)).json ?? [];
  for (const net of networks) await engine.call('DELETE', `/networks/${net.Id}`);
}

const results = [];
await sweep();
for (const n of values.n.split(',').map(Number))
  for (let round = 1; round <= Number(values.rounds); round += 1)
    for (const strategy of values.strategies.split(',')) {
      const name = `se-${strategy}-${n}-${round}-${process.pid}`;
      const t0 = Date.now();
      const ids = await createFleet(name, n);
      const t1 = Date.now();
      await STRATEGIES[strategy](ids, name);
      const t2 = Date.now();
      const net = await removeNetwork(name);
      const row = { strategy, n, round, upMs: t1 - t0, teardownMs: t2 - t1, ...net };
      results.push(row);
      process.stdout.write(
        `${strategy.padEnd(10)} n=${n} round ${round}: teardown ${(row.teardownMs / 1000).toFixed(1)} s, ` +
          `network ${net.outcome}${net.outcome === 'removed' ? '' : ` (${net.waitedMs} ms, ${net.endpoints} endpoints listed: ${net.message})`}\n`,
      );
    }
engine.close();

const lines = [
  `# Stale endpoints on engine 20.10 (${new Date().toISOString().slice(0, 10)})`,
  '',
  `\`node bench/stale-endpoint.mjs --n ${values.n} --rounds ${values.rounds} --parallel ${parallel} --ports ${portEvery}\`` +
    `, engine ${values.engine}.`,
  '',
  '| strategy | N | rounds | removed at once | removed after a wait | stale | teardown (median) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
const keys = [...new Set(results.map((r) => `${r.strategy}|${r.n}`))];
for (const key of keys) {
  const rows = results.filter((r) => `${r.strategy}|${r.n}` === key);
  const count = (o) => rows.filter((r) => r.outcome === o).length;
  const times = rows.map((r) => r.teardownMs).sort((a, b) => a - b);
  const [strategy, n] = key.split('|');
  lines.push(
    `| ${strategy} | ${n} | ${rows.length} | ${count('removed')} | ${count('after-wait')} | ${count('stale')} | ` +
      `${(times[Math.floor(times.length / 2)] / 1000).toFixed(1)} s |`,
  );
}
const stale = results.filter((r) => r.outcome !== 'removed');
if (stale.length > 0) {
  lines.push('', 'Not removed at once:', '');
  for (const r of stale)
    lines.push(
      `- ${r.strategy} N=${r.n} round ${r.round}: ${r.outcome} after ${r.waitedMs} ms; ${r.endpoints} endpoints listed; "${r.message}"`,
    );
}
const text = lines.join('\n') + '\n';
if (values.out) writeFileSync(values.out, text);
process.stdout.write('\n' + text);
