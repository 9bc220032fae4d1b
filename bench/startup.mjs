#!/usr/bin/env node
// `stack config` start-up against `node -e 0` (the target: at most 2.5x), median of >= 10
// interleaved runs each, on the small hello fixture. `node bench/startup.mjs [--runs 15]`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatMs, formatRatio, formatSummary, summarize, timeCommand } from './lib/measure.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * @param {{ runs?: number, file?: string }} [options]
 */
export async function measureStartup(options = {}) {
  const runs = Math.max(10, options.runs ?? 15);
  const file = options.file ?? join(ROOT, 'fixtures/hello/stack.yaml');
  const env = { ...process.env, NO_COLOR: '1' };
  /** @type {Record<string, number[]>} */
  const times = { 'node -e 0': [], 'stack version': [], 'stack config': [] };
  /** @type {Record<string, [string, string[]]>} */
  const commands = {
    'node -e 0': ['node', ['-e', '0']],
    'stack version': ['node', [join(ROOT, 'bin/stack.cjs'), 'version']],
    'stack config': ['node', [join(ROOT, 'bin/stack.cjs'), '-f', file, '-p', 'bench-startup', 'config']],
  };
  let failure;
  // One warm-up each (file cache), then interleaved runs.
  for (const [cmd, args] of Object.values(commands)) await timeCommand(cmd, args, { env });
  for (let i = 0; i < runs; i++) {
    for (const [name, [cmd, args]] of Object.entries(commands)) {
      const t = await timeCommand(cmd, args, { env });
      if (t.code !== 0) failure ??= `${name} exited ${t.code}: ${t.stderr.trim().split('\n')[0]}`;
      times[name]?.push(t.ms);
    }
  }
  return { runs, times: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarize(v)])), failure };
}

/** @param {Awaited<ReturnType<typeof measureStartup>>} result */
export function startupMarkdown(result) {
  const base = result.times['node -e 0']?.median ?? NaN;
  const rows = ['| command | median (min–max) | ratio to node -e 0 |', '| --- | --- | --- |'];
  for (const [name, s] of Object.entries(result.times))
    rows.push(`| ${name} | ${formatSummary(s)} | ${formatRatio(s.median, base)} |`);
  const lines = [
    rows.join('\n'),
    '',
    `${result.runs} interleaved runs each after one warm-up; target: \`stack config\` ≤ 2.5x \`node -e 0\`.`,
  ];
  if (result.failure) lines.push('', `> a run failed: ${result.failure}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
  const result = await measureStartup({ runs: Number(values.runs) });
  process.stdout.write(startupMarkdown(result) + '\n');
  const stack = result.times['stack config']?.median ?? NaN;
  process.stdout.write(
    `\nstack config ${formatMs(stack)} = ${formatRatio(stack, result.times['node -e 0']?.median ?? NaN)} node -e 0\n`,
  );
}
