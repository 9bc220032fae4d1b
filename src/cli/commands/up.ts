/**
 * `stack up`: the pipeline's upStack (lock → images → observe → plan → execute), then `--wait`
 * for health, or (attached, the default) print service-prefixed logs until Ctrl-C, which stops
 * the stack gracefully.
 */
import type { HookOutput } from '../../pipeline/container-extras.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { Engine, EngineContainer } from '../../engine/types.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { listProjectContainers } from '../../engine/observe.js';
import { changeServiceStates } from '../../pipeline/lifecycle.js';
import type { LifecycleFailure } from '../../pipeline/lifecycle.js';
import { selectedServices, upStack } from '../../pipeline/stack.js';
import type { UpStackOptions } from '../../pipeline/stack.js';
import { waitForServices } from '../../pipeline/settle.js';
import { createLogFollower, followStarts, prefixOf, reportExit } from './log-stream.js';
import type { LogFollower } from './log-stream.js';
import { openEngine } from './session.js';
import { loadForTarget, registryAuthIsSwarmOnly, swarmUp } from './swarm.js';
import type { PlanFlags } from '../options.js';
import { checkServices, collect, operationHooks, parseSeconds, upStackOptions } from '../options.js';
import { leftRunning, reportRunning } from '../../render/progress.js';

/** The flags of `up`. */
export interface UpFlags extends PlanFlags {
  detach?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  scale: string[];
  yes?: boolean;
  watch?: boolean;
  /** Attached mode (Compose v2's flags). */
  attach?: string[];
  noAttach?: string[];
  attachDependencies?: boolean;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  /** `--no-color` sets this to false; `--no-log-prefix` sets `logPrefix` to false. */
  color?: boolean;
  logPrefix?: boolean;
  timestamps?: boolean;
  timeout?: string;
  /** Swarm target: send registry credentials with service creates/updates. */
  withRegistryAuth?: boolean;
}

/**
 * The services whose output attached `up` prints (Compose v2): `--attach` when given, as named
 * (`attach: false` services too), else the named services (with `--attach-dependencies` their
 * dependencies too), else every selected one, leaving out those with `attach: false`; minus
 * `--no-attach`.
 */
export function attachedServices(
  model: StackModel,
  selected: ReadonlySet<string>,
  services: readonly string[],
  flags: Pick<UpFlags, 'attach' | 'noAttach' | 'attachDependencies'>,
): Set<string> {
  const attach = flags.attach ?? [];
  const base =
    attach.length > 0
      ? attach
      : (services.length > 0 && !flags.attachDependencies ? services : [...selected]).filter(
          (s) => model.services[s]?.attach !== false,
        );
  return new Set(base.filter((s) => !(flags.noAttach ?? []).includes(s)));
}

/** Usage errors of the attached flags, before anything is loaded or touched. */
function checkAttachFlags(flags: UpFlags): void {
  const aborting = flags.abortOnContainerExit || flags.abortOnContainerFailure || flags.exitCodeFrom !== undefined;
  if (aborting && (flags.detach || flags.wait))
    throw new StackError(
      'USAGE',
      '--abort-on-container-exit, --abort-on-container-failure and --exit-code-from need an attached up: ' +
        'drop -d/--wait',
    );
  if (flags.abortOnContainerExit && flags.abortOnContainerFailure)
    throw new StackError('USAGE', '--abort-on-container-exit and --abort-on-container-failure cannot be combined');
  const attach = (flags.attach ?? []).length > 0;
  if ((attach || flags.attachDependencies) && (flags.detach || flags.wait))
    throw new StackError('USAGE', '--attach and --attach-dependencies need an attached up: drop -d/--wait');
  if (attach && flags.attachDependencies)
    throw new StackError('USAGE', '--attach and --attach-dependencies cannot be combined');
}

/** The services the attached flags name must exist (Compose refuses `--attach` and `--exit-code-from` typos). */
function checkAttachServices(model: StackModel, flags: UpFlags): void {
  checkServices(model, flags.attach ?? [], 'service in --attach');
  checkServices(model, flags.noAttach ?? [], 'service in --no-attach');
  checkServices(model, flags.exitCodeFrom === undefined ? [] : [flags.exitCodeFrom], 'service in --exit-code-from');
}

