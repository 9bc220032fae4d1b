/**
 * Resolving what a stack's images are right now, as a LockFile: from the local images (what
 * `stack lock` records after pulling) or from the registry (what `stack lock --check` compares
 * against, without pulling). A registry that cannot be asked falls back to the local image and
 * says so.
 */
import type { StackModel } from '../model.js';
import { imageRef } from '../planner/images.js';
import type { Engine } from '../engine/types.js';
import { distributionInspect, inspectImage } from '../engine/images.js';
import { authForImage, credentialHelperRunner } from './credentials.js';
import type { CredentialHelperRunner, DockerConfigFile } from './credentials.js';
import { LOCK_VERSION } from './lock-file.js';
import type { LockFile, LockedImage } from './lock-file.js';
import { digestFor, withDefaultTag } from '../image-ref.js';

/** Options of resolveLock. */
export interface ResolveLockOptions {
  /** `local`: digests from the local images; `registry`: ask the registry (through the engine). */
  readonly source: 'local' | 'registry';
  readonly config?: DockerConfigFile;
  readonly runHelper?: CredentialHelperRunner;
  /** The environment credential helpers run with (default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/** A resolved lock and the notes gathered on the way (registry fallbacks). */
export interface ResolvedLock {
  readonly lock: LockFile;
  readonly notes: readonly string[];
}

/** The current image of every service, as a lock. */
export async function resolveLock(
  engine: Engine,
  model: StackModel,
  options: ResolveLockOptions,
): Promise<ResolvedLock> {
  const services: Record<string, LockedImage> = {};
  const notes: string[] = [];
  const names = Object.keys(model.services).sort();
  await Promise.all(
    names.map(async (name) => {
      const spec = model.services[name]!;
      const ref = imageRef(model.name, spec);
      const local = await inspectImage(engine, ref, options.signal);
      let digest = local ? digestFor(ref, local.RepoDigests ?? []) : undefined;
      // An image without `image:` exists only locally, and so does a present image with no
      // repo digest (built or loaded, never pulled or pushed): there is no registry to ask.
      const localOnly = spec.image === undefined || (local !== undefined && digest === undefined);
      if (options.source === 'registry' && !localOnly) {
        try {
          const auth = options.config
            ? await authForImage(ref, options.config, options.runHelper ?? credentialHelperRunner(options.env))
            : undefined;
          digest = (
            await distributionInspect(engine, withDefaultTag(ref), {
              ...(auth ? { auth } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            })
          ).digest;
        } catch (error) {
          if (options.signal?.aborted) throw error;
          const why = error instanceof Error ? error.message : String(error);
          notes.push(
            `${ref}: the registry could not be asked (${why}); ` +
              `using the local image${digest ? '' : ', which has no digest'}`,
          );
        }
      }
      services[name] = {
        image: ref,
        ...(digest ? { digest } : {}),
        ...(local ? { imageId: local.Id } : {}),
        ...(spec.build ? { build: true } : {}),
      };
    }),
  );
  notes.sort();
  return { lock: { version: LOCK_VERSION, project: model.name, services }, notes };
}
