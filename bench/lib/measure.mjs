// Timing and statistics for the benchmarks: spawn a command, time it wall-clock from spawn
// to exit and (through /usr/bin/time, when present) its CPU time and peak RSS, summarize runs
// as median and min-max.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const timeDir = GNU_TIME ? mkdtempSync(join(tmpdir(), 'stack-bench-time-')) : undefined;
process.on('exit', () => timeDir && rmSync(timeDir, { recursive: true, force: true }));
let timeSeq = 0;

/**
 * @typedef {object} Timed
 * @property {number} ms
 * @property {number} code
 * @property {string} stdout
 * @property {string} stderr
 * @property {number} cpuMs   user + system CPU of the command and its children (NaN without /usr/bin/time)
 * @property {number} rssKiB  peak resident set of the command (NaN without /usr/bin/time)
 * @property {number} load    1-minute load average when the command started
 */

/**
 * Runs `cmd args` and resolves with its wall time (ms), exit code and output.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number }} [options]
 * @returns {Promise<Timed>}
 */
export function timeCommand(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const load = loadavg()[0] ?? NaN;
    // GNU time writes `user sys maxrss` to its own file, so the command's stderr stays its own.
    const timeFile = timeDir ? join(timeDir, `t${timeSeq++}`) : undefined;
    const [file, argv] =
      GNU_TIME && timeFile ? [GNU_TIME, ['-q', '-o', timeFile, '-f', '%U %S %M', cmd, ...args]] : [cmd, args];
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills the command under /usr/bin/time too.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let cpuMs = NaN;
      let rssKiB = NaN;
      if (timeFile && existsSync(timeFile)) {
        // The last line: GNU time prefixes "Command exited with non-zero status N" on failure.
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
        const [user, sys, rss] = last.split(' ').map(Number);
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
        rssKiB = rss ?? NaN;
        rmSync(timeFile, { force: true });
      }
      resolve({ ms, code: code ?? (signal ? 128 : 1), stdout, stderr, cpuMs, rssKiB, load });
    });
  });
}

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : /** @type {number} */ (sorted[mid - 1] + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * @param {number[]} values
 * @returns {{ median: number, min: number, max: number, n: number }}
 */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** @param {number} ms */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

/** @param {{ median: number, min: number, max: number, n: number } | undefined} s */
export function formatSummary(s) {
  if (!s || s.n === 0) return '–';
  if (s.n === 1) return formatMs(s.median);
  return `${formatMs(s.median)} (${formatMs(s.min)}–${formatMs(s.max)})`;
}

/** @param {number} a @param {number} b */
export function formatRatio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}x`;
}
