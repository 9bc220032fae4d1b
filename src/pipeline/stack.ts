/**
 * The operations a user runs on a project, as library functions: `upStack`, `planStack`,
 * `downStack`. Each is the whole pipeline for the container target:
 *
 *   upStack:   lock → observe → images (lock file pins, build, pull) → reconcile loop → unlock
 *   planStack: observe → lock file pins → plan (what upStack would run, nothing touched)
 *   downStack: lock → reconcile loop with planDown → unlock
 *
 * `up`, `plan`, `down`, `watch` and the watch reload all call these, with options built once
 * (src/cli/options.ts), so a reload runs exactly what the first `up` ran.
 */
import { StackError } from '../errors.js';
import { relative } from 'node:path';
import type { StackModel } from '../model.js';
import { DEFAULT_STOP_GRACE_SECONDS } from '../model.js';
import type { Action, DownOptions, ObservedImage, ObservedState, Plan, UpOptions } from '../planner/types.js';
import type { Engine } from '../engine/types.js';
import { observe } from '../engine/observe.js';
import type { ImageEvent } from '../images/events.js';
import type { ExecuteSummary } from './execute.js';
import type { AppliedRun, PlannedRun, RunHooks } from './reconcile.js';
import type { ProjectTarget } from './apply.js';
import { applyContainers, planContainers, projectOf } from './apply.js';
import { resolveHostPaths } from './host-paths.js';
import type { LockHolder, ProjectLock } from './lock.js';
import { hostname } from 'node:os';
import type { EngineLease } from './engine-lease.js';
import type { ImageStep } from '../planner/image-steps.js';

/** How images are made present before planning. */
export interface ImageOptions {
  /** `always` (`--build`), `never` (`--no-build`), `auto` (build what is missing). */
  readonly build?: 'always' | 'never' | 'auto';
  /** `policy` (each service's pull_policy), `always`, `missing`, `never`, `build` (build what has a build section). */
  readonly pull?: 'policy' | 'always' | 'missing' | 'never' | 'build';
  /** Services whose images are rebuilt whatever the engine has (a watch `rebuild` rule). */
  readonly rebuild?: readonly string[];
  /** False: ignore the lock file (`--no-lock`). */
  readonly lockFile?: boolean;
}

/** Hooks of an operation: the loop's, plus the environment, the lock and image progress. */
export interface OperationHooks extends RunHooks<Action> {
  /** The caller's environment: credential helpers, STACK_LOCK_TIMEOUT, the lock directory. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Called once when another run holds the project lock and this one waits. */
  readonly onLockWait?: (holder: LockHolder) => void;
  /** Image pull/build progress. */
  readonly onImageEvent?: (event: ImageEvent) => void;
  /** Creates the renderer of the image step (pulls, builds), ended when the step ends. */
  readonly imageProgress?: () => Promise<{ onEvent(event: ImageEvent): void; end(): void }>;
  /** The command line, written into the lock for whoever waits ("stack up web"). */
  readonly command?: string;
  /** Base directory of paths in messages (the lock file path in drift warnings). */
  readonly cwd?: string;
}

/** Options of `upStack`. */
export interface UpStackOptions {
  readonly plan: UpOptions;
  readonly images?: ImageOptions;
}

/** The outcome of an operation: the plan run last and its summary (undefined: nothing to do). */
export type OperationResult = AppliedRun<Plan, ExecuteSummary, ObservedState> & { readonly model?: StackModel };

/**
 * Runs `fn` holding the project's lock: first the stops a dead holder left in flight are let
 * land, and `fn`'s hooks record each stop it sends in the lock (`beforeStop`).
 */
