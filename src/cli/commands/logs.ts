/**
 * `stack logs`: service-prefixed output of the project's containers; `-f` follows them as
 * Compose v2 does: containers that start later (a scale up, a recreate, a restart) are followed
 * too, each exit is reported, and it ends when none is left running, or at Ctrl-C. `--index N`
 * reads one replica of one service, `--since`/`--until` bound the lines in time.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { listProjectContainers } from '../../engine/observe.js';
import type { EngineContainer, Engine } from '../../engine/types.js';
import { Label } from '../../labels.js';
import { commandScope, inScope } from '../../pipeline/lifecycle.js';
import type { StackModel } from '../../model.js';
import {
  createLogFollower,
  followStarts,
  logFailuresError,
  parseLogTime,
  prefixOf,
  reportExit,
  sourcesOf,
  streamLogs,
} from './log-stream.js';
import type { FollowFrom } from './log-stream.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { parseIndex } from '../options.js';
import { swarmLogs, swarmTarget } from './swarm.js';

/** The flags of `logs`. */
export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  index?: string;
  logPrefix?: boolean;
  /** `--no-color` sets this to false. */
  color?: boolean;
}

/** `--tail 10` / `--tail all`. */
function parseTail(value: string | undefined): number | 'all' | undefined {
  if (value === undefined || value === 'all') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new StackError('USAGE', `--tail expects a number or "all", got "${value}"`);
  return n;
}

/** `--index N` (Compose: one service named, N ≥ 1); undefined without the flag. */
function replicaIndex(value: string | undefined, services: readonly string[]): number | undefined {
  if (value === undefined) return undefined;
  const n = parseIndex(value);
  if (services.length !== 1)
    throw new StackError('USAGE', '--index requires one service to be selected (stack logs --index 2 web)');
  return n;
}

/**
 * The services `logs` reads, as Compose: the named ones; without names, the services of the
 * loaded files (not the project's other files) but those with `attach: false` (all of them
 * when every one has it); a project known only by name: all its containers.
 */
function logsScope(
  target: StackModel | { project: string },
  services: readonly string[],
): readonly string[] | undefined {
  const scope = commandScope(target, services);
  if (services.length > 0 || !scope || !('services' in target)) return scope;
  const attached = scope.filter((s) => target.services[s]?.attach !== false);
  return attached.length > 0 ? attached : scope;
}

/** Runs `logs`. */
export async function runLogs(ctx: CliContext, services: readonly string[], flags: LogsFlags): Promise<CommandResult> {
  const tail = parseTail(flags.tail);
  const since = flags.since === undefined ? undefined : parseLogTime(flags.since, '--since');
  const until = flags.until === undefined ? undefined : parseLogTime(flags.until, '--until');
  const index = replicaIndex(flags.index, services);
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined))
    return swarmLogs(ctx, target, services, {
      ...(flags.follow ? { follow: true } : {}),
      ...(flags.tail !== undefined ? { tail: flags.tail } : {}),
      ...(flags.timestamps ? { timestamps: true } : {}),
      ...(flags.logPrefix === false ? { logPrefix: false } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(index !== undefined ? { index } : {}),
    });
  const engine = await openEngine(ctx);
  const scope = logsScope(target, services);
  const containers = inScope(
    await listProjectContainers(engine, projectName(target), { services: scope ?? [] }, ctx.signal),
    scope,
  ).filter((c) => index === undefined || (c.Labels ?? {})[Label.containerNumber] === String(index));
  // Valid input the project's state does not match (exit 1, as Compose and `exec --index`).
  if (index !== undefined && containers.length === 0)
    throw new StackError('APPLY_FAILED', `service "${services[0]!}" has no container number ${index}`);
  const shown = {
    ...(until !== undefined ? { until } : {}),
    ...(flags.logPrefix === false ? { noPrefix: true } : {}),
    ...(flags.color === false ? { color: false } : {}),
  };
  if (flags.follow === true)
    return followLogs(ctx, engine, target, containers, {
      ...(scope ? { services: new Set(scope) } : {}),
      ...(index !== undefined ? { index } : {}),
      timestamps: flags.timestamps === true,
      shown,
      from: { ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { since } : {}) },
    });
  const sources = await sourcesOf(engine, containers);
  const failures = await streamLogs(ctx, engine, sources, {
    follow: false,
    timestamps: flags.timestamps === true,
    signal: ctx.signal,
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since } : {}),
    ...shown,
  });
  if (failures.length > 0 && !ctx.signal.aborted) throw logFailuresError(failures);
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

/**
 * `logs -f`: every listed container's output from `--since`/`--tail`, then (through the
 * engine's event stream, as attached `up`) every container of the scope that starts later,
 * restarts included, with `<container> exited with code N` lines; ends when no followed
 * container is left running, or at Ctrl-C (130).
 */
async function followLogs(
  ctx: CliContext,
  engine: Engine,
  target: StackModel | { project: string },
  containers: readonly EngineContainer[],
  options: {
    readonly services?: ReadonlySet<string>;
    readonly index?: number;
    readonly timestamps: boolean;
    readonly shown: { readonly until?: number; readonly noPrefix?: boolean; readonly color?: boolean };
    readonly from: FollowFrom;
  },
): Promise<CommandResult> {
  const startedMs = Date.now();
  const { superviseAttached } = await import('../../pipeline/attach.js');
  const follower = createLogFollower(ctx, engine, {
    width: Math.max(0, ...containers.map((c) => prefixOf(c).length)),
    signal: ctx.signal,
    timestamps: options.timestamps,
    ...options.shown,
  });
  for (const source of await sourcesOf(engine, containers)) follower.follow(source, options.from);
  const running = containers.filter((c) => c.State === 'running' || c.State === 'restarting');
  const started = followStarts(engine, follower);
  const outcome = await superviseAttached(engine, projectName(target), running, 0, {
    notBeforeMs: startedMs,
    ...(options.services ? { services: options.services } : {}),
    ...(options.index !== undefined ? { index: options.index } : {}),
    signal: ctx.signal,
    // The listed containers are followed already; a later start is followed from where it stopped.
    onStart: (c, since) => {
      if (since === undefined) started(c);
    },
    onExit: (exit) => reportExit(follower, exit),
  });
  await follower.settled();
  if (outcome.reason === 'engine-lost')
    throw new StackError(
      'ENGINE_UNREACHABLE',
      'the engine stopped answering while logs -f was following (its event stream ended): is dockerd still running?',
    );
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
    .option(
      '--until <time>',
      'show logs before a timestamp (RFC 3339, a date, or unix seconds) or a relative time (e.g. 10m, 1h30m)',
    )
    .option('--index <n>', 'index of the container if the service has replicas (one service named)')
    .option('--no-color', 'monochrome output')
    .option('--no-log-prefix', 'do not prefix lines with the service name')
    .action((services: string[], flags: LogsFlags) => run((ctx) => runLogs(ctx, services, flags)));
}
