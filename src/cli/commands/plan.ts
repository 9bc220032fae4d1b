/**
 * `stack plan`: what `up` would do, as text or JSON, touching nothing.
 * `--detailed-exitcode`: 0 nothing to do, 2 changes pending (1 stays "failed").
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import type { PlanFlags as UpPlanFlags } from '../options.js';
import { collect, upStackOptions } from '../options.js';
import { writeMessage } from '../../render/diagnostics.js';
import { planStack, planStackDown } from '../../pipeline/stack.js';
import { loadPlanner, openEngine } from './session.js';
import { loadForTarget, registryAuthIsSwarmOnly, swarmPlan } from './swarm.js';

/** The flags of `plan`: those of `up` that shape the plan, and `--down`. */
export interface PlanFlags extends UpPlanFlags {
  json?: boolean;
  detailedExitcode?: boolean;
  scale: string[];
  down?: boolean;
  volumes?: boolean;
  /** Swarm target: plan as `up --with-registry-auth` (the registry-auth label it would set). */
  withRegistryAuth?: boolean;
}

/** Runs `plan`: the same options and lock-file pinning as `up`, through the same pipeline. */
export async function runPlan(ctx: CliContext, services: readonly string[], flags: PlanFlags): Promise<CommandResult> {
  upStackOptions(services, flags);
  const chosen = await loadForTarget(ctx, services);
  if (chosen.target === 'swarm') return swarmPlan(ctx, services, flags, chosen.loaded);
  const model = chosen.model;
  if (flags.withRegistryAuth) throw registryAuthIsSwarmOnly();
  const options = upStackOptions(services, flags, model);
  const planner = await loadPlanner();
  const engine = await openEngine(ctx);
  const { plan } = flags.down
    ? await planStackDown(
        engine,
        model,
        {
          ...(flags.volumes ? { volumes: true } : {}),
          ...(flags.removeOrphans ? { removeOrphans: true } : {}),
          ...(services.length > 0 ? { services } : {}),
        },
        ctx.signal,
      )
    : await planStack(engine, model, options, {
        signal: ctx.signal,
        cwd: ctx.cwd,
        env: ctx.env,
        onWarning: (message) => writeMessage(ctx, 'warning', message),
      });
  const text = planner.renderPlan(plan, flags.json ? 'json' : 'text');
  ctx.stdout.write(text.endsWith('\n') ? text : text + '\n');
  if (flags.detailedExitcode && plan.actions.length > 0) return 2;
  return ExitCode.ok;
}

export function registerPlan(program: Command, run: Runner): void {
  program
    .command('plan')
    .description('show what `up` would change, without changing anything')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('--json', 'print the plan as JSON')
    .option('--detailed-exitcode', 'exit 0 when nothing is to do, 2 when changes are pending')
    .option('--force-recreate', 'plan as `up --force-recreate`')
    .option('--always-recreate-deps', 'plan as `up --always-recreate-deps`')
    .option('--no-recreate', 'plan as `up --no-recreate`')
    .option('--no-deps', 'plan as `up --no-deps`')
    .option('--remove-orphans', 'plan as `up --remove-orphans`')
    .option('-V, --renew-anon-volumes', 'plan as `up -V`')
    .option('--scale <service=n>', 'plan as `up --scale` (repeatable)', collect, [])
    .option('--no-start', 'plan as `up --no-start`')
    .option('--no-lock', 'plan as `up --no-lock` (ignore the lock file)')
    .option('--with-registry-auth', 'swarm target: plan as `up --with-registry-auth`')
    .option('--build', 'plan as `up --build` (the builds come first in the plan)')
    .option('--no-build', 'plan as `up --no-build`')
    .option('--pull <policy>', 'plan as `up --pull` (policy, always, missing, never, build)')
    .option('--down', 'plan `down` instead of `up`')
    .option('-v, --volumes', 'with --down: plan as `down -v`')
    .action((services: string[], flags: PlanFlags) => run((ctx) => runPlan(ctx, services, flags)));
}
