/**
 * `stack watch [services...]`: bring the stack up (unless --no-up), then watch the stack
 * files and the develop.watch paths; every change re-runs the pipeline (level-triggered) or
 * the rule's action. Ctrl-C stops watching and leaves the containers running.
 * `createWatchReconcile` is the callback `up --watch` hands to the same session.
 */
import type { Command } from 'commander';
import { StackError } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { Engine } from '../../engine/types.js';
import type { ReconcileRequest, ReconcileSummary } from '../../watch/session.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { applyPlans } from '../../pipeline/apply.js';
import type { UpOptions } from './session.js';
import { loadPlanner, loadProject, lockProject, openEngine } from './session.js';

/** The flags of `watch`. */
export interface WatchFlags {
  up?: boolean;
  yes?: boolean;
}

/**
 * Images before each reload: the `rebuild` services are built whatever the engine has; then
 * whatever is still missing is built or pulled (never re-pulled: a reload must not reach for
 * the registry for an image it has).
 */
async function prepareImages(ctx: CliContext, engine: Engine, model: StackModel, rebuild: readonly string[]): Promise<void> {
  const { ensureImages, listModelImages } = await import('../../images/ensure.js');
  const { createImageProgress } = await import('../../images/render-progress.js');
  const progress = createImageProgress({ mode: ctx.progress, out: ctx.stderr });
  const common = { env: ctx.env, signal: ctx.signal, onEvent: (e: Parameters<typeof progress.onEvent>[0]) => progress.onEvent(e) };
  try {
    const buildable = rebuild.filter((s) => model.services[s]?.build !== undefined);
    if (buildable.length > 0) await ensureImages(engine, model, { images: [] }, { ...common, build: 'always', services: buildable });
    await ensureImages(engine, model, { images: await listModelImages(engine, model, ctx.signal) }, { ...common, build: 'auto', pull: 'missing' });
  } finally {
    progress.end();
  }
}

/**
 * The reconcile a watch session calls on each reload: build the requested services and
 * anything missing, then, under the project lock, observe → planUp → execute. Returns the applied plan; throws the
 * StackError of a failed apply (the session prints it and keeps watching).
 */
export function createWatchReconcile(ctx: CliContext, engine: Engine, options: UpOptions & { readonly yes?: boolean }): (request: ReconcileRequest) => Promise<ReconcileSummary> {
  const { yes, ...upOptions } = options;
  return async ({ model, build }) => {
    const planner = await loadPlanner();
    await prepareImages(ctx, engine, model, build);
    const lock = await lockProject(ctx, model.name, 'stack watch');
    try {
      const result = await applyPlans(ctx, engine, model, (observed) => planner.planUp(model, observed, upOptions), { yes: yes === true, model });
      return result.plan;
    } finally {
      lock.release();
    }
  };
}

/** Runs `watch`. */
export async function runWatch(ctx: CliContext, services: readonly string[], flags: WatchFlags): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')} (services: ${Object.keys(model.services).sort().join(', ')})`);
  const watched = Object.values(model.services).filter((s) => (services.length === 0 || services.includes(s.name)) && (s.develop?.watch.length ?? 0) > 0);
  if (watched.length === 0) ctx.stderr.write('note: no selected service has develop.watch rules; watching the stack files only\n');
  const engine = await openEngine(ctx);
  const reconcile = createWatchReconcile(ctx, engine, { ...(services.length > 0 ? { services } : {}), ...(flags.yes ? { yes: true } : {}) });
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