/** Runs `up`. */
export async function runUp(ctx: CliContext, services: readonly string[], flags: UpFlags): Promise<CommandResult> {
  const commandStartedMs = Date.now();
  const waitTimeout = parseSeconds(flags.waitTimeout, '--wait-timeout');
  checkAttachFlags(flags);
  if (flags.watch && (flags.detach || flags.wait))
    throw new StackError('USAGE', '--watch runs attached; it cannot be combined with --detach or --wait');
  upStackOptions(services, flags);
  // The swarm target loads the file itself (with its raw deploy: keys): never twice.
  const chosen = await loadForTarget(ctx, services);
  if (chosen.target === 'swarm') {
    return swarmUp(
      ctx,
      services,
      {
        ...(flags.detach ? { detach: true } : {}),
        ...(flags.wait ? { wait: true } : {}),
        ...(flags.build !== undefined ? { build: flags.build } : {}),
        ...(flags.removeOrphans ? { removeOrphans: true } : {}),
        ...(flags.lock === false ? { lock: false } : {}),
        ...(waitTimeout !== undefined ? { waitTimeout } : {}),
        ...(flags.withRegistryAuth ? { withRegistryAuth: true } : {}),
      },
      chosen.loaded,
    );
  }
  const loaded = chosen.model;
  checkAttachServices(loaded, flags);
  if (flags.withRegistryAuth) throw registryAuthIsSwarmOnly();
  const options = upStackOptions(services, flags, loaded);
  const selected = await selectedServices(loaded, options.plan);
  const engine = await openEngine(ctx);
  const hooks = await operationHooks(ctx, {
    yes: flags.yes === true,
    command: `stack up${services.length > 0 ? ' ' + services.join(' ') : ''}`,
    ...(waitTimeout !== undefined ? { waitTimeoutMs: waitTimeout * 1000 } : {}),
    quiet: flags,
  });
  // Attached, hook output goes to the log stream as Compose shows it (`web-1 -> | line`); detached it
  // is only in a failing hook's error, as in Compose.
  const attached = !flags.detach && !flags.wait && flags.start !== false;
  const onHookOutput = ({ source, line }: HookOutput): void =>
    void ctx.stdout.write(flags.logPrefix === false ? `${line}\n` : `${source} | ${line}\n`);
  const result = await upStack(engine, loaded, options, attached ? { ...hooks, onHookOutput } : hooks);
  const model = result.model ?? loaded;
  if (!attached && !ctx.globals.dryRun) reportRunning(ctx, leftRunning(result.observed, result.plan, selected));
  const run: AttachedRun = {
    ctx,
    engine,
    model,
    services,
    selected,
    times: { since: result.startedAt, notBeforeMs: commandStartedMs },
    flags,
  };
  if (flags.watch) return watchAttached(run, options);
  if (flags.wait) {
    await waitForServices(engine, model, selected, {
      ...(options.plan.scale ? { scale: options.plan.scale } : {}),
      timeoutMs: (waitTimeout ?? 300) * 1000,
      signal: ctx.signal,
    });
    return ExitCode.ok;
  }
  if (flags.detach || flags.start === false) return ExitCode.ok;

  return runAttached(run);
}

/** What an attached `up` (plain or `--watch`) follows: the run's services and where its logs begin. */
interface AttachedRun {
  readonly ctx: CliContext;
  readonly engine: Engine;
  readonly model: StackModel;
  /** The services named on the command line. */
  readonly services: readonly string[];
  /** Those and their dependencies (unless --no-deps). */
  readonly selected: ReadonlySet<string>;
  readonly times: { since: number; notBeforeMs: number };
  readonly flags: UpFlags;
}

/**
 * Attached `up`, as Compose v2: prefixed logs of the attached containers (restarted and
 * recreated ones too), `<container> exited with code N` lines, the end when none is left
 * running, or at the first exit (`--abort-on-container-exit`, `--exit-code-from`) or failure
 * (`--abort-on-container-failure`), which stops the others. The first Ctrl-C stops the services
 * this `up` was given (all when none was named), gracefully; a second kills them. Exit code:
 * the `--exit-code-from` service's (or, when aborting, the first exit's), 130 after Ctrl-C,
 * else 0.
 */
