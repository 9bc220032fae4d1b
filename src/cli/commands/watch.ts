/**
 * `stack watch [services...]`: bring the stack up (unless --no-up), then watch the stack
 * files and the develop.watch paths; every change re-runs the pipeline (level-triggered) or
 * the rule's action. Ctrl-C stops watching and leaves the containers running.
 * `createWatchReconcile` is the callback `up --watch` hands to the same session; the session
 * and its reconcile are the pipeline's (src/pipeline/watch.ts), this file only renders.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { Engine } from '../../engine/types.js';
import type { ReconcileRequest, ReconcileSummary, WatchSessionOptions } from '../../watch/session.js';
import { writeDiagnostics } from '../../render/diagnostics.js';
import { jsonEvent } from '../../render/json.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import type { UpStackOptions } from '../../pipeline/stack.js';
import { watchReconcile } from '../../pipeline/watch.js';
import { operationHooks, upStackOptions } from '../options.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `watch`. */
export interface WatchFlags {
  up?: boolean;
  yes?: boolean;
}

/**
 * The reconcile a watch session calls on each reload: the pipeline's upStack with the options
 * of the run that started the session, hooks from the CLI context.
 */
export function createWatchReconcile(
  ctx: CliContext,
  engine: Engine,
  options: UpStackOptions,
  yes: boolean,
): (request: ReconcileRequest) => Promise<ReconcileSummary> {
  return watchReconcile(engine, options, () => operationHooks(ctx, { yes, command: 'stack watch' }));
}

/**
 * A watch session on the terminal: reload lines on stdout (JSON events with `--progress json`,
 * only failures with `quiet`), errors and rule warnings on stderr, files reloaded with the
 * global flags. Resolves to 130 after Ctrl-C, 1 when the watcher failed (printed with its fix:
 * an environment failure, not invalid input).
 */
export async function runWatchSession(
  ctx: CliContext,
  model: StackModel,
  options: Omit<WatchSessionOptions, 'signal' | 'load' | 'onError' | 'onDiagnostics' | 'onStart'>,
): Promise<CommandResult> {
  const { watchSession } = await import('../../watch/session.js');
  const { formatReloadLine } = await import('../../watch/report.js');
  const printError = (error: unknown): void => {
    if (error instanceof StackError && error.diagnostics.length > 0) writeDiagnostics(ctx, error.diagnostics, ctx.cwd);
    else ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  };
  const outcome = await watchSession(model, {
    ...options,
    signal: ctx.signal,
    load: (services) => ctx.loadModel(services.length > 0 ? { services } : {}),
    onReload: (r) => {
      if (ctx.progress === 'json') ctx.stdout.write(jsonEvent('reload', { ...r }));
      else if (ctx.progress !== 'quiet' || !r.ok) ctx.stdout.write(formatReloadLine(r, ctx.color) + '\n');
      options.onReload?.(r);
    },
    onError: printError,
    onDiagnostics: (diagnostics) => writeDiagnostics(ctx, diagnostics, ctx.cwd),
    onStart: (sources, rules) =>
      ctx.stderr.write(
        `watching ${sources} stack source${sources === 1 ? '' : 's'} and ` +
          `${rules} develop.watch rule${rules === 1 ? '' : 's'} (Ctrl-C to stop)\n`,
      ),
  });
  if (outcome.stopped === 'watcher-failed') {
    printError(outcome.error);
    return ExitCode.failure;
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
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
