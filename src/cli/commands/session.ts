/**
 * What engine commands share: connecting to the engine, taking the project lock, loading the
 * planner lazily, and the prompt for destructive plans.
 */
import { StackError, throwIfErrors } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type * as PlannerModule from '../../planner/index.js';
import type { ActionLike } from '../../pipeline/reconcile.js';
import type { Engine } from '../../engine/types.js';
import type { ProjectLock } from '../../pipeline/lock.js';
import type { CliContext } from '../context.js';

/** The planner's public functions, loaded lazily (commands that fail early never load it). */
export type Planner = typeof PlannerModule;
/** Re-exported for commands built on `up` (watch). */
export type { UpOptions, DownOptions } from '../../planner/types.js';

/** Loads the planner module. */
export async function loadPlanner(): Promise<Planner> {
  return import('../../planner/index.js');
}

/**
 * Connects to the engine named by the environment (DOCKER_HOST, context, default socket);
 * under --dry-run, one that never writes.
 */
export async function openEngine(ctx: CliContext): Promise<Engine> {
  const { connectEngine } = await import('../../engine/client.js');
  const engine = await connectEngine({ env: ctx.env, signal: ctx.signal });
  if (!ctx.globals.dryRun) return engine;
  const { dryRunEngine } = await import('../../engine/dry-run.js');
  return dryRunEngine(engine);
}

/**
 * Takes the project lock, printing who holds it while we wait (commands outside the pipeline's
 * operations); with `engine`, then lets the stops a dead holder left in flight land.
 */
export async function lockProject(
  ctx: CliContext,
  project: string,
  command: string,
  engine?: Engine,
): Promise<ProjectLock> {
  const { acquireLock, describeHolder, lockTimeoutMs } = await import('../../pipeline/lock.js');
  const lock = await acquireLock(project, {
    command,
    env: ctx.env,
    timeoutMs: lockTimeoutMs(ctx.env),
    signal: ctx.signal,
    onWait: (holder) => ctx.stderr.write(`waiting for lock held by ${describeHolder(holder)}\n`),
  });
  if (engine && lock.inheritedStops) {
    const { waitForInheritedStops } = await import('../../pipeline/engine-lease.js');
    try {
      await waitForInheritedStops(engine, project, lock.inheritedStops, {
        signal: ctx.signal,
        onNotice: (message) => ctx.stderr.write(`notice: ${message}\n`),
      });
    } catch (error) {
      lock.release();
      throw error;
    }
  }
  return lock;
}

/** Loads the model; prints its warnings once. */
export async function loadProject(ctx: CliContext, services: readonly string[] = []): Promise<StackModel> {
  const model = await ctx.loadModel(services.length > 0 ? { services } : {});
  // On Swarm the target reports its own warnings (the deploy: keys it implements are not "unsupported").
  const { swarmTarget } = await import('./swarm.js');
  if (!swarmTarget(ctx, model)) ctx.printWarnings(model);
  return model;
}

/**
 * The project a command acts on: the loaded model, or just the typed name (`-p`,
 * STACK_PROJECT_NAME, COMPOSE_PROJECT_NAME) when no stack file exists. That name is validated
 * here as the loader validates it (exit 2 before any lock or engine use): it becomes a lock
 * path and a label filter, and `-p RSV` must not quietly find nothing while `rsv` runs.
 */
export async function loadProjectOrName(
  ctx: CliContext,
  services: readonly string[] = [],
): Promise<StackModel | { project: string }> {
  try {
    return await loadProject(ctx, services);
  } catch (error) {
    const { explicitProjectName, invalidProjectName, isValidProjectName } = await import('../../loader/discover.js');
    const typed = explicitProjectName(ctx.globals.projectName, ctx.env);
    if (!(error instanceof StackError && error.code === 'NO_STACK_FILE' && typed)) throw error;
    if (!isValidProjectName(typed.name)) throwIfErrors([invalidProjectName(typed.name, typed.origin)]);
    return { project: typed.name };
  }
}

export function projectName(target: StackModel | { project: string }): string {
  return 'services' in target ? target.name : target.project;
}

/** Asks a yes/no question on the terminal; resolves true on y/yes. */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  return ask(ctx, question);
}

async function ask(ctx: CliContext, question: string): Promise<boolean> {
  // Loaded here: only a run that asks needs readline.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: ctx.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * Asks whether to apply destructive actions (named volume removal, volume recreate). Not
 * interactive: CONFIRMATION_REQUIRED (exit 2) saying to re-run with --yes. Resolves false
 * when the user declines.
 */
export async function confirmDestructive(ctx: CliContext, destructive: readonly ActionLike[]): Promise<boolean> {
  const list = destructive.map((a) => `  ${a.resource} (${a.kind}): ${a.reason.detail}`).join('\n');
  if (!ctx.interactive) {
    throw new StackError(
      'CONFIRMATION_REQUIRED',
      `the plan has destructive actions; re-run with --yes to apply them:\n${list}`,
    );
  }
  ctx.stderr.write(`The plan has destructive actions:\n${list}\n`);
  return ask(ctx, 'Apply them? [y/N] ');
}