async function runAttached(run: AttachedRun): Promise<CommandResult> {
  const { ctx, engine, model, services, selected, times, flags } = run;
  const { superviseAttached } = await import('../../pipeline/attach.js');
  const { changeServiceStates } = await import('../../pipeline/lifecycle.js');
  const attached = attachedServices(model, selected, services, flags);
  const exitCodeFrom = flags.exitCodeFrom;
  // The services whose exits are shown and waited for (Compose's monitor): the attached ones and
  // the named ones (`attach: false` or `--no-attach` keeps only their output out), else all.
  const watched = new Set([...attached, ...services, ...(exitCodeFrom !== undefined ? [exitCodeFrom] : [])]);
  if (watched.size === 0) for (const s of selected) watched.add(s);
  // What Ctrl-C and an abort stop (Compose stops the services `up` was given, else all of them),
  // and whatever the session waits for.
  const stopped = new Set([...(services.length > 0 ? services : selected), ...watched]);
  const abortOn = flags.abortOnContainerFailure
    ? 'failure'
    : flags.abortOnContainerExit || exitCodeFrom !== undefined
      ? 'exit'
      : undefined;
  const timeout = parseSeconds(flags.timeout, '-t/--timeout');
  const containers = await listProjectContainers(engine, model.name, { services: [...selected] }, ctx.signal);
  // The log streams outlive Ctrl-C and the abort: what containers print while stopping is shown.
  const logs = new AbortController();
  const follower = attachedFollower(ctx, engine, containers, flags, logs.signal);
  const stop = (services: Iterable<string>, verb: 'stop' | 'kill'): Promise<LifecycleFailure[]> =>
    changeServiceStates(engine, model, verb, {
      services: [...services],
      ...(timeout !== undefined ? { timeoutSeconds: Math.round(timeout) } : {}),
      onDone: (name) => ctx.stderr.write(` Container ${name}  ${verb === 'kill' ? 'Killed' : 'Stopped'}\n`),
    });
  ctx.setInterruptBehavior({
    message: 'Gracefully stopping... (press Ctrl+C again to force)',
    onForce: async () => void (await stop(stopped, 'kill')),
  });
  // Ctrl-C stops them, and the session goes on until the watched containers are gone: their
  // last output and exit lines are printed as Compose prints them while stopping. Ended early
  // only when a stop fails (a container it could not stop would keep the session open).
  const supervision = new AbortController();
  let stopping: Promise<unknown> | undefined;
  const onInterrupt = (): void => {
    stopping ??= stop(stopped, 'stop').then((failures) => {
      if (failures.length > 0) supervision.abort();
    });
  };
  if (ctx.signal.aborted) onInterrupt();
  else ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  let outcome;
  const follow = followStarts(engine, follower);
  try {
    outcome = await superviseAttached(engine, model.name, containers, times.since, {
      notBeforeMs: times.notBeforeMs,
      services: watched,
      ...(abortOn ? { abortOn } : {}),
      signal: supervision.signal,
      onStart: (container, since) => {
        if (attached.has(container.service)) follow(container, since);
      },
      onExit: (exit) => reportExit(follower, exit),
      // An abort stops them too (Compose); their exits end the session.
      onAbort: () => {
        if (ctx.signal.aborted) return; // stopping already, on Ctrl-C
        ctx.stderr.write('Aborting on container exit...\n');
        stopping ??= stop(stopped, 'stop');
      },
    });
    await stopping;
  } finally {
    ctx.signal.removeEventListener('abort', onInterrupt);
    // Every attached container has exited: their streams end by themselves once drained (the
    // last run's output too). Otherwise (a failure, a lost engine) they are cut; so are they at
    // a Ctrl-C from now on.
    const natural = outcome !== undefined && (outcome.reason === 'all-exited' || outcome.reason === 'aborted');
    if (!natural) logs.abort();
    else ctx.signal.addEventListener('abort', () => logs.abort(), { once: true });
    await follower.settled();
  }
  if (outcome.reason === 'interrupted' || ctx.signal.aborted) return ExitCode.interrupted;
  if (outcome.reason === 'engine-lost')
    throw new StackError(
      'ENGINE_UNREACHABLE',
      'the engine stopped answering while up was attached (its event stream ended): is dockerd still running? ' +
        'The containers may still run; `stack ps` tells once it answers',
    );
  if (exitCodeFrom !== undefined)
    return [...outcome.exits].reverse().find((e) => e.service === exitCodeFrom)?.exitCode ?? ExitCode.ok;
  if (outcome.reason === 'aborted') return outcome.trigger?.exitCode ?? ExitCode.ok;
  return ExitCode.ok;
}

/** The log follower of attached `up` and `up --watch`: `--no-log-prefix`, `--timestamps`, `--no-color`. */
function attachedFollower(
  ctx: CliContext,
  engine: Engine,
  containers: readonly EngineContainer[],
  flags: Pick<UpFlags, 'logPrefix' | 'timestamps' | 'color'>,
  signal: AbortSignal,
): LogFollower {
  return createLogFollower(ctx, engine, {
    width: Math.max(0, ...containers.map((c) => prefixOf(c).length)),
    signal,
    ...(flags.logPrefix === false ? { noPrefix: true } : {}),
    ...(flags.timestamps ? { timestamps: true } : {}),
    ...(flags.color === false ? { color: false } : {}),
  });
}

