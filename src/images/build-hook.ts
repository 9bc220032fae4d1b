/**
 * The executor's `buildImage` hook (src/reconciler/execute.ts) for `build-image` actions the
 * planner emits: build the service's build section, tagged with its image name. Builds of
 * the same section within one run share one engine build.
 */
import { StackError } from '../errors.js';
import type { StackModel } from '../model.js';
import type { Action } from '../planner/types.js';
import type { Engine } from '../engine/types.js';
import { runBuild } from './build.js';
import type { BuildRunOptions } from './build.js';
import { buildKey } from './plan-images.js';

/** A function the executor calls for each build-image action. */
export type BuildImageHook = (action: Extract<Action, { kind: 'build-image' }>, signal?: AbortSignal) => Promise<void>;

/** Creates the hook for `model`; `options` carry the build flags, credentials and event sink. */
export function createBuildImageHook(engine: Engine, model: StackModel, options: BuildRunOptions = {}): BuildImageHook {
  const running = new Map<string, Promise<string>>();
  return async (action, signal) => {
    const spec = model.services[action.service];
    if (!spec?.build)
      throw new StackError(
        'BUILD_FAILED',
        `service ${action.service} has no build section to build ${action.image} from`,
      );
    const key = `${buildKey(spec.build, spec.platform)}:${action.image}`;
    let build = running.get(key);
    if (!build) {
      const task = {
        key,
        image: action.image,
        tags: [action.image, ...spec.build.tags.filter((t) => t !== action.image)],
        services: [action.service],
        build: spec.build,
        ...(spec.platform ? { platform: spec.platform } : {}),
        reason: { code: 'missing' as const, detail: 'build-image action' },
      };
      build = runBuild(engine, task, { ...options, ...(signal ? { signal } : {}) });
      running.set(key, build);
    }
    await build;
  };
}
