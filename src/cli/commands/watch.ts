/**
 * `stack watch [services...]`: bring the stack up (unless --no-up), then watch the stack
 * files and the develop.watch paths; every change re-runs the pipeline (level-triggered) or
 * the rule's action. Ctrl-C stops watching and leaves the containers running.
 * `createWatchReconcile` is the callback `up --watch` hands to the same session.
 */
import type { Command } from 'commander';
import type { Engine } from '../../engine/types.js';
import type { ReconcileRequest, ReconcileSummary } from '../../watch/session.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { upStack } from '../../pipeline/stack.js';
import type { ImageOptions, UpStackOptions } from '../../pipeline/stack.js';
import { operationHooks, upStackOptions } from '../options.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `watch`. */
export interface WatchFlags {
  up?: boolean;
  yes?: boolean;
}

/**
 * The image options of a reload: the `rebuild` services are built whatever the engine has, then
 * whatever is still missing is built or pulled, never re-pulled (a reload must not reach for the
 * registry for an image it has, even under `up --pull always`); `--no-build`/`--pull never` and
 * `--no-lock` hold as on the first run.
 */
export function reloadImageOptions(images: ImageOptions | undefined, rebuild: readonly string[]): ImageOptions {
  return {
    build: images?.build === 'never' ? 'never' : 'auto',
    pull: images?.pull === 'never' ? 'never' : 'missing',
    rebuild,
    ...(images?.lockFile === false ? { lockFile: false } : {}),
  };
}

/**
 * The reconcile a watch session calls on each reload: the pipeline's upStack with the options
 * of the run that started the session (`--scale`, `--force-recreate`, `-V`, the lock file…).
 * Returns the applied plan; throws the StackError of a failed apply (the session prints it and
 * keeps watching).
 */
export function createWatchReconcile(
  ctx: CliContext,
  engine: Engine,
  options: UpStackOptions,
  yes: boolean,
): (request: ReconcileRequest) => Promise<ReconcileSummary> {
  return async ({ model, build }) => {
    const hooks = await operationHooks(ctx, { yes, command: 'stack watch' });
    const result = await upStack(
      engine,
      model,
      { plan: options.plan, images: reloadImageOptions(options.images, build) },
      hooks,
    );
    return result.plan;
  };
}

/** Runs `watch`. */
export async function runWatch(
  ctx: CliContext,
  services: readonly string[],
  flags: WatchFlags,
): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  const watched = Object.values(model.services).filter(
    (s) => (services.length === 0 || services.includes(s.name)) && (s.develop?.watch.length ?? 0) > 0,
  );
  if (watched.length === 0)
    ctx.stderr.write('note: no selected service has develop.watch rules; watching the stack files only\n');
  const engine = await openEngine(ctx);
  const reconcile = createWatchReconcile(ctx, engine, upStackOptions(services, {}, model), flags.yes === true);
  const { runWatchSession } = await import('../../watch/session.js');
  return runWatchSession(ctx, model, { reconcile, services, engine, initialReconcile: flags.up !== false });
}

export function registerWatch(program: Command, run: Runner): void {
  program
    .command('watch')
    .description('watch the stack files and develop.watch paths; apply every change (Ctrl-C leaves containers running)')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('--no-up', 'do not bring the stack up before watching')
    .option('-y, --yes', 'apply destructive actions without asking')
    .action((services: string[], flags: WatchFlags) => run((ctx) => runWatch(ctx, services, flags)));
}
