/**
 * What engine commands share: connecting to the engine, taking the project lock, loading the
 * planner lazily, confirming destructive plans, and turning an execution summary into the
 * error the frame prints (each failed resource, its cause, exit code and last log lines).
 */
import { StackError, throwIfErrors } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type * as PlannerModule from '../../planner/index.js';
import type { Plan } from '../../planner/types.js';
import type { Engine } from '../../engine/types.js';
import type { ExecuteSummary } from '../../pipeline/execute.js';
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

/** Connects to the engine named by the environment (DOCKER_HOST, context, default socket). */
export async function openEngine(ctx: CliContext): Promise<Engine> {
  const { connectEngine } = await import('../../engine/client.js');
  return connectEngine({ env: ctx.env, signal: ctx.signal });
}

/** Takes the project lock, printing who holds it while we wait. */
export async function lockProject(ctx: CliContext, project: string, command: string): Promise<ProjectLock> {
  const { acquireLock, describeHolder } = await import('../../pipeline/lock.js');
  const timeout = Number(ctx.env['STACK_LOCK_TIMEOUT'] ?? '120');
  return acquireLock(project, {
    command,
    env: ctx.env,
    timeoutMs: (Number.isFinite(timeout) ? timeout : 120) * 1000,
    signal: ctx.signal,
    onWait: (holder) => ctx.stderr.write(`waiting for lock held by ${describeHolder(holder)}\n`),
  });
}

/** Loads the model; prints its warnings once. */
export async function loadProject(ctx: CliContext, services: readonly string[] = []): Promise<StackModel> {
  const model = await ctx.loadModel(services.length > 0 ? { services } : {});
  ctx.printWarnings(model);
  return model;
}

/**
 * The project a command acts on: the loaded model, or just the typed name (`-p`,
 * STACK_PROJECT_NAME, COMPOSE_PROJECT_NAME) when no stack file exists. That name is validated
 * here as the loader validates it (exit 2 before any lock or engine use): it becomes a lock
 * path and a label filter, and `-p RSV` must not quietly find nothing while `rsv` runs.
 */
export async function loadProjectOrName(ctx: CliContext, services: readonly string[] = []): Promise<StackModel | { project: string }> {
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
 * Destructive actions (named volume removal, volume recreate) need a yes: `--yes`, or an
 * answer at the prompt. Not interactive and no `--yes`: CONFIRMATION_REQUIRED (exit 2).
 * Resolves false when the user declines.
 */
export async function confirmDestructive(ctx: CliContext, plan: Plan, yes: boolean): Promise<boolean> {
  const destructive = plan.actions.filter((a) => a.destructive);
  if (destructive.length === 0 || yes) return true;
  const list = destructive.map((a) => `  ${a.resource} (${a.kind}): ${a.reason.detail}`).join('\n');
  if (!ctx.interactive) {
    throw new StackError('CONFIRMATION_REQUIRED', `the plan has destructive actions; re-run with --yes to apply them:\n${list}`);
  }
  ctx.stderr.write(`The plan has destructive actions:\n${list}\n`);
  return ask(ctx, 'Apply them? [y/N] ');
}

/**
 * Throws APPLY_FAILED naming each failed resource and its cause; for a container that failed
 * to start, adds its exit code and last log lines.
 */
export async function throwOnFailures(engine: Engine, summary: ExecuteSummary, earlyExits: readonly string[] = []): Promise<void> {
  if (summary.failures.length === 0 && earlyExits.length === 0) return;
  const { lastLogLines } = await import('../../pipeline/wait.js');
  const parts: string[] = [];
  for (const { action, error } of summary.failures) {
    let text = `${action.resource}: ${action.kind} ${'name' in action ? action.name : ''} failed: ${error.message}`;
    if (action.kind === 'start-container') {
      const id = action.containerId ?? summary.containerIds.get(action.name) ?? action.name;
      try {
        const inspect = await engine.inspectContainer(id);
        if (!inspect.State.Running && inspect.State.ExitCode !== 0) text += ` (exit code ${inspect.State.ExitCode})`;
      } catch {
        // gone: nothing more to say
      }
      const lines = await lastLogLines(engine, id);
      if (lines.length > 0) text += `\n    last log lines:\n${lines.map((l) => `      ${l}`).join('\n')}`;
    }
    if (action.kind === 'remove-network' && /has active endpoints/.test(error.message)) {
      // Seen on Engine 20.10 after many containers on one network were removed at once (by
      // docker-compose 1.29 as well): the engine keeps counting an endpoint no container has,
      // and refuses the removal until dockerd restarts. Retrying cannot help; say so.
      text += `\n    hint: if \`docker network inspect ${action.name}\` lists no containers, the engine kept a stale endpoint; restarting dockerd clears it, then run this again`;
    }
    parts.push(`  ${text}`);
  }
  for (const line of earlyExits) parts.push(`  ${line}`);
  if (summary.skipped.length > 0) parts.push(`  skipped (a dependency failed): ${summary.skipped.map((a) => a.resource).filter((r, i, all) => all.indexOf(r) === i).join(', ')}`);
  const count = summary.failures.length + earlyExits.length;
  throw new StackError('APPLY_FAILED', `${count} failure${count === 1 ? '' : 's'}:\n${parts.join('\n')}\nThe next run converges from here.`);
}
