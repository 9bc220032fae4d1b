#!/usr/bin/env node
// The default --parallel, measured: the engine floor's cold up (and down) of N independent
// containers at several concurrency levels.
//   node bench/parallel.mjs [--n 50] [--levels 1,4,8,16] [--runs 2] [--shape independent] [--engine /var/run/docker.sock]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateStack } from './lib/generate.mjs';
import { createEngineClient, removeProject } from './lib/engine-http.mjs';
import { formatMs, formatSummary, summarize, timeCommand } from './lib/measure.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * @param {{ n?: number, levels?: number[], runs?: number, shape?: 'independent' | 'realistic', engine?: string }} [options]
 */
export async function measureParallel(options = {}) {
  const n = options.n ?? 50;
  const levels = options.levels ?? [1, 4, 8, 16];
  const runs = options.runs ?? 2;
  const shape = options.shape ?? 'independent';
  const dir = mkdtempSync(join(tmpdir(), 'stack-bench-par-'));
  const spec = join(dir, 'stack.json');
  writeFileSync(spec, JSON.stringify(generateStack({ n, shape })));
  const socketPath = options.engine ?? '/var/run/docker.sock';
  const engine = createEngineClient({ socketPath });
  const project = 'bench-parallel';
  const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}` };
  /** @type {Record<number, { up: number[], down: number[] }>} */
  const results = {};
  try {
    for (let r = 0; r < runs; r++) {
      for (const level of levels) {
        await removeProject(engine, project);
        const args = (/** @type {string} */ op) => [
          join(ROOT, 'bench/floor.mjs'),
          op,
          '--spec',
          spec,
          '--project',
          project,
          '--parallel',
          String(level),
        ];
        const up = await timeCommand('node', args('up'), { env });
        const down = await timeCommand('node', args('down'), { env });
        if (up.code !== 0 || down.code !== 0)
          throw new Error(`floor failed at parallel ${level}: ${up.stderr}${down.stderr}`);
        results[level] ??= { up: [], down: [] };
        results[level].up.push(up.ms);
        results[level].down.push(down.ms);
        process.stdout.write(
          `  floor parallel ${String(level).padEnd(2)} n=${n}: up ${formatMs(up.ms)}, down ${formatMs(down.ms)}\n`,
        );
      }
    }
  } finally {
    await removeProject(engine, project);
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    n,
    shape,
    runs,
    levels: levels.map((level) => ({
      level,
      up: summarize(results[level]?.up ?? []),
      down: summarize(results[level]?.down ?? []),
    })),
  };
}

/** @param {Awaited<ReturnType<typeof measureParallel>>} result */
export function parallelMarkdown(result) {
  const rows = ['| parallel | cold up median (min–max) | down -v median (min–max) |', '| --- | --- | --- |'];
  for (const l of result.levels) rows.push(`| ${l.level} | ${formatSummary(l.up)} | ${formatSummary(l.down)} |`);
  return `${rows.join('\n')}\n\nEngine floor (bench/floor.mjs, direct socket), ${result.n} ${result.shape} containers, ${result.runs} run(s) per level.`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '50' },
      levels: { type: 'string', default: '1,4,8,16' },
      runs: { type: 'string', default: '2' },
      shape: { type: 'string', default: 'independent' },
      engine: { type: 'string', default: '/var/run/docker.sock' },
    },
  });
  const result = await measureParallel({
    n: Number(values.n),
    levels: values.levels.split(',').map(Number),
    runs: Number(values.runs),
    shape: /** @type {'independent' | 'realistic'} */ (values.shape),
    engine: values.engine,
  });
  process.stdout.write('\n' + parallelMarkdown(result) + '\n');
}
