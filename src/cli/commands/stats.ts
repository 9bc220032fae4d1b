/**
 * `stack stats [services]`: CPU, memory, network, block I/O and PIDs of the running
 * containers, in `docker stats`' table (or `--format json` lines); a new sample every two
 * seconds until Ctrl-C, or one with `--no-stream`.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { sampleUsage } from '../../pipeline/containers.js';
import type { ContainerUsage } from '../../pipeline/containers.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { humanSize } from './containers.js';
import { formatTable } from './ps.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';

/** docker/go-units BytesSize: binary units, four significant digits (`1.203MiB`). */
export function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}

function row(u: ContainerUsage, noTrunc: boolean): Record<string, string> {
  return {
    ID: noTrunc ? u.id : u.id.slice(0, 12),
    Name: u.name,
    CPUPerc: `${u.cpuPercent.toFixed(2)}%`,
    MemUsage: `${binarySize(u.memoryUsage)} / ${binarySize(u.memoryLimit)}`,
    MemPerc: `${u.memoryPercent.toFixed(2)}%`,
    NetIO: `${humanSize(u.netRx)} / ${humanSize(u.netTx)}`,
    BlockIO: `${humanSize(u.blockRead)} / ${humanSize(u.blockWrite)}`,
    PIDs: String(u.pids),
  };
}

/** Runs `stats`. */
export async function runStats(
  ctx: CliContext,
  services: readonly string[],
  flags: { stream: boolean; format: string; noTrunc?: boolean },
): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const project = projectName(target);
  for (;;) {
    const rows = (await sampleUsage(engine, project, services, ctx.signal)).map((u) => row(u, flags.noTrunc === true));
    let text: string;
    if (flags.format === 'json') text = rows.map((r) => JSON.stringify(r) + '\n').join('');
    else
      text = formatTable(
        ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
        rows.map((r) => [
          r['ID']!,
          r['Name']!,
          r['CPUPerc']!,
          r['MemUsage']!,
          r['MemPerc']!,
          r['NetIO']!,
          r['BlockIO']!,
          r['PIDs']!,
        ]),
      );
    // Streaming on a terminal redraws in place, as docker stats does.
    if (flags.stream && ctx.stdout.isTTY && flags.format !== 'json') ctx.stdout.write('\u001b[2J\u001b[H');
    ctx.stdout.write(text);
    if (!flags.stream || ctx.signal.aborted) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (ctx.signal.aborted) break;
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

export function registerStats(program: Command, run: Runner): void {
  program
    .command('stats')
    .description("show the running containers' resource usage (a new sample every 2 s)")
    .argument('[services...]', 'only these services')
    .option('--no-stream', 'print one sample and exit')
    .option('--no-trunc', 'do not truncate container IDs')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-a, --all', 'accepted for Compose compatibility (only running containers have usage)')
    .action((services: string[], flags: { stream: boolean; format: string; trunc?: boolean }) =>
      run((ctx) =>
        runStats(ctx, services, { stream: flags.stream, format: flags.format, noTrunc: flags.trunc === false }),
      ),
    );
}
