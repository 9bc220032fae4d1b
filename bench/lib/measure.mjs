// Timing and statistics for the benchmarks: spawn a command, time it wall-clock from spawn
// to exit, summarize runs as median and min-max.
import { spawn } from 'node:child_process';

/**
 * @typedef {object} Timed
 * @property {number} ms
 * @property {number} code
 * @property {string} stdout
 * @property {string} stderr
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
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ ms, code: code ?? (signal ? 128 : 1), stdout, stderr });
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
    : /** @type {number} */ ((sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
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
