/**
 * `stack down`: stop and remove the project's containers (dependents first), then its
 * networks; named volumes only with `-v`; external and foreign resources never.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { downStack } from '../../pipeline/stack.js';
import { operationHooks } from '../options.js';
import type { DownOptions } from '../../planner/types.js';
import { loadProjectOrName, openEngine } from './session.js';
import { swarmDown, swarmTarget } from './swarm.js';

/** The flags of `down`. */
export interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
  yes?: boolean;
}

/** Runs `down`. */
export async function runDown(ctx: CliContext, services: readonly string[], flags: DownFlags): Promise<CommandResult> {
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0)) throw new StackError('USAGE', `-t/--timeout expects whole seconds, got "${flags.timeout}"`);
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined)) return swarmDown(ctx, target);
  const engine = await openEngine(ctx);
  const options: DownOptions = {
    ...(flags.volumes ? { volumes: true } : {}),
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(services.length > 0 ? { services } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
  };
  // `down -v` asked for volume removal: that is the confirmation.
  const hooks = await operationHooks(ctx, { yes: flags.yes === true || flags.volumes === true, command: 'stack down' });
  await downStack(engine, target, options, hooks);
  return ExitCode.ok;
}

export function registerDown(program: Command, run: Runner): void {
  program
    .command('down')
    .description('stop and remove containers and networks (named volumes with -v)')
    .argument('[services...]', 'only these services')
    .option('-v, --volumes', 'also remove named volumes declared by the stack and anonymous volumes')
    .option('--remove-orphans', 'also remove containers of services no longer in the stack file')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop')
    .option('-y, --yes', 'apply destructive actions without asking')
    .action((services: string[], flags: DownFlags) => run((ctx) => runDown(ctx, services, flags)));
}
