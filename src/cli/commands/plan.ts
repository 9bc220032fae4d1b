/**
 * `stack plan`: what `up` would do, as text or JSON, touching nothing.
 * `--detailed-exitcode`: 0 nothing to do, 2 changes pending (1 stays "failed").
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { parseScale } from './up.js';
import type { UpOptions } from '../../planner/types.js';
import { loadPlanner, loadProject, openEngine } from './session.js';

/** The flags of `plan`. */
export interface PlanFlags {
  json?: boolean;
  detailedExitcode?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  renewAnonVolumes?: boolean;
  scale: string[];
  down?: boolean;
  volumes?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Runs `plan`. */
export async function runPlan(ctx: CliContext, services: readonly string[], flags: PlanFlags): Promise<CommandResult> {
  const scale = parseScale(flags.scale);
  const model = await loadProject(ctx, services);
  const planner = await loadPlanner();
  const engine = await openEngine(ctx);
  const { observe, inspectContainers } = await import('../../engine/observe.js');
  const { addWaitConditions } = await import('../../pipeline/wait-gates.js');
  const options: UpOptions = {
    ...(services.length > 0 ? { services } : {}),
    ...(flags.forceRecreate ? { forceRecreate: true } : {}),
    ...(flags.recreate === false ? { noRecreate: true } : {}),
    ...(flags.deps === false ? { noDeps: true } : {}),
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(flags.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    // Show what `up` would do, destructive actions included (up asks before applying them).
    allowDestructive: true,
  };
  const make = (observed: Parameters<typeof planner.planUp>[1]) =>
    flags.down
      ? planner.planDown(model, observed, { ...(flags.volumes ? { volumes: true } : {}), ...(flags.removeOrphans ? { removeOrphans: true } : {}) })
      : planner.planUp(model, observed, options);
  let observed = await observe(engine, model, { signal: ctx.signal });
  let plan = make(observed);
  const replaced = plan.actions.flatMap((a) => (a.kind === 'create-container' && a.replaces ? [a.replaces] : []));
  if (replaced.length > 0) {
    observed = await inspectContainers(engine, observed, replaced, ctx.signal);
    plan = make(observed);
  }
  if (!flags.down) plan = addWaitConditions(plan, model);
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
    .option('--no-recreate', 'plan as `up --no-recreate`')
    .option('--no-deps', 'plan as `up --no-deps`')
    .option('--remove-orphans', 'plan as `up --remove-orphans`')
    .option('-V, --renew-anon-volumes', 'plan as `up -V`')
    .option('--scale <service=n>', 'plan as `up --scale` (repeatable)', collect, [])
    .option('--down', 'plan `down` instead of `up`')
    .option('-v, --volumes', 'with --down: plan as `down -v`')
    .action((services: string[], flags: PlanFlags) => run((ctx) => runPlan(ctx, services, flags)));
}