export async function withProjectLock<T>(
  engine: Engine,
  project: string,
  hooks: OperationHooks,
  fn: (hooks: OperationHooks, lock: ProjectLock) => Promise<T>,
): Promise<T> {
  const { acquireLock, lockTimeoutMs } = await import('./lock.js');
  const lock = await acquireLock(project, {
    command: hooks.command ?? 'stack',
    env: hooks.env,
    timeoutMs: lockTimeoutMs(hooks.env),
    signal: hooks.signal,
    ...(hooks.onLockWait ? { onWait: hooks.onLockWait } : {}),
  });
  try {
    if (lock.inheritedStops) {
      const { waitForInheritedStops } = await import('./engine-lease.js');
      await waitForInheritedStops(engine, project, lock.inheritedStops, {
        signal: hooks.signal,
        ...(hooks.onNotice ? { onNotice: hooks.onNotice } : {}),
      });
    }
    return await fn({ ...hooks, beforeStop: (grace) => lock.recordStop(grace) }, lock);
  } finally {
    lock.release();
  }
}

/**
 * The longest grace period a stop of `plan` may take, in seconds: its own (`-t`, the service's
 * `stop_grace_period`), else the engine's default of 10 s; 0 when the plan stops nothing.
 */
export function longestStopGrace(plan: Pick<Plan, 'actions'>): number {
  let longest = 0;
  for (const a of plan.actions)
    if (a.kind === 'stop-container') longest = Math.max(longest, a.timeoutSeconds ?? DEFAULT_STOP_GRACE_SECONDS);
  return longest;
}

/**
 * Runs `fn` with hooks whose `beforeWrite` takes the project's engine-side lease
 * (engine-lease.ts): only a run that writes takes it; it is released when `fn` ends.
 */
async function underEngineLease<T>(
  engine: Engine,
  project: string,
  hooks: OperationHooks,
  local: ProjectLock,
  fn: (hooks: OperationHooks) => Promise<T>,
): Promise<T> {
  let lease: EngineLease | undefined;
  const beforeWrite = async (plan: Pick<Plan, 'actions'>): Promise<void> => {
    const { acquireEngineLease, describeLeaseHolder, waitForInheritedStops } = await import('./engine-lease.js');
    const { lockTimeoutMs } = await import('./lock.js');
    lease = await acquireEngineLease(engine, project, {
      command: hooks.command ?? 'stack',
      env: hooks.env,
      timeoutMs: lockTimeoutMs(hooks.env),
      signal: hooks.signal,
      stopGraceSeconds: longestStopGrace(plan),
      ...(hooks.onLockWait
        ? {
            onWait: (holder) =>
              hooks.onLockWait?.({
                pid: holder.pid,
                command:
                  `${holder.command} on host ${holder.host}, ` +
                  `engine lease until ${new Date(holder.expires).toISOString()}`,
                started: 'earlier',
                host: holder.host,
              }),
          }
        : {}),
    });
    // A run killed while stopping containers leaves the stops with the engine: let them land
    // before the loop observes again, or the next run converges and then loses a service.
    // The same dead run's local lock, taken over on this host, recorded each stop it sent: its
    // record (already waited for) is exact, the lease's only says it may have stopped something.
    const inherited = lease?.inheritedStops;
    const sameRun =
      inherited !== undefined && local.previous?.pid === inherited.holder.pid && inherited.holder.host === hostname();
    if (inherited && !sameRun)
      await waitForInheritedStops(
        engine,
        project,
        { holder: describeLeaseHolder(inherited.holder), until: inherited.until },
        { signal: hooks.signal, ...(hooks.onNotice ? { onNotice: hooks.onNotice } : {}) },
      );
  };
  try {
    return await fn({ ...hooks, beforeWrite });
  } finally {
    await lease?.release();
  }
}

/**
 * The model to plan with: the lock file's digests pinned in (drift reported as warnings, only
 * for the selected services), or the model itself when there is no lock file or it is ignored.
 */
export async function pinImages(
  model: StackModel,
  images: readonly ObservedImage[],
  selected: ReadonlySet<string>,
  hooks: Pick<OperationHooks, 'onWarning' | 'cwd'>,
  useLockFile = true,
): Promise<StackModel> {
  if (!useLockFile) return model;
  const { loadAndApplyLock } = await import('../images/lock-file.js');
  const applied = await loadAndApplyLock(model, images);
  if (!applied) return model;
  const where = hooks.cwd ? relative(hooks.cwd, applied.path) || applied.path : applied.path;
  for (const drift of applied.drift.filter((d) => selected.has(d.service) || d.kind === 'service_removed'))
    hooks.onWarning?.(`${where}: ${drift.message}`);
  return applied.model;
}

