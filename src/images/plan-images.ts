/**
 * Which images to pull and which to build before planning containers: pure, the observed
 * images, the last pull times and the clock are passed in. A build shared by several
 * services (same context, Dockerfile, args, target, ...) becomes one build task tagged with
 * every service's image name.
 */
import { createHash } from 'node:crypto';
import type { BuildSpec, ServiceSpec, StackModel } from '../model.js';
import { canonicalJson } from '../planner/hash.js';
import { imageRef, resolveImage } from '../planner/images.js';
import type { ObservedImage } from '../planner/types.js';
import { decidePull, normalizePullPolicy } from './pull-policy.js';
import type { ImageReasonCode, NormalizedPullPolicy } from './pull-policy.js';
import { withDefaultTag } from '../image-ref.js';

/** `up --build` = always, `up --no-build` = never, default auto (build what is missing). */
export type BuildMode = 'auto' | 'always' | 'never';
/** `policy` follows each service's pull_policy; the others override it (`up --pull ...`, `stack pull`). */
export type PullMode = 'policy' | 'always' | 'missing' | 'never' | 'build';

/** Options of planImages. */
export interface PlanImagesOptions {
  readonly build?: BuildMode;
  readonly pull?: PullMode;
  /** Only these services (default: all enabled services). */
  readonly services?: readonly string[];
  /** Unix seconds of the last recorded pull, by reference with the tag defaulted (`withDefaultTag`). */
  readonly lastPulled?: Readonly<Record<string, number>>;
  /** Leave out services that have a build section (`stack pull --ignore-buildable`). */
  readonly ignoreBuildable?: boolean;
}

/** Why, for display. */
export interface ImageReason {
  readonly code: ImageReasonCode;
  readonly detail: string;
}

/** The decision for one service. */
export interface ImageDecision {
  readonly service: string;
  readonly image: string;
  readonly action: 'build' | 'pull' | 'none';
  /** A pull that falls back to building when the registry does not have the image. */
  readonly fallbackToBuild: boolean;
  readonly reason: ImageReason;
}

/** One build to run (shared by `services`), tagged with every name in `tags`. */
export interface BuildTask {
  /** Identity of the build: a hash of the build section without its tags. */
  readonly key: string;
  /** The first tag: the image named by the first service. */
  readonly image: string;
  readonly tags: readonly string[];
  readonly services: readonly string[];
  readonly build: BuildSpec;
  readonly platform?: string;
  readonly reason: ImageReason;
}

/** One pull to run, for `services`; `fallback` is built when the pull finds nothing. */
export interface PullTask {
  readonly image: string;
  readonly services: readonly string[];
  readonly platform?: string;
  readonly fallback?: BuildTask;
  readonly reason: ImageReason;
}

/** A service whose image cannot be obtained under the options. */
export interface ImageProblem {
  readonly service: string;
  readonly image: string;
  readonly message: string;
}

/** The result of planImages. */
export interface ImagePlan {
  readonly decisions: readonly ImageDecision[];
  readonly pulls: readonly PullTask[];
  readonly builds: readonly BuildTask[];
  readonly problems: readonly ImageProblem[];
}

/** The build identity: everything that shapes the image except the names it gets. */
export function buildKey(build: BuildSpec, platform: string | undefined): string {
  const { tags: _tags, ...rest } = build;
  return createHash('sha256')
    .update(canonicalJson({ build: rest, platform }))
    .digest('hex')
    .slice(0, 16);
}

function policyFor(spec: ServiceSpec, mode: PullMode): NormalizedPullPolicy {
  if (mode !== 'policy') return { kind: mode };
  // A malformed policy is the loader's to report; here it degrades to the default.
  try {
    return normalizePullPolicy(spec.pullPolicy) ?? { kind: 'missing' };
  } catch {
    return { kind: 'missing' };
  }
}

