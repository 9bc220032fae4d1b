/**
 * `stack up`: the pipeline's upStack (lock → images → observe → plan → execute), then `--wait`
 * for health, or (attached, the default) print service-prefixed logs until Ctrl-C, which stops
 * the stack gracefully.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { Engine } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { listProjectContainers } from '../../engine/observe.js';
import { changeServiceStates } from '../../pipeline/lifecycle.js';
import { selectedServices, upStack } from '../../pipeline/stack.js';
import type { UpStackOptions } from '../../pipeline/stack.js';
import { waitForServices } from '../../pipeline/settle.js';
import { followProjectLogs, sourcesOf, streamLogsReporting } from './log-stream.js';
import { loadProject, openEngine } from './session.js';
import { swarmTarget, swarmUp } from './swarm.js';
import type { PlanFlags } from '../options.js';
import { collect, operationHooks, parseSeconds, upStackOptions } from '../options.js';

/** The flags of `up`. */
export interface UpFlags extends PlanFlags {
  detach?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  scale: string[];
  yes?: boolean;
  watch?: boolean;
}

/** Runs `up`. */
export async function runUp(ctx: CliContext, services: readonly string[], flags: UpFlags): Promise<CommandResult> {
  const waitTimeout = parseSeconds(flags.waitTimeout, '--wait-timeout');
  if (flags.watch && (flags.detach || flags.wait)) throw new StackError('USAGE', '--watch runs attached; it cannot be combined with --detach or --wait');
  upStackOptions(services, flags);
  const loaded = await loadProject(ctx, services);
  if (swarmTarget(ctx, loaded)) {
    return swarmUp(ctx, services, {
      ...(flags.detach ? { detach: true } : {}),
      ...(flags.wait ? { wait: true } : {}),
      ...(flags.build !== undefined ? { build: flags.build } : {}),
      ...(flags.removeOrphans ? { removeOrphans: true } : {}),
      ...(waitTimeout !== undefined ? { waitTimeout } : {}),
    });
  }
  const options = upStackOptions(services, flags, loaded);
  const selected = await selectedServices(loaded, options.plan);
  const engine = await openEngine(ctx);
  const hooks = await operationHooks(ctx, { yes: flags.yes === true, command: `stack up${services.length > 0 ? ' ' + services.join(' ') : ''}`, ...(waitTimeout !== undefined ? { waitTimeoutMs: waitTimeout * 1000 } : {}) });
  const result = await upStack(engine, loaded, options, hooks);
  const model = result.model ?? loaded;
  if (flags.watch) return watchAttached(ctx, engine, model, services, selected, result.startedAt, options, flags.yes === true);
  if (flags.wait) {
    await waitForServices(engine, model, selected, { ...(options.plan.scale ? { scale: options.plan.scale } : {}), timeoutMs: (waitTimeout ?? 300) * 1000, signal: ctx.signal });
    return ExitCode.ok;
  }
  if (flags.detach || flags.start === false) return ExitCode.ok;

  // Attached: logs from the moment this run started, until every container ends or Ctrl-C.
  const containers = await listProjectContainers(engine, model.name, { services: [...selected] }, ctx.signal);
  const sources = await sourcesOf(engine, containers);
  // The log streams outlive Ctrl-C: what containers print while stopping is still shown, and
  // each stream ends when its container stops. A second Ctrl-C exits at once (the frame).
  const logs = new AbortController();
  let stopping: Promise<void> | undefined;
  const onInterrupt = (): void => {
    stopping = stopGracefully(ctx, engine, model, selected).finally(() => logs.abort());
  };
  if (ctx.signal.aborted) onInterrupt();
  else ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  try {
    await streamLogsReporting(ctx, engine, sources, { follow: true, since: result.startedAt, timestamps: false, signal: logs.signal });
    await stopping;
  } finally {
    ctx.signal.removeEventListener('abort', onInterrupt);
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

/** Stops the selected services' containers, dependents first (attached `up` after Ctrl-C). */
async function stopGracefully(ctx: CliContext, engine: Engine, model: StackModel, selected: ReadonlySet<string>): Promise<void> {
  ctx.stderr.write('Gracefully stopping... (press Ctrl-C again to force)\n');
  await changeServiceStates(engine, model, 'stop', { services: [...selected], onDone: (name) => ctx.stderr.write(` Container ${name}  Stopped\n`) });
}

/**
 * `up --watch`: logs of every container of the selection (recreated ones included) while the
 * watch session reloads on each change with the same options as this `up`; Ctrl-C stops
 * watching, then stops the stack like attached `up`.
 */
async function watchAttached(ctx: CliContext, engine: Engine, model: StackModel, services: readonly string[], selected: ReadonlySet<string>, startedAt: number, options: UpStackOptions, yes: boolean): Promise<CommandResult> {
  const { createWatchReconcile } = await import('./watch.js');
  const { runWatchSession } = await import('../../watch/session.js');
  const logs = new AbortController();
  const initial = await sourcesOf(engine, await listProjectContainers(engine, model.name, { services: [...selected] }, ctx.signal));
  const following = followProjectLogs(ctx, engine, model.name, initial, { since: startedAt, services: [...selected], signal: logs.signal });
  try {
    return await runWatchSession(ctx, model, {
      reconcile: createWatchReconcile(ctx, engine, options, yes),
      services,
      engine,
      stopOnExit: async (latest) => stopGracefully(ctx, engine, latest, await selectedServices(latest, options.plan)),
    });
  } finally {
    logs.abort();
    await following;
  }
}

export function registerUp(program: Command, run: Runner): void {
  program
    .command('up')
    .description('create and start the stack (attached: print logs until Ctrl-C)')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('-d, --detach', 'run in the background')
    .option('--force-recreate', 'recreate the named services\' containers even if their configuration is unchanged')
    .option('--always-recreate-deps', 'recreate the dependencies of the named services too')
    .option('--no-recreate', 'never recreate existing containers')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .option('--remove-orphans', 'remove containers of services no longer in the stack file')
    .option('-V, --renew-anon-volumes', 'recreate anonymous volumes instead of carrying them over')
    .option('--wait', 'wait until services are running/healthy (implies --detach)')
    .option('--wait-timeout <seconds>', 'timeout for --wait and depends_on conditions')
    .option('--scale <service=n>', 'number of replicas of a service (repeatable)', collect, [])
    .option('-y, --yes', 'apply destructive actions without asking')
    .option('--no-start', 'create but do not start containers')
    .option('--build', 'build images before starting, even when they exist')
    .option('--no-build', 'never build; fail when an image with a build section is missing')
    .option('--pull <policy>', 'pull images: policy (each service\'s pull_policy, default), always, missing, never')
    .option('--no-lock', 'ignore stack.lock.json (use the tags in the stack file)')
    .option('-w, --watch', 'watch the stack files and develop.watch paths and apply every change (attached)')
    .action((services: string[], flags: UpFlags) => run((ctx) => runUp(ctx, services, flags)));
}
