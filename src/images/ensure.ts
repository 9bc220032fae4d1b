/**
 * Getting the images a stack needs before its containers are planned (`up`, `up --build`,
 * `up --no-build`, `stack build`, `stack pull`):
 *
 *   read pull times ─▶ planImages (pure) ─▶ problems? throw IMAGE_NOT_FOUND
 *        ─▶ pulls (parallel; a pull that finds nothing builds its fallback)
 *        ─▶ builds (one per shared build section, every service's tag at once)
 *        ─▶ record pull times ─▶ re-list the model's images ─▶ observed state with fresh image IDs
 *
 * The planner then hashes the fresh image IDs into each container's config hash, so only the
 * services whose image changed are recreated.
 */
import { StackError } from '../errors.js';
import type { StackModel } from '../model.js';
import type { ObservedImage, ObservedState } from '../planner/types.js';
import type { Engine } from '../engine/types.js';
import { observeImages } from '../engine/observe.js';
import { runBuild } from './build.js';
import { credentialHelperRunner, readDockerConfig, registryConfigForBuild } from './credentials.js';
import type { CredentialHelperRunner } from './credentials.js';
import { forEachLimit } from './events.js';
import type { ImageEventSink } from './events.js';
import { planImages } from './plan-images.js';
import type { BuildMode, BuildTask, ImagePlan, PullMode } from './plan-images.js';
import { pullOne } from './pull.js';
import { readPullTimes, recordPulls } from './pull-state.js';

/** Options of ensureImages. */
export interface EnsureImagesOptions {
  /** `auto` (default): build what is missing; `always`: `up --build`; `never`: `up --no-build`. */
  readonly build?: BuildMode;
  /** `policy` (default): each service's pull_policy; `always`/`missing`/`never` override it. */
  readonly pull?: PullMode;
  /** Only these services (default: all enabled services of the model). */
  readonly services?: readonly string[];
  /** `stack pull --ignore-buildable`. */
  readonly ignoreBuildable?: boolean;
  /** A failed pull of a service that has a build section is a warning, not an error (`stack pull`). */
  readonly pullFailureOfBuildableIsWarning?: boolean;
  /** Build flags: `--no-cache`, `--pull`, `--build-arg`. */
  readonly noCache?: boolean;
  readonly pullBase?: boolean;
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Environment: config.json location, pull-time cache, values of build args written without one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Unix seconds; default the system clock. */
  readonly now?: number;
  /** Concurrent pulls (default 4). Builds run one at a time (the legacy builder is CPU-bound). */
  readonly parallel?: number;
  readonly runHelper?: CredentialHelperRunner;
  readonly onEvent?: ImageEventSink;
  readonly signal?: AbortSignal;
}

/** What ensureImages did. */
export interface EnsureImagesResult {
  readonly plan: ImagePlan;
  /** Built images: the first tag, the new image ID and the services using it. */
  readonly built: readonly { readonly image: string; readonly imageId: string; readonly services: readonly string[] }[];
  /** Pulled images, with the registry digest and whether anything new was downloaded. */
  readonly pulled: readonly { readonly image: string; readonly digest?: string; readonly updated: boolean }[];
  /** Things the user should know (a buildable image that could not be pulled, ...). */
  readonly warnings: readonly string[];
  /** The model's images as the engine has them now (same shape as ObservedState.images). */
  readonly images: readonly ObservedImage[];
}

/** The model's images as the engine has them now (observe's image list, alone). */
export const listModelImages = observeImages;

/**
 * Pulls and builds what the model needs under `options`, then returns the fresh image list.
 * `observed` is the snapshot taken before (only its images are read). Throws IMAGE_NOT_FOUND
 * (nothing to run a service with), PULL_FAILED or BUILD_FAILED; nothing else is touched.
 */
export async function ensureImages(
  engine: Engine,
  model: StackModel,
  observed: Pick<ObservedState, 'images'>,
  options: EnsureImagesOptions = {},
): Promise<EnsureImagesResult> {
  const env = options.env ?? {};
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const lastPulled = await readPullTimes(env, engine.endpoint);
  const plan = planImages(
    model,
    observed.images,
    {
      lastPulled,
      ...(options.build ? { build: options.build } : {}),
      ...(options.pull ? { pull: options.pull } : {}),
      ...(options.services ? { services: options.services } : {}),
      ...(options.ignoreBuildable ? { ignoreBuildable: true } : {}),
    },
    now,
  );
  if (plan.problems.length > 0) {
    const message = plan.problems.map((p) => p.message).join('\n');
    throw new StackError('IMAGE_NOT_FOUND', message);
  }
  const needsConfig = plan.pulls.length > 0 || plan.builds.length > 0;
  const config = needsConfig ? await readDockerConfig(env) : {};
  // Helpers run with the caller's environment; a library call that passed none gets the process's.
  const runHelper = options.runHelper ?? credentialHelperRunner(options.env ?? process.env);
  const warnings: string[] = [];
  const pulled: { image: string; digest?: string; updated: boolean }[] = [];
  const builds: BuildTask[] = [...plan.builds];
  const signal = options.signal;

  await forEachLimit(plan.pulls, options.parallel ?? 4, async (task) => {
    try {
      const result = await pullOne(engine, task.image, {
        config,
        runHelper,
        services: task.services,
        ...(task.platform ? { platform: task.platform } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(signal ? { signal } : {}),
      });
      pulled.push(result);
    } catch (error) {
      if (signal?.aborted || !(error instanceof StackError)) throw error;
      // Compose's rule for build + image: pull first, build when the registry cannot serve it.
      if (task.fallback && !builds.some((b) => b.key === task.fallback!.key && b.tags.includes(task.image))) {
        warnings.push(`${error.message}; building it instead`);
        options.onEvent?.({ type: 'warning', message: `${task.image}: not pulled (${error.code}), building it` });
        builds.push(task.fallback);
        return;
      }
      if (
        options.pullFailureOfBuildableIsWarning &&
        task.services.some((name) => model.services[name]?.build !== undefined)
      ) {
        warnings.push(error.message);
        return;
      }
      throw error;
    }
  });

  const built: { image: string; imageId: string; services: readonly string[] }[] = [];
  if (builds.length > 0) {
    const registryConfig = await registryConfigForBuild(config, runHelper);
    for (const task of builds) {
      const imageId = await runBuild(engine, task, {
        env,
        registryConfig,
        ...(options.noCache ? { noCache: true } : {}),
        ...(options.pullBase ? { pull: true } : {}),
        ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(signal ? { signal } : {}),
      });
      built.push({ image: task.image, imageId, services: task.services });
    }
  }

  await recordPulls(
    env,
    engine.endpoint,
    pulled.map((p) => p.image),
    now,
  );
  const changed = pulled.length > 0 || built.length > 0;
  const images = changed ? await listModelImages(engine, model, signal) : [...observed.images];
  return { plan, built, pulled, warnings, images };
}
