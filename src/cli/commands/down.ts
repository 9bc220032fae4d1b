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
import { removeServiceImages } from '../../pipeline/containers.js';
import { writeMessage } from '../../render/diagnostics.js';

/** The flags of `down`. */
export interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
  yes?: boolean;
  /** `--rmi local|all`: also remove the services' images. */
  rmi?: string;
}

/** Runs `down`. */
export async function runDown(ctx: CliContext, services: readonly string[], flags: DownFlags): Promise<CommandResult> {
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0))
    throw new StackError('USAGE', `-t/--timeout expects whole seconds, got "${flags.timeout}"`);
  if (flags.rmi !== undefined && flags.rmi !== 'local' && flags.rmi !== 'all')
    throw new StackError('USAGE', `--rmi expects local or all, got "${flags.rmi}"`);
  const target = await loadProjectOrName(ctx, services);
  if (swarmTarget(ctx, 'services' in target ? target : undefined)) return swarmDown(ctx, target, services);
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
  if (flags.rmi !== undefined) {
    if (!('services' in target)) {
      writeMessage(ctx, 'warning', "--rmi needs the stack file to know the services' images: no image removed");
      return ExitCode.ok;
    }
    const failed = await removeServiceImages(engine, target, flags.rmi, {
      services,
      signal: ctx.signal,
      onDone: (ref) => {
        if (ctx.progress !== 'quiet') ctx.stderr.write(` Image ${ref}  Removed\n`);
      },
    });
    if (failed.length > 0)
      throw new StackError(
        'APPLY_FAILED',
        `removing images failed:\n${failed.map((f) => `  image ${f.image}: ${f.message}`).join('\n')}`,
      );
  }
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
    .option('--rmi <type>', 'also remove images: local (only those built without an image: name) or all')
    .option('-y, --yes', 'apply destructive actions without asking')
    .action((services: string[], flags: DownFlags) => run((ctx) => runDown(ctx, services, flags)));
}