/** Stops the selected services' containers, dependents first (attached `up` after Ctrl-C). */
async function stopGracefully(
  ctx: CliContext,
  engine: Engine,
  model: StackModel,
  selected: ReadonlySet<string>,
): Promise<void> {
  ctx.stderr.write('Gracefully stopping... (press Ctrl-C again to force)\n');
  await changeServiceStates(engine, model, 'stop', {
    services: [...selected],
    onDone: (name) => ctx.stderr.write(` Container ${name}  Stopped\n`),
  });
}

/**
 * `up --watch`: the logs of the selection's containers, followed as attached `up` follows them
 * (a container recreated by a reload, or restarted by the engine, from its first line; exit
 * lines), while the watch session reloads on each change with the same options as this `up`.
 * The attached services are chosen as for attached `up`; without names or `--attach`/
 * `--no-attach`, every service is followed, one a reload adds too. Ctrl-C stops
 * watching, then stops the stack like attached `up`.
 */
async function watchAttached(run: AttachedRun, options: UpStackOptions): Promise<CommandResult> {
  const { ctx, engine, model, services, selected, times, flags } = run;
  const { createWatchReconcile, runWatchSession } = await import('./watch.js');
  const { superviseAttached } = await import('../../pipeline/attach.js');
  const logs = new AbortController();
  const containers = await listProjectContainers(engine, model.name, { services: [...selected] }, ctx.signal);
  const follower = attachedFollower(ctx, engine, containers, flags, logs.signal);
  const chosen =
    services.length > 0 ||
    (flags.attach ?? []).length > 0 ||
    (flags.noAttach ?? []).length > 0 ||
    Object.values(model.services).some((s) => s.attach === false);
  const following = superviseAttached(engine, model.name, containers, times.since, {
    notBeforeMs: times.notBeforeMs,
    ...(chosen ? { services: attachedServices(model, selected, services, flags) } : {}),
    untilSignal: true,
    signal: logs.signal,
    onStart: followStarts(engine, follower),
    onExit: (exit) => reportExit(follower, exit),
  });
  following.catch(() => undefined); // awaited below; the engine gone is not an unhandled rejection meanwhile
  try {
    return await runWatchSession(ctx, model, {
      reconcile: createWatchReconcile(ctx, engine, options, flags.yes === true),
      services,
      engine,
      stopOnExit: async (latest) => stopGracefully(ctx, engine, latest, await selectedServices(latest, options.plan)),
    });
  } finally {
    logs.abort();
    await following;
    await follower.settled();
  }
}

/**
 * A repeatable value option whose name starts with `no-` (`--no-attach web`): commander would
 * read it as the negation of `--attach`; this one is a list of its own (`noAttach`).
 */
function listOption(flags: string, description: string): Option {
  const option = new Option(flags, description).argParser(collect).default([]);
  option.negate = false;
  return option;
}

export function registerUp(program: Command, run: Runner): void {
  program
    .command('up')
    .description('create and start the stack (attached: print logs until Ctrl-C)')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('-d, --detach', 'run in the background')
    .option('--force-recreate', "recreate the named services' containers even if their configuration is unchanged")
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
    .option(
      '--pull <policy>',
      "pull images: policy (each service's pull_policy, default), always, missing, never, build (build the images)",
    )
    .option('--quiet-pull', 'pull without printing progress')
    .option('--quiet-build', 'build without printing the build output')
    .option('--no-lock', 'ignore stack.lock.json (use the tags in the stack file)')
    .option('--with-registry-auth', 'swarm target: send your registry credentials to the nodes (private images)')
    .option('-w, --watch', 'watch the stack files and develop.watch paths and apply every change (attached)')
    .option('--attach <service>', "attach to (follow) only this service's output (repeatable)", collect, [])
    .addOption(listOption('--no-attach <service>', "do not follow this service's output (repeatable)"))
    .option('--attach-dependencies', "also follow the output of the named services' dependencies")
    .option('--abort-on-container-exit', 'stop all containers when any container stops; exit with its code')
    .option('--abort-on-container-failure', 'stop all containers when any container exits with a non-zero code')
    .option('--exit-code-from <service>', "exit with this service's exit code (implies --abort-on-container-exit)")
    .option('--no-color', 'monochrome log output')
    .option('--no-log-prefix', 'do not prefix log lines with the container')
    .option('--timestamps', 'show timestamps in the log output')
    .option('-t, --timeout <seconds>', 'seconds to wait for containers to stop when stopping the attached ones')
    .action((services: string[], flags: UpFlags) => run((ctx) => runUp(ctx, services, flags)));
}
