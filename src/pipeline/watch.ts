/**
 * Watch mode as an operation: the watch session (src/watch/session.ts) with `upStack` as its
 * reconcile, for the CLI (`stack watch`, `up --watch`) and library callers alike. Every reload
 * runs with the options of the run that started the session (`--scale`, `--force-recreate`,
 * `-V`, the lock file…); only the image step differs (see reloadImageOptions).
 */
import type { StackModel } from '../model.js';
import type { Engine } from '../engine/types.js';
import type { ReconcileRequest, ReconcileSummary, WatchOutcome, WatchSessionOptions } from '../watch/session.js';
import { upStack } from './stack.js';
import type { ImageOptions, OperationHooks, UpStackOptions } from './stack.js';

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
 * The reconcile a watch session calls on each reload: upStack with `options`, hooks made fresh
 * for each reload. Returns the applied plan; throws the StackError of a failed apply (the
 * session reports it and keeps watching).
 */
export function watchReconcile(
  engine: Engine,
  options: UpStackOptions,
  hooks: () => Promise<OperationHooks> | OperationHooks,
): (request: ReconcileRequest) => Promise<ReconcileSummary> {
  return async ({ model, build }) => {
    const result = await upStack(
      engine,
      model,
      { plan: options.plan, images: reloadImageOptions(options.images, build) },
      await hooks(),
    );
    return result.plan;
  };
}

/** Options of `watchStack`: the session's (signal, load, reports) and the `up` options of every reload. */
export interface WatchStackOptions extends Omit<WatchSessionOptions, 'engine' | 'reconcile'> {
  /** What each reload runs (default: every service, images as `up` makes them). */
  readonly up?: UpStackOptions;
  /**
   * The loop's hooks of each reload (progress, confirmation...); signal and env default to the
   * session's and process.env.
   */
  readonly hooks?: Partial<OperationHooks>;
}

/**
 * Watches the stack files and develop.watch paths until `options.signal` aborts: every change
 * of a stack file reloads (`options.load`) and reconciles the whole stack; sync, restart, exec
 * and rebuild rules act on their services. Bring the stack up first (`up`), or pass
 * `initialReconcile: true`.
 */
export function watchStack(engine: Engine, model: StackModel, options: WatchStackOptions): Promise<WatchOutcome> {
  const { up, hooks, ...session } = options;
  const reconcile = watchReconcile(engine, up ?? { plan: {} }, () => ({
    signal: options.signal,
    env: process.env,
    ...hooks,
  }));
  return import('../watch/session.js').then(({ watchSession }) =>
    watchSession(model, { ...session, engine, reconcile }),
  );
}
