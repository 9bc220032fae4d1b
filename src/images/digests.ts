/**
 * `config --resolve-image-digests` / `--lock-image-digests`: the digest the registry serves now
 * for each image reference, asked through the engine (GET /distribution/{ref}/json) with the
 * credentials of ~/.docker/config.json, as Compose's resolver does. A reference already pinned
 * by digest is kept; one the registry cannot answer for fails, naming it.
 */
import { StackError } from '../errors.js';
import type { Engine } from '../engine/types.js';
import { distributionInspect } from '../engine/images.js';
import { canonicalPinned, parseReference, withDefaultTag } from '../image-ref.js';
import { authForImage, credentialHelperRunner, readDockerConfig } from './credentials.js';

/** Each reference → the same reference pinned (`registry/path:tag@sha256:…`). */
export async function pinImageDigests(
  engine: Engine,
  refs: readonly string[],
  options: { env: Readonly<Record<string, string | undefined>>; signal?: AbortSignal },
): Promise<Map<string, string>> {
  const config = await readDockerConfig(options.env);
  const helper = credentialHelperRunner(options.env);
  const pinned = new Map<string, string>();
  await Promise.all(
    [...new Set(refs)].map(async (ref) => {
      if (parseReference(ref).digest !== undefined) return void pinned.set(ref, ref);
      const auth = await authForImage(ref, config, helper);
      try {
        const { digest } = await distributionInspect(engine, withDefaultTag(ref), {
          ...(auth ? { auth } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        pinned.set(ref, canonicalPinned(ref, digest));
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new StackError(
          'PULL_FAILED',
          `cannot resolve the digest of ${ref}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }),
  );
  return pinned;
}
