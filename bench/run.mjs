#!/usr/bin/env node
// `npm run bench`: stack vs docker-compose 1.29 vs the engine floor on generated stacks.
//
//   node bench/run.mjs [--n 1,10,50,100,200,500] [--shapes independent,realistic] [--runs 3] [--repeat 3]
//                      [--large-runs 1] [--compose-max-n 100] [--tools stack,compose,floor]
//                      [--parallel P] [--skip-startup] [--skip-parallel-sweep] [--out bench/results/latest.md]
//                      [--engine /var/run/docker.sock]
//
// For each shape and N, each run goes through the tools in a rotating order (interleaved, so
// drift on the shared machine hits every tool alike), and each tool does: config (model cache
// warm), config with a cold model cache (the V8 code cache warm), cold `up -d`, no-op `up -d`, one service changed then
// `up -d`, `down -v`. Every engine request passes through the counting proxy
// (DOCKER_HOST=unix://<proxy>), so each scenario also reports reads and writes. The floor is
// bench/floor.mjs (raw Engine API, same concurrency); for `config` the floor is `node -e 0`.
// Each sample also records the command's CPU time (user + sys, through /usr/bin/time: less
// sensitive to the other load of a shared machine than wall time) and the load average.
// N >= 500 runs `--large-runs` times; docker-compose only up to `--compose-max-n` (at N=100 it
// already took minutes, and once hung).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEngineProxy } from './lib/engine-proxy.mjs';
import { generateStack, toComposeYaml } from './lib/generate.mjs';
import { createEngineClient, filterQuery, removeProject } from './lib/engine-http.mjs';
import { formatMs, formatRatio, formatSummary, summarize, timeCommand } from './lib/measure.mjs';
import { measureStartup, startupMarkdown } from './startup.mjs';
import { measureParallel, parallelMarkdown } from './parallel.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// Another build of the CLI (a copy, so a rebuild during a long run does not change the tool).
const STACK_BIN = process.env['STACK_BENCH_BIN'] ?? join(ROOT, 'bin/stack.cjs');
const SCENARIOS = /** @type {const} */ (['config', 'config cold', 'cold up', 'no-op up', 'change one', 'down']);
/** @typedef {typeof SCENARIOS[number]} Scenario */
/** @typedef {'stack' | 'compose' | 'floor'} Tool */
/** @typedef {{ ms: number, cpuMs: number, load: number, reads: number, writes: number, ok: boolean, note?: string, recreated?: number }} Sample */

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1,10,50,100,200,500' },
    shapes: { type: 'string', default: 'independent,realistic' },
    runs: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    'large-runs': { type: 'string', default: '1' },
    'compose-max-n': { type: 'string', default: '100' },
    tools: { type: 'string', default: 'stack,compose,floor' },
    parallel: { type: 'string' },
    'skip-startup': { type: 'boolean', default: false },
    'skip-parallel-sweep': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/latest.md') },
    engine: { type: 'string', default: '/var/run/docker.sock' },
  },
});

