/**
 * `stack start | stop | restart | kill | pause | unpause [services...]`: act on existing
 * containers only (nothing is created), scoped as Compose v2 (the services of the loaded files;
 * start brings the named services' dependencies, restart their `restart: true` dependents):
 * start, unpause and restart dependencies first, waiting for depends_on conditions; the others
 * dependents first.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { changeServiceStates, lifecycleScope } from '../../pipeline/lifecycle.js';
import type { LifecycleFailure, LifecycleVerb } from '../../pipeline/lifecycle.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { loadProjectOrName, lockProject, openEngine, projectName } from './session.js';
import { waitForServices } from '../../pipeline/settle.js';
import { parseSeconds } from '../options.js';

type Verb = LifecycleVerb;

const DONE: Record<Verb, string> = {
  start: 'Started',
  stop: 'Stopped',
  restart: 'Restarted',
  kill: 'Killed',
  pause: 'Paused',
  unpause: 'Unpaused',
};

/** The flags of the lifecycle commands (each takes its own subset). */
export interface LifecycleFlags {
  timeout?: string;
  signal?: string;
  /** start: wait for the services to be running/healthy. */
  wait?: boolean;
  waitTimeout?: string;
  /** restart: `--no-deps` (commander's negation sets `deps` to false). */
  deps?: boolean;
  /** kill: the orphan containers too. */
  removeOrphans?: boolean;
}

/** Runs start, stop or restart. */
export async function runLifecycle(
  ctx: CliContext,
  verb: Verb,
  services: readonly string[],
  flags: LifecycleFlags,
): Promise<CommandResult> {
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0))
    throw new StackError('USAGE', `-t/--timeout expects whole seconds, got "${flags.timeout}"`);
  const waitTimeout = parseSeconds(flags.waitTimeout, '--wait-timeout');
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const project = projectName(target);
  // Serialized with up/down/watch on the project: a stop never interleaves with a recreate.
  const command = `stack ${verb}${services.length > 0 ? ' ' + services.join(' ') : ''}`;
  const lock = await lockProject(ctx, project, command, engine);
  let failed: LifecycleFailure[];
  let acted = 0;
  try {
    failed = await changeServiceStates(engine, target, verb, {
      services,
      signal: ctx.signal,
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
      ...(flags.signal !== undefined ? { killSignal: flags.signal } : {}),
      ...(flags.deps === false ? { noDeps: true } : {}),
      ...(flags.removeOrphans ? { orphans: true } : {}),
      ...(waitTimeout !== undefined ? { waitTimeoutMs: waitTimeout * 1000 } : {}),
      beforeStop: (grace) => lock.recordStop(grace),
      onWarning: (message) => ctx.stderr.write(`warning: ${message}\n`),
      onDone: (name) => {
        acted++;
        if (ctx.progress !== 'quiet') ctx.stderr.write(` Container ${name}  ${DONE[verb]}\n`);
      },
    });
  } finally {
    lock.release();
  }
  // As Compose: a kill that finds nothing running says so (exit 0).
  if (verb === 'kill' && acted === 0 && failed.length === 0 && ctx.progress !== 'quiet' && ctx.progress !== 'json')
    ctx.stderr.write('No container to kill\n');
  const failures = failed.map(
    (f) => `  service:${f.service}${f.container === '-' ? '' : ` (${f.container})`}: ${f.message}`,
  );
  if (failures.length > 0) throw new StackError('APPLY_FAILED', `${verb} failed:\n${failures.join('\n')}`);
  if (verb === 'start' && flags.wait && 'services' in target && !ctx.signal.aborted) {
    const selected = new Set(lifecycleScope(target, verb, services));
    await waitForServices(engine, target, selected, { timeoutMs: (waitTimeout ?? 300) * 1000, signal: ctx.signal });
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

function register(program: Command, run: Runner, verb: Verb, description: string): void {
  const command = program.command(verb).description(description).argument('[services...]', 'only these services');
  if (verb === 'stop' || verb === 'restart')
    command.option('-t, --timeout <seconds>', 'seconds to wait for each container to stop');
  if (verb === 'restart')
    command.option(
      '--no-deps',
      'do not restart the services that depend on the named ones with depends_on restart: true',
    );
  if (verb === 'kill')
    command
      .option('-s, --signal <signal>', 'signal to send to the containers', 'SIGKILL')
      .option(
        '--remove-orphans',
        "also kill the project's containers of services the stack files do not define " +
          '(as Compose: killed, not removed)',
      );
  if (verb === 'start')
    command
      .option('--wait', 'wait until the services are running/healthy')
      .option('--wait-timeout <seconds>', 'timeout for --wait and for each depends_on condition (default 300)');
  command.action((services: string[], flags: LifecycleFlags) => run((ctx) => runLifecycle(ctx, verb, services, flags)));
}

export function registerStart(program: Command, run: Runner): void {
  register(program, run, 'start', 'start existing containers');
}
export function registerStop(program: Command, run: Runner): void {
  register(program, run, 'stop', 'stop running containers without removing them');
}
export function registerRestart(program: Command, run: Runner): void {
  register(program, run, 'restart', 'restart containers');
}
export function registerKill(program: Command, run: Runner): void {
  register(program, run, 'kill', 'force stop service containers (send a signal)');
}
export function registerPause(program: Command, run: Runner): void {
  register(program, run, 'pause', 'pause running service containers');
}
export function registerUnpause(program: Command, run: Runner): void {
  register(program, run, 'unpause', 'unpause paused service containers');
}
