/**
 * `stack create` (= `up --no-start`, with its flags) and `stack scale SERVICE=N…` (= `up -d`
 * with `--scale` for those services): both are `up` through the same options and pipeline.
 */
import type { Command } from 'commander';
import { StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { collect } from '../options.js';
import { runUp } from './up.js';
import type { UpFlags } from './up.js';

/** The flags of `create`: the creating half of `up`'s. */
export interface CreateFlags {
  build?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  removeOrphans?: boolean;
  pull?: string;
  quietPull?: boolean;
  scale: string[];
  yes?: boolean;
}

/** Runs `create`: `up --no-start`. */
export function runCreate(ctx: CliContext, services: readonly string[], flags: CreateFlags): Promise<CommandResult> {
  const upFlags: UpFlags = { ...flags, start: false, detach: true };
  return runUp(ctx, services, upFlags);
}

/** Runs `scale web=3 worker=2`: `up -d --scale …` for those services (`--no-deps` as in up). */
export function runScale(
  ctx: CliContext,
  entries: readonly string[],
  flags: { deps?: boolean },
): Promise<CommandResult> {
  if (entries.length === 0) throw new StackError('USAGE', 'scale expects SERVICE=REPLICAS arguments');
  const services = entries.map((e) => e.split('=')[0] ?? e);
  return runUp(ctx, services, { scale: [...entries], detach: true, ...(flags.deps === false ? { deps: false } : {}) });
}

export function registerCreate(program: Command, run: Runner): void {
  program
    .command('create')
    .description('create containers for the services without starting them (up --no-start)')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('--build', 'build images before creating containers')
    .option('--no-build', 'never build; fail when an image with a build section is missing')
    .option('--force-recreate', 'recreate containers even if their configuration is unchanged')
    .option('--no-recreate', 'never recreate existing containers')
    .option('--pull <policy>', 'pull images: policy (default), always, missing, never, build')
    .option('--quiet-pull', 'pull without printing progress')
    .option('--remove-orphans', 'remove containers of services no longer in the stack file')
    .option('--scale <service=n>', 'number of replicas of a service (repeatable)', collect, [])
    .option('-y, --yes', 'apply destructive actions without asking')
    .action((services: string[], flags: CreateFlags) => run((ctx) => runCreate(ctx, services, flags)));
}

export function registerScale(program: Command, run: Runner): void {
  program
    .command('scale')
    .description('set the number of replicas of services: scale web=3 worker=2')
    .argument('<service=replicas...>', 'services and their replica counts')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .action((entries: string[], flags: { deps?: boolean }) => run((ctx) => runScale(ctx, entries, flags)));
}