const ns = values.n.split(',').map(Number);
const shapes = /** @type {('independent' | 'realistic')[]} */ (values.shapes.split(','));
const runs = Number(values.runs);
// config, no-op up and change one are cheap and leave the stack as they found it (change one
// alternates between the altered and the base file), so each run repeats them: more samples
// where the machine's noise is largest relative to the time measured.
const repeat = Math.max(1, Number(values.repeat));
const REPEATED = new Set(['config', 'config cold', 'no-op up', 'change one']);
const largeRuns = Number(values['large-runs']);
const composeMaxN = Number(values['compose-max-n']);
const floorParallel = values.parallel ?? '8';
const direct = createEngineClient({ socketPath: values.engine });
const work = mkdtempSync(join(tmpdir(), 'stack-bench-'));
const proxy = await startEngineProxy({ socketPath: join(work, 'engine.sock'), target: values.engine });
// stack's caches (the V8 code cache and the model cache) live in the bench's own directory:
// warm after the first run, as on a user's machine; `config cold` empties the model cache only.
const cacheHome = join(work, 'cache');
const env = { ...process.env, DOCKER_HOST: proxy.dockerHost, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
delete env.DOCKER_CONTEXT;

/** @type {Tool[]} */
let tools = /** @type {Tool[]} */ (values.tools.split(','));
const notes = [];
if (tools.includes('stack')) {
  const probe = await timeCommand('node', [STACK_BIN, 'version'], { env });
  if (probe.code !== 0) {
    notes.push(
      `stack was not runnable (\`node bin/stack.cjs version\` exited ${probe.code}: ${probe.stderr.trim().split('\n')[0] ?? ''}); run \`npm run build\`.`,
    );
    tools = tools.filter((t) => t !== 'stack');
  }
}
if (
  tools.includes('compose') &&
  (await timeCommand('docker-compose', ['version']).catch(() => ({ code: 127 }))).code !== 0
) {
  notes.push('docker-compose is not installed: no compose column.');
  tools = tools.filter((t) => t !== 'compose');
}

/**
 * The command line for a tool and scenario.
 * @param {Tool} tool @param {Scenario} scenario @param {{ file: string, spec: string, project: string, changed: number }} ctx
 * @returns {[string, string[]]}
 */
function commandFor(tool, scenario, ctx) {
  if (tool === 'floor') {
    if (scenario === 'config' || scenario === 'config cold') return ['node', ['-e', '0']];
    const op = { 'cold up': 'up', 'no-op up': 'noop', 'change one': 'change', down: 'down' }[scenario];
    return [
      'node',
      [
        join(ROOT, 'bench/floor.mjs'),
        op,
        '--spec',
        ctx.spec,
        '--project',
        ctx.project,
        '--parallel',
        floorParallel,
        '--changed',
        String(ctx.changed),
      ],
    ];
  }
  const verb = scenario.startsWith('config') ? ['config'] : scenario === 'down' ? ['down', '-v'] : ['up', '-d'];
  if (tool === 'compose') return ['docker-compose', ['-f', ctx.file, '-p', ctx.project, ...verb]];
  const parallel = values.parallel ? ['--parallel', values.parallel] : [];
  return ['node', [STACK_BIN, '-f', ctx.file, '-p', ctx.project, ...parallel, ...verb]];
}

/** @param {string} project */
async function containerIds(project) {
  const f = filterQuery({ label: [`com.docker.compose.project=${project}`] });
  const list = (await direct.call('GET', `/containers/json?all=1&filters=${f}`)).json ?? [];
  return list.map((/** @type {{ Id: string, State: string }} */ c) => ({ id: c.Id, running: c.State === 'running' }));
}

/** @type {Map<string, Sample[]>} key: shape|n|scenario|tool */
const samples = new Map();
/** @param {string} shape @param {number} n @param {Scenario} scenario @param {Tool} tool @param {Sample} sample */
function addSample(shape, n, scenario, tool, sample) {
  const key = `${shape}|${n}|${scenario}|${tool}`;
  samples.set(key, [...(samples.get(key) ?? []), sample]);
}

/**
 * One tool through all scenarios on one stack.
 * @param {Tool} tool @param {'independent' | 'realistic'} shape @param {number} n
 */
async function runSequence(tool, shape, n) {
  const project = `bench-${tool}-${shape[0]}${n}`;
  const dir = join(work, project);
  mkdirSync(dir, { recursive: true });
  const changed = Math.floor(n / 2);
  const base = generateStack({ n, shape });
  const altered = generateStack({ n, shape, changed });
  const file = join(dir, 'stack.yaml');
  const spec = join(dir, 'stack.json');
  await removeProject(direct, project);
  writeFileSync(file, toComposeYaml(base));
  writeFileSync(spec, JSON.stringify(base));
  const ctx = { file, spec, project, changed };
  let failed = false;
  for (const scenario of SCENARIOS) {
    for (let k = 0; k < (REPEATED.has(scenario) ? repeat : 1); k++) {
      if (scenario === 'change one') {
        const next = k % 2 === 0 ? altered : base;
        writeFileSync(file, toComposeYaml(next));
        writeFileSync(spec, JSON.stringify(next));
      }
      if (!(await runScenario(tool, scenario, shape, n, ctx, dir, failed)) && !scenario.startsWith('config'))
        failed = true;
    }
  }
  await removeProject(direct, project);
}

/**
 * One timed command; returns whether it succeeded (after a failure the rest of the sequence is
 * skipped, except config and down).
 * @param {Tool} tool @param {Scenario} scenario @param {'independent' | 'realistic'} shape @param {number} n
 * @param {{ file: string, spec: string, project: string, changed: number }} ctx @param {string} dir @param {boolean} failed
 */
async function runScenario(tool, scenario, shape, n, ctx, dir, failed) {
  const project = ctx.project;
  const before = scenario === 'change one' ? await containerIds(project) : [];
  const [cmd, args] = commandFor(tool, scenario, ctx);
  // A cold model cache: no entries (the code cache stays; the entry is written, as on a miss).
  if (scenario === 'config cold') rmSync(join(cacheHome, 'stack', 'models'), { recursive: true, force: true });
  proxy.reset();
  const timed =
    failed && scenario !== 'down' && !scenario.startsWith('config')
      ? undefined
      : await timeCommand(cmd, args, { env, cwd: dir, timeoutMs: 600_000 });
  /** @type {Sample} */
  const sample = {
    ms: timed?.ms ?? NaN,
    cpuMs: timed?.cpuMs ?? NaN,
    load: timed?.load ?? NaN,
    reads: proxy.counts.reads,
    writes: proxy.counts.writes,
    ok: timed?.code === 0,
  };
  if (timed && timed.code !== 0) {
    sample.note = `exit ${timed.code}: ${(timed.stderr.trim().split('\n').slice(-2).join(' ') || timed.stdout.trim().slice(-200)).slice(0, 300)}`;
    process.stderr.write(`  ${tool} ${shape} n=${n} ${scenario}: ${sample.note}\n`);
  }
  if (scenario === 'cold up' || scenario === 'change one') {
    const after = await containerIds(project);
    const running = after.filter((c) => c.running).length;
    if (running !== n) {
      sample.ok = false;
      sample.note = `${running}/${n} running after ${scenario}`;
    }
    if (scenario === 'change one') sample.recreated = before.filter((c) => !after.some((a) => a.id === c.id)).length;
  }
  addSample(shape, n, scenario, tool, sample);
  process.stdout.write(
    `  ${tool.padEnd(7)} ${shape.padEnd(11)} n=${String(n).padEnd(3)} ${scenario.padEnd(11)} ${formatMs(sample.ms).padStart(8)}  cpu ${formatMs(sample.cpuMs).padStart(7)}  r/w ${sample.reads}/${sample.writes}  load ${sample.load.toFixed(2)}${sample.ok ? '' : '  FAILED'}\n`,
  );
  return sample.ok;
}

/** @param {Sample[]} list */
const okTimes = (list) => list.filter((s) => s.ok).map((s) => s.ms);
/** @param {Sample[]} list */
const okCpu = (list) => list.filter((s) => s.ok && Number.isFinite(s.cpuMs)).map((s) => s.cpuMs);
/** @param {Sample[] | undefined} list */
function requestsOf(list) {
  const last = list?.filter((s) => s.ok).at(-1) ?? list?.at(-1);
  return last ? `${last.reads}/${last.writes}` : '–';
}

function tableMarkdown() {
  const header = ['shape', 'N', 'scenario', ...tools.map((t) => `${t} median (min–max)`)];
  if (tools.includes('stack') && tools.includes('compose')) header.push('stack/compose');
  if (tools.includes('stack') && tools.includes('floor')) header.push('stack/floor', 'stack/floor CPU');
  header.push(...tools.map((t) => `${t} CPU`));
  header.push(...tools.map((t) => `${t} reqs r/w`), 'load');
  const rows = [header, header.map(() => '---')];
  for (const shape of shapes) {
    for (const n of ns) {
      for (const scenario of SCENARIOS) {
        const row = [shape, String(n), scenario];
        /** @type {Record<string, number>} */
        const med = {};
        /** @type {Record<string, number>} */
        const cpu = {};
        /** @type {number[]} */
        const loads = [];
        for (const tool of tools) {
          const list = samples.get(`${shape}|${n}|${scenario}|${tool}`) ?? [];
          const times = okTimes(list);
          cpu[tool] = okCpu(list).length ? summarize(okCpu(list)).median : NaN;
          loads.push(...list.map((s) => s.load).filter(Number.isFinite));
          const failures = list.length - times.length;
          med[tool] = times.length ? summarize(times).median : NaN;
          let cell = times.length ? formatSummary(summarize(times)) : list.length ? 'failed' : '–';
          if (failures > 0 && times.length) cell += ` (${failures} failed)`;
          const recreated = list.map((s) => s.recreated).filter((r) => r !== undefined);
          if (scenario === 'change one' && tool !== 'floor' && recreated.length)
            cell += ` [recreated ${[...new Set(recreated)].join('/')}]`;
          row.push(cell);
        }
        if (tools.includes('stack') && tools.includes('compose'))
          row.push(formatRatio(med['stack'] ?? NaN, med['compose'] ?? NaN));
        if (tools.includes('stack') && tools.includes('floor'))
          row.push(
            formatRatio(med['stack'] ?? NaN, med['floor'] ?? NaN),
            formatRatio(cpu['stack'] ?? NaN, cpu['floor'] ?? NaN),
          );
        for (const tool of tools) row.push(formatMs(cpu[tool] ?? NaN));
        for (const tool of tools) row.push(requestsOf(samples.get(`${shape}|${n}|${scenario}|${tool}`)));
        row.push(loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–');
        rows.push(row);
      }
    }
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

async function machineMarkdown() {
  const version = (await direct.call('GET', '/version')).json ?? {};
  const cpu = cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`,
    `- engine: Docker ${version.Version} (API ${version.ApiVersion}), storage ${(await direct.call('GET', '/info')).json?.Driver ?? '?'}`,
    `- node ${process.versions.node}; docker-compose ${(await timeCommand('docker-compose', ['version', '--short']).catch(() => ({ stdout: 'n/a' }))).stdout.trim()}`,
    `- load average (1 min) at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}; the load column gives its range over the cell's samples (other engineers' tests share the 2 cores)`,
    `- runs: ${runs} (${Math.min(runs, largeRuns)} at N >= 500; docker-compose up to N=${composeMaxN}), each repeating config, no-op up and change one ${repeat} times (samples per cell: ${runs * repeat} for those, ${runs} for cold up and down); stack --parallel ${values.parallel ?? '(default)'}; floor parallel ${floorParallel}; compose COMPOSE_PARALLEL_LIMIT default`,
    `- all tools reach the engine through the counting proxy (bench/lib/engine-proxy.mjs)`,
  ].join('\n');
}

try {
  const machine = await machineMarkdown();
  for (let r = 0; r < runs; r++) {
    for (const shape of shapes) {
      for (const n of ns) {
        if (n >= 500 && r >= largeRuns) continue;
        const here = tools.filter((t) => t !== 'compose' || n <= composeMaxN);
        const order = here.map((_, i) => here[(i + r) % here.length]);
        for (const tool of order) await runSequence(/** @type {Tool} */ (tool), shape, n);
      }
    }
  }
  const sections = [
    '# Benchmark results',
    '',
    machine,
    '',
    ...notes.map((n) => `> ${n}`),
    '',
    '## Scenarios',
    '',
    tableMarkdown(),
    '',
  ];
  sections.push(
    'Times are wall-clock from spawn to exit; CPU is user + system time of the command and its children (GNU time, 10 ms resolution). `reqs r/w` = engine reads (GET/HEAD) / writes (POST/PUT/DELETE) of the last successful run, counted at the proxy.',
    '`down` is `down -v` for every tool. The floor for `config` is `node -e 0`; `config cold` runs with an empty model cache (the V8 code cache warm: the caches of stack live in an `XDG_CACHE_HOME` of the bench). `[recreated k]` = containers replaced by the one-service change.',
    '',
  );
  if (!values['skip-startup'] && tools.includes('stack')) {
    const startup = await measureStartup({ runs: 15 });
    sections.push('## Start-up', '', startupMarkdown(startup), '');
  }
  if (!values['skip-parallel-sweep']) {
    const sweep = await measureParallel({
      n: 50,
      levels: [1, 4, 8, 16],
      runs: Math.max(1, Math.min(runs, 2)),
      engine: values.engine,
    });
    sections.push('## Floor cold up of 50 containers by concurrency', '', parallelMarkdown(sweep), '');
  }
  const markdown = sections.join('\n');
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, markdown);
  writeFileSync(values.out.replace(/\.md$/, '.json'), JSON.stringify(Object.fromEntries(samples), null, 1));
  process.stdout.write('\n' + markdown + '\n');
  process.stdout.write(`\nwritten to ${values.out}\n`);
} finally {
  await proxy.close();
  direct.close();
  rmSync(work, { recursive: true, force: true });
}
