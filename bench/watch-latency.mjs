#!/usr/bin/env node
// Watch-mode latency, side by side with the plain docker CLI doing the same work:
//   sync:     save a file → it is inside the container   vs  `docker cp file app:/app/src/`
//   recreate: save the stack file → service recreated    vs  `docker restart app`
// "Done" for stack is the reload line `stack watch` prints after the work finished (the
// upload returns once the engine extracted the tar; the recreate once the new container
// started). Usage: npm run build && node bench/watch-latency.mjs [--runs 10]
// (STACK_BENCH_BIN=path/to/stack.cjs runs another build of the CLI.)
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argRuns = process.argv.indexOf('--runs');
const RUNS = Number(argRuns > 0 ? process.argv[argRuns + 1] : (process.env.WATCH_BENCH_RUNS ?? 10));
const project = `bench-watch-${Math.random().toString(36).slice(2, 8)}`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const docker = async (...args) => (await run('docker', args)).stdout.trim();

async function containerId(service) {
  return docker(
    'ps',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'stack-bench-watch-'));
cpSync(join(ROOT, 'fixtures', 'watch-sync'), dir, { recursive: true });
const stackFile = join(dir, 'stack.yaml');
const original = readFileSync(stackFile, 'utf8');

let stdout = '';
let stderr = '';
const child = spawn(
  process.execPath,
  [process.env.STACK_BENCH_BIN ?? join(ROOT, 'bin', 'stack.cjs'), '-p', project, 'watch'],
  { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
);
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));
const reloads = () => stdout.split('\n').filter((l) => /^[↻✗] /.test(l));

async function until(predicate, what, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (child.exitCode !== null || Date.now() > end)
      throw new Error(`${what}: ${child.exitCode !== null ? 'stack watch exited' : 'timeout'}\n${stdout}\n${stderr}`);
    await sleep(2);
  }
}

/** Runs `action` and resolves when the next reload line appears; returns elapsed ms. */
async function timedReload(action) {
  const before = reloads().length;
  const t0 = performance.now();
  action();
  await until(() => reloads().length > before, 'reload');
  const line = reloads().at(-1);
  if (!line.startsWith('↻')) throw new Error(`reload failed: ${line}\n${stderr}`);
  return performance.now() - t0;
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const results = { stackSync: [], dockerCp: [], stackRecreate: [], dockerRestart: [] };
try {
  await until(() => reloads().length >= 1, 'initial up');
  for (let i = 0; i < RUNS; i++) {
    await sleep(300);
    results.stackSync.push(await timedReload(() => writeFileSync(join(dir, 'src', 'bench.txt'), `run ${i}`)));
    const app = await containerId('app');
    const check = await docker('exec', app, 'cat', '/app/src/bench.txt');
    if (check !== `run ${i}`) throw new Error(`sync check failed: ${check}`);
    writeFileSync(join(dir, 'cp.txt'), `cp ${i}`);
    results.dockerCp.push(await timed(() => docker('cp', join(dir, 'cp.txt'), `${app}:/app/src/cp.txt`)));
  }
  for (let i = 0; i < RUNS; i++) {
    await sleep(300);
    results.stackRecreate.push(
      await timedReload(() => writeFileSync(stackFile, original.replace('GREETING: hello', `GREETING: bench-${i}`))),
    );
    const app = await containerId('app');
    results.dockerRestart.push(await timed(() => docker('restart', app)));
  }
  const row = (label, xs) =>
    `${label.padEnd(34)} ${median(xs).toFixed(0).padStart(6)} ms   (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;
  console.log(`watch latency, median of ${RUNS} (stack applies the first save of a burst at once; its 100 ms quiet period only coalesces the rest)`);
  console.log(row('save → file in container (stack)', results.stackSync));
  console.log(row('docker cp (same file)', results.dockerCp));
  console.log(row('save → service recreated (stack)', results.stackRecreate));
  console.log(row('docker restart (same container)', results.dockerRestart));
  console.log(
    JSON.stringify({
      bench: 'watch-latency',
      runs: RUNS,
      medianMs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])),
    }),
  );
} finally {
  child.kill('SIGINT');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`))
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) await docker('rm', '-f', ...ids);
  const nets = (await docker('network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`))
    .split('\n')
    .filter(Boolean);
  if (nets.length > 0) await docker('network', 'rm', ...nets);
  rmSync(dir, { recursive: true, force: true });
}