function decide(
  model: StackModel,
  spec: ServiceSpec,
  images: readonly ObservedImage[],
  options: PlanImagesOptions,
  now: number,
): ImageDecision | ImageProblem {
  const image = imageRef(model.name, spec);
  const present = resolveImage(image, images) !== undefined;
  const buildMode = options.build ?? 'auto';
  const canBuild = spec.build !== undefined && buildMode !== 'never';
  const policy = policyFor(spec, options.pull ?? 'policy');
  const lastPulled = options.lastPulled?.[withDefaultTag(image)];
  const base = { service: spec.name, image, fallbackToBuild: false };
  const missing = (why: string): ImageProblem => ({
    service: spec.name,
    image,
    message: `image ${image} for service ${spec.name} is not present locally and ${why}`,
  });

  // `up --build`: every service with a build section is rebuilt, whatever its pull_policy.
  if (spec.build && buildMode === 'always')
    return { ...base, action: 'build', reason: { code: 'build_forced', detail: '--build' } };
  // pull_policy: build rebuilds on every up, like Compose (unless --no-build).
  if (spec.build && policy.kind === 'build' && canBuild)
    return {
      ...base,
      action: 'build',
      reason: { code: 'policy_build', detail: options.pull === 'build' ? '--pull build' : 'pull_policy: build' },
    };
  // Without `image:` the image only exists locally: build it when missing, never pull it.
  if (spec.build && spec.image === undefined) {
    if (present) return { ...base, action: 'none', reason: { code: 'present', detail: 'built image present locally' } };
    return canBuild
      ? { ...base, action: 'build', reason: { code: 'missing', detail: 'not built yet' } }
      : missing('--no-build forbids building it');
  }
  const decision = decidePull(policy, { present, ...(lastPulled !== undefined ? { lastPulled } : {}) }, now);
  // Build + image: pull per policy and build when the registry has nothing (Compose's rule).
  if (decision.pull)
    return {
      ...base,
      action: 'pull',
      fallbackToBuild: canBuild,
      reason: { code: decision.code, detail: decision.detail },
    };
  if (present) return { ...base, action: 'none', reason: { code: decision.code, detail: decision.detail } };
  // Not pulled and not present: build if possible, else nothing can run this service.
  if (canBuild) return { ...base, action: 'build', reason: { code: 'missing', detail: 'not present locally' } };
  return missing(
    policy.kind === 'never'
      ? 'its pull_policy is never'
      : spec.build
        ? '--no-build forbids building it'
        : 'cannot be pulled',
  );
}

/**
 * Decides, per service, whether its image is pulled, built or already there, and groups the
 * work into unique pull and build tasks. `now` is unix seconds.
 */
export function planImages(
  model: StackModel,
  images: readonly ObservedImage[],
  options: PlanImagesOptions,
  now: number,
): ImagePlan {
  const wanted = options.services && options.services.length > 0 ? new Set(options.services) : undefined;
  const decisions: ImageDecision[] = [];
  const problems: ImageProblem[] = [];
  const builds = new Map<
    string,
    { image: string; tags: Set<string>; services: string[]; build: BuildSpec; platform?: string; reason: ImageReason }
  >();
  const pulls = new Map<string, { services: string[]; platform?: string; fallbackKey?: string; reason: ImageReason }>();

  const addBuild = (spec: ServiceSpec, image: string, reason: ImageReason): string => {
    const build = spec.build!;
    const key = buildKey(build, spec.platform);
    const task = builds.get(key) ?? {
      image,
      tags: new Set<string>(),
      services: [],
      build,
      ...(spec.platform ? { platform: spec.platform } : {}),
      reason,
    };
    task.tags.add(image);
    for (const tag of build.tags) task.tags.add(tag);
    task.services.push(spec.name);
    builds.set(key, task);
    return key;
  };

  for (const name of Object.keys(model.services).sort()) {
    const spec = model.services[name]!;
    if (wanted && !wanted.has(name)) continue;
    if (options.ignoreBuildable && spec.build) continue;
    const result = decide(model, spec, images, options, now);
    if (!('action' in result)) {
      problems.push(result);
      continue;
    }
    decisions.push(result);
    if (result.action === 'build') addBuild(spec, result.image, result.reason);
    if (result.action === 'pull') {
      const task = pulls.get(result.image) ?? {
        services: [],
        ...(spec.platform ? { platform: spec.platform } : {}),
        reason: result.reason,
      };
      task.services.push(name);
      // A fallback build is registered only as a fallback: it runs if the pull finds nothing.
      if (result.fallbackToBuild && spec.build && task.fallbackKey === undefined)
        task.fallbackKey = `${buildKey(spec.build, spec.platform)}:${name}`;
      pulls.set(result.image, task);
    }
  }

  const buildTasks: BuildTask[] = [...builds.entries()].map(([key, t]) => ({
    key,
    image: t.image,
    tags: [t.image, ...[...t.tags].filter((tag) => tag !== t.image).sort()],
    services: t.services,
    build: t.build,
    ...(t.platform ? { platform: t.platform } : {}),
    reason: t.reason,
  }));
  const pullTasks: PullTask[] = [...pulls.entries()].map(([image, t]) => {
    let fallback: BuildTask | undefined;
    if (t.fallbackKey !== undefined) {
      const service = t.fallbackKey.slice(t.fallbackKey.indexOf(':') + 1);
      const spec = model.services[service]!;
      const key = buildKey(spec.build!, spec.platform);
      fallback = {
        key,
        image,
        tags: [image, ...spec.build!.tags.filter((tag) => tag !== image)],
        services: t.services,
        build: spec.build!,
        ...(spec.platform ? { platform: spec.platform } : {}),
        reason: { code: 'missing', detail: 'not found in the registry' },
      };
    }
    return {
      image,
      services: t.services,
      ...(t.platform ? { platform: t.platform } : {}),
      ...(fallback ? { fallback } : {}),
      reason: t.reason,
    };
  });
  return { decisions, pulls: pullTasks, builds: buildTasks, problems };
}
