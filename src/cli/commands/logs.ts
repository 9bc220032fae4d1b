/**
 * `stack logs`: service-prefixed output of the project's containers; `-f` follows.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { listProjectContainers } from '../../engine/observe.js';
import { logFailuresError, parseLogTime, sourcesOf, streamLogs } from './log-stream.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { swarmLogs, swarmTarget } from './swarm.js';

/** The flags of `logs`. */
export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  logPrefix?: boolean;
}

/** `--tail 10` / `--tail all`. */
function parseTail(value: string | undefined): number | 'all' | undefined {
  if (value === undefined || value === 'all') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new StackError('USAGE', `--tail expects a number or "all", got "${value}"`);
  return n;
}

/** Runs `logs`. */
export async function runLogs(ctx: CliContext, services: readonly string[], flags: LogsFlags): Promise<CommandResult> {
  const tail = parseTail(flags.tail);
  const since = flags.since === undefined ? undefined : parseLogTime(flags.since, '--since');
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined)) return swarmLogs(ctx, target, services, flags);
  const engine = await openEngine(ctx);
  const containers = await listProjectContainers(engine, projectName(target), { services }, ctx.signal);
  const sources = await sourcesOf(engine, containers);
  const failures = await streamLogs(ctx, engine, sources, {
    follow: flags.follow === true,
    timestamps: flags.timestamps === true,
    signal: ctx.signal,
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(flags.logPrefix === false ? { noPrefix: true } : {}),
  });
  if (failures.length > 0 && !ctx.signal.aborted) throw logFailuresError(failures);
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

export function registerLogs(program: Command, run: Runner): void {
  program
    .command('logs')
    .description("print the output of the project's containers")
    .argument('[services...]', 'only these services')
    .option('-f, --follow', 'follow the output')
    .option('-n, --tail <lines>', 'number of lines from the end of each log, or "all"')
    .option('-t, --timestamps', 'show timestamps')
    .option(
      '--since <time>',
      'show logs since a timestamp (RFC 3339, a date, or unix seconds) or a relative time (e.g. 10m, 1h30m)',
    )
    .option('--no-log-prefix', 'do not prefix lines with the service name')
    .action((services: string[], flags: LogsFlags) => run((ctx) => runLogs(ctx, services, flags)));
}
