/**
 * The named image calls src/images uses: build, pull and push streams, tag, remove, image and
 * distribution inspect. Each is one Engine method, so it gets the client's retry and deadline
 * policy (client.ts); only these names are part of the door src/images walks through.
 *
 * Streaming calls return the raw NDJSON byte stream: the callers in src/images parse it with
 * our own line splitter (an in-band `error`/`errorDetail` is a failure even on HTTP 200).
 */
import type { Readable } from 'node:stream';
import { StackError } from '../errors.js';
import { readNdjson } from './streams.js';
import type { BuildQuery, DistributionDescriptor, Engine, EngineImageInspect, RegistryAuth } from './types.js';

export type { BuildQuery, DistributionDescriptor, RegistryAuth } from './types.js';
export { encodeAuth } from './image-params.js';

/** The parts of GET /images/{name}/json stack reads. */
export type ImageInspect = EngineImageInspect;

/** GET /images/{ref}/json; undefined when the engine has no such image. */
export function inspectImage(engine: Engine, ref: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
  return engine.inspectImage(ref, signal);
}

/** POST /build with the context tar as the body: the NDJSON progress stream; the build's failure arrives in-band. */
export function buildImageStream(
  engine: Engine,
  context: Readable,
  query: BuildQuery,
  options: { registryConfig?: Readonly<Record<string, RegistryAuth>>; signal?: AbortSignal } = {},
): Promise<Readable> {
  return engine.buildImage(context, query, options);
}

/** POST /images/create?fromImage=ref: the NDJSON pull progress stream. */
export function pullImageStream(
  engine: Engine,
  ref: string,
  options: { auth?: RegistryAuth; platform?: string; signal?: AbortSignal } = {},
): Promise<Readable> {
  return engine.pullImageStream(ref, options);
}

/** POST /images/{name}/push?tag=: the NDJSON push progress stream. */
export function pushImageStream(
  engine: Engine,
  repo: string,
  tag: string,
  options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
): Promise<Readable> {
  return engine.pushImage(repo, tag, options);
}

/** POST /images/{source}/tag?repo=&tag= */
export function tagImage(
  engine: Engine,
  source: string,
  repo: string,
  tag: string,
  signal?: AbortSignal,
): Promise<void> {
  return engine.tagImage(source, repo, tag, signal);
}

/** DELETE /images/{ref}; 404 (already gone) is success. */
export function removeImage(
  engine: Engine,
  ref: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  return engine.removeImage(ref, options);
}

/** Asks the registry, through the engine, which digest `ref` points at now. 404/401 reject. */
export function distributionInspect(
  engine: Engine,
  ref: string,
  options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
): Promise<DistributionDescriptor> {
  return engine.inspectDistribution(ref, options);
}

/**
 * Pushes `ref` (name:tag) and resolves to the digest the registry now serves for it (from the
 * push stream's aux record); an error in the stream rejects naming the push and the cause.
 */
export async function pushImageForDigest(
  engine: Engine,
  ref: string,
  options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
): Promise<string | undefined> {
  const { repository, tag } = splitTag(ref);
  const stream = await engine.pushImage(repository, tag, options);
  let digest: string | undefined;
  try {
    for await (const item of readNdjson(stream)) {
      if (!item.ok) continue;
      const message = item.value as { error?: string; errorDetail?: { message?: string }; aux?: { Digest?: string } };
      const error = message.errorDetail?.message ?? message.error;
      if (error) throw new StackError('PULL_FAILED', `pushing ${ref} failed: ${error}`);
      digest = message.aux?.Digest ?? digest;
    }
  } finally {
    stream.destroy();
  }
  return digest;
}

/** The manifest digest the registry holds for `ref` now (the engine asks the registry, with `auth` when given). */
export async function registryDigest(
  engine: Engine,
  ref: string,
  signal?: AbortSignal,
  auth?: RegistryAuth,
): Promise<string> {
  return (await engine.inspectDistribution(ref, { ...(signal ? { signal } : {}), ...(auth ? { auth } : {}) })).digest;
}

/** `host:5000/app:v1` → repository `host:5000/app`, tag `v1` (default `latest`). */
function splitTag(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/')
    ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repository: ref, tag: 'latest' };
}