/** The services a run acts on: the named ones and, unless `noDeps`, what they depend on. */
export async function selectedServices(model: StackModel, options: UpOptions): Promise<Set<string>> {
  const { buildGraph, selectServices } = await import('../planner/graph.js');
  const services = options.services ?? [];
  return new Set(
    selectServices(buildGraph(model), services.length > 0 ? services : undefined, options.noDeps === true),
  );
}

/**
 * What `up` cannot run, refused before the engine is touched: a service mounting at a Windows
 * path, a `pre_start` hook with `per_replica: true` (Compose refuses it too), a `provider:`
 * service or one using `models:` (run by external components, Compose's provider plugins and
 * Docker Model Runner, which stack has none of), naming each service.
 */
export function refuseProviders(model: StackModel, selected: ReadonlySet<string>): void {
  // Compose accepts Windows container paths for Windows engines; stack drives Linux engines.
  for (const service of [...selected].sort()) {
    const windows = model.services[service]?.volumes.find((m) => /^[A-Za-z]:[\\/]/.test(m.target));
    if (windows)
      throw new StackError(
        'UNSUPPORTED_PLATFORM',
        `service "${service}" mounts at the Windows path "${windows.target}", ` +
          'which a Linux engine cannot use (stack runs on Linux engines)',
      );
    const spec = model.services[service];
    for (const [kind, refs, defs] of [
      ['secret', spec?.secrets ?? [], model.secrets],
      ['config', spec?.configs ?? [], model.configs],
    ] as const) {
      const unset = refs.map((r) => defs[r.source]).find((d) => d?.environment !== undefined && d.value === undefined);
      // As Compose at up: the variable an `environment:` source names must be set.
      if (unset)
        throw new StackError(
          'APPLY_FAILED',
          `environment variable "${unset.environment!}" required by ${kind} "${unset.key}" ` +
            `of service "${service}" is not set`,
        );
    }
  }
  const services = [...selected].sort().flatMap((s) => (model.services[s] ? [model.services[s]] : []));
  for (const spec of services) {
    const perReplica = spec.preStart.findIndex((h) => h.perReplica);
    // Compose's own message: it does not run per-replica hooks either.
    if (perReplica >= 0)
      throw new StackError(
        'APPLY_FAILED',
        `service "${spec.name}" pre_start[${perReplica}]: per_replica is not yet supported; ` +
          'remove per_replica or set it to false',
      );
  }
  const providers = services.filter((s) => s.provider !== undefined);
  const users = services.filter((s) => s.models !== undefined);
  if (providers.length === 0 && users.length === 0) return;
  const named = [
    ...providers.map((s) => `"${s.name}" (provider "${s.provider!}")`),
    ...users.map((s) => `"${s.name}" (models ${s.models!.map((m) => `"${m}"`).join(', ')})`),
  ].join(', ');
  // Compose runs both through Docker Model Runner / provider plugins, and fails up without them.
  throw new StackError(
    'UNSUPPORTED_PROVIDER',
    `cannot run service ${named}: stack runs no providers and no model runner; ` +
      'run the others with "stack up <service>..." or remove it',
  );
}

/**
 * Images before planning: the lock file pins digests, then what the selected services need is
 * built or pulled. Returns the model to plan with and whether anything was pulled or built.
 */
