/**
 * `push`: each service with both `build:` and `image:` (and its `build.tags`) pushed to its
 * registry, as Compose; services without them are skipped. A failure carries the registry's
 * reason; with `ignoreFailures` it is reported and the other pushes go on.
 */
import { StackError } from '../errors.js';
import type { StackModel } from '../model.js';
import type { Engine } from '../engine/types.js';
import { readNdjson } from '../engine/streams.js';
import { pushImageStream } from '../engine/images.js';
import { parseReference } from '../image-ref.js';
import { authForImage, readDockerConfig } from './credentials.js';

/** The tags `push` pushes, in order: each service's `image:` then its `build.tags`. */
export function pushTargets(model: StackModel, services: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const name of services.length > 0 ? services : Object.keys(model.services).sort()) {
    const spec = model.services[name];
    if (!spec?.build || spec.image === undefined) continue;
    tags.add(spec.image);
    for (const tag of spec.build.tags) tags.add(tag);
  }
  return [...tags];
}

/** Pushes one tag; rejects with the registry's reason (in-band errors included). */
export async function pushTag(
  engine: Engine,
  ref: string,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<void> {
  const parsed = parseReference(ref);
  const tag = parsed.tag ?? 'latest';
  const repo = ref.slice(0, ref.length - (parsed.tag !== undefined ? parsed.tag.length + 1 : 0));
  const auth = await authForImage(ref, await readDockerConfig(env));
  let stream;
  try {
    stream = await pushImageStream(engine, repo, tag, { ...(auth ? { auth } : {}), ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new StackError(
      'APPLY_FAILED',
      `pushing ${ref} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  try {
    for await (const item of readNdjson(stream)) {
      if (!item.ok) continue;
      const message = item.value as { error?: string; errorDetail?: { message?: string } };
      const error = message.errorDetail?.message ?? message.error;
      if (error) throw new StackError('APPLY_FAILED', `pushing ${ref} failed: ${error}`);
    }
  } finally {
    stream.destroy();
  }
}

/** Pushes every target; resolves to the failures when `ignoreFailures`, else throws the first. */
export async function pushImages(
  engine: Engine,
  targets: readonly string[],
  options: {
    env: Readonly<Record<string, string | undefined>>;
    ignoreFailures?: boolean;
    signal?: AbortSignal;
    onDone?: (ref: string) => void;
  },
): Promise<{ image: string; message: string }[]> {
  const failures: { image: string; message: string }[] = [];
  for (const ref of targets) {
    try {
      await pushTag(engine, ref, options.env, options.signal);
      options.onDone?.(ref);
    } catch (error) {
      if (!options.ignoreFailures || !(error instanceof StackError)) throw error;
      failures.push({ image: ref, message: error.message });
    }
  }
  return failures;
}