async function prepareImages(
  engine: Engine,
  model: StackModel,
  images: readonly ObservedImage[],
  selected: ReadonlySet<string>,
  options: ImageOptions,
  hooks: OperationHooks,
): Promise<{ model: StackModel; changed: boolean }> {
  const effective = await pinImages(model, images, selected, hooks, options.lockFile !== false);
  // A dry run plans with the images the engine has: nothing is pulled or built.
  if (hooks.dryRun) return { model: effective, changed: false };
  const { ensureImages } = await import('../images/ensure.js');
  const progress = await hooks.imageProgress?.();
  const onEvent = (event: ImageEvent): void => {
    progress?.onEvent(event);
    hooks.onImageEvent?.(event);
  };
  const common = {
    env: hooks.env,
    signal: hooks.signal,
    onEvent,
    ...(hooks.parallel !== undefined ? { parallel: hooks.parallel } : {}),
  };
  let changed = false;
  try {
    const rebuild = (options.rebuild ?? []).filter((s) => effective.services[s]?.build !== undefined);
    if (rebuild.length > 0) {
      await ensureImages(engine, effective, { images: [] }, { ...common, build: 'always', services: rebuild });
      changed = true;
    }
    const result = await ensureImages(
      engine,
      effective,
      { images: changed ? [] : images },
      {
        ...common,
        build: options.build ?? 'auto',
        pull: options.pull ?? 'policy',
        services: [...selected].sort(),
      },
    );
    for (const warning of result.warnings) hooks.onWarning?.(warning);
    changed ||= result.built.length > 0 || result.pulled.length > 0;
  } finally {
    progress?.end();
  }
  return { model: effective, changed };
}

/**
 * `up`: under the project lock, one observation serves the image step and, when that pulled or
 * built nothing and no lock file re-pinned the images, the plan too (a no-op `up` asks the
 * engine once); then the reconcile loop to convergence.
 */
export async function upStack(
  engine: Engine,
  model: StackModel,
  options: UpStackOptions,
  hooks: OperationHooks,
): Promise<OperationResult> {
  const { planUp } = await import('../planner/plan-up.js');
  const selected = await selectedServices(model, options.plan);
  refuseProviders(model, selected);
  return withProjectLock(engine, model.name, hooks, async (locked, lock) => {
    const observed = await observeWhilePreparing(engine, model, selected, options.plan.scale, hooks.signal);
    await checkExternals(model, observed, selected);
    const images = await prepareImages(engine, model, observed.images, selected, options.images ?? {}, hooks);
    const pinned = images.model;
    const reuse = pinned === model && !images.changed;
    const planOptions = { ...options.plan, imagesPrepared: true, hostPaths: resolveHostPaths(pinned) };
    const result = await underEngineLease(engine, model.name, locked, lock, (leased) =>
      applyContainers(
        engine,
        pinned,
        (state) => planUp(pinned, state, planOptions),
        leased,
        reuse ? observed : undefined,
      ),
    );
    return { ...result, model: pinned };
  });
}

/**
 * Observes the project while the planner makes the create bodies and hashes of its networks,
 * volumes and selected replicas, all but the image's part (preparations): at a few hundred
 * services the engine's listing takes about as long as they do, so the run waits for the
 * longer of the two instead of their sum. Yields to the event loop after every few steps, so
 * the requests go out and the replies are read meanwhile.
 */
async function observeWhilePreparing(
  engine: Engine,
  model: StackModel,
  selected: ReadonlySet<string>,
  scale: Readonly<Record<string, number>> | undefined,
  signal: AbortSignal,
): Promise<ObservedState> {
  const { preparations } = await import('../planner/desired.js');
  const observing = observe(engine, model, { signal });
  // Handled where it is awaited below; this only keeps a failure during the loop from
  // counting as unhandled.
  observing.catch(() => undefined);
  for (const [i, step] of preparations(model, selected, scale).entries()) {
    step();
    if (i % 4 === 3) await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal.aborted) break;
  }
  return observing;
}

/**
 * Before anything is created (exit 1): EXTERNAL_NOT_FOUND when a selected service uses a
 * missing external network or volume; APPLY_FAILED when its donor container is missing and
 * not part of the run (`up --no-deps app` with `network_mode: service:db` and no db).
 */
async function checkExternals(
  model: StackModel,
  observed: ObservedState,
  selected: ReadonlySet<string>,
): Promise<void> {
  const { describeMissingDonors, describeMissingExternals, missingDonors, missingExternals } =
    await import('../planner/externals.js');
  const missing = missingExternals(model, observed, selected);
  if (missing.length > 0) throw new StackError('EXTERNAL_NOT_FOUND', describeMissingExternals(missing));
  const donors = missingDonors(model, observed, selected);
  if (donors.length > 0) throw new StackError('APPLY_FAILED', describeMissingDonors(donors));
}

/**
 * What `upStack` would do now, touching nothing: the lock file pins as in `up`, the image step
 * decides with the same function and options (its pulls and builds come first in the plan),
 * then the container plan.
 */
export async function planStack(
  engine: Engine,
  model: StackModel,
  options: UpStackOptions,
  hooks: Pick<OperationHooks, 'signal' | 'onWarning' | 'cwd' | 'env'>,
): Promise<PlannedRun<ObservedState, Plan>> {
  const { planUp } = await import('../planner/plan-up.js');
  const { withImageSteps } = await import('../planner/image-steps.js');
  const selected = await selectedServices(model, options.plan);
  const observed = await observeWhilePreparing(engine, model, selected, options.plan.scale, hooks.signal);
  await checkExternals(model, observed, selected);
  const pinned = await pinImages(model, observed.images, selected, hooks, options.images?.lockFile !== false);
  const steps = await imageSteps(engine, pinned, observed.images, selected, options.images ?? {}, hooks.env);
  const planOptions = { ...options.plan, imagesPrepared: true, hostPaths: resolveHostPaths(pinned) };
  const planned = await planContainers(
    engine,
    pinned,
    (state) => planUp(pinned, state, planOptions),
    hooks.signal,
    pinned === model ? observed : undefined,
  );
  return { ...planned, plan: withImageSteps(planned.plan, steps) };
}

/** The image step's decisions (src/images/plan-images.ts, as ensureImages makes them) as plan steps. */
async function imageSteps(
  engine: Engine,
  model: StackModel,
  images: readonly ObservedImage[],
  selected: ReadonlySet<string>,
  options: ImageOptions,
  env: OperationHooks['env'],
): Promise<ImageStep[]> {
  const { planImages } = await import('../images/plan-images.js');
  const { readPullTimes } = await import('../images/pull-state.js');
  const decided = planImages(
    model,
    images,
    {
      build: options.build ?? 'auto',
      pull: options.pull ?? 'policy',
      services: [...selected].sort(),
      lastPulled: await readPullTimes(env, engine.endpoint),
    },
    Math.floor(Date.now() / 1000),
  );
  if (decided.problems.length > 0)
    throw new StackError('IMAGE_NOT_FOUND', decided.problems.map((p) => p.message).join('\n'));
  return [
    ...decided.pulls.map((p): ImageStep => ({
      kind: 'pull',
      image: p.image,
      services: p.services,
      reason: p.reason,
      ...(p.platform ? { platform: p.platform } : {}),
    })),
    ...decided.builds.map((b): ImageStep => ({
      kind: 'build',
      image: b.image,
      services: b.services,
      reason: b.reason,
    })),
  ];
}

/** What `downStack` would do now, touching nothing. */
export async function planStackDown(
  engine: Engine,
  project: ProjectTarget,
  options: DownOptions,
  signal: AbortSignal,
): Promise<PlannedRun<ObservedState, Plan>> {
  const { planDown } = await import('../planner/plan-down.js');
  return planContainers(engine, project, (state) => planDown(project, state, options), signal);
}

/** `down`: under the project lock, the reconcile loop with planDown. */
export async function downStack(
  engine: Engine,
  project: ProjectTarget,
  options: DownOptions,
  hooks: OperationHooks,
): Promise<OperationResult> {
  const { planDown } = await import('../planner/plan-down.js');
  return withProjectLock(engine, projectOf(project), hooks, (locked, lock) =>
    underEngineLease(engine, projectOf(project), locked, lock, (leased) =>
      applyContainers(engine, project, (state) => planDown(project, state, options), leased),
    ),
  );
}
