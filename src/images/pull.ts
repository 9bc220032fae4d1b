/**
 * Pulling one image: credentials from config.json, the NDJSON progress read with our own
 * splitter, an in-band error turned into IMAGE_NOT_FOUND (unknown repository or tag) or
 * PULL_FAILED. A reference without a tag is pulled as `:latest` (the engine would pull every
 * tag of the repository otherwise).
 */
import { StackError } from '../errors.js';
import type { Engine } from '../engine/types.js';
import { EngineCallError } from '../engine/errors.js';
import { pullImageStream } from '../engine/images.js';
import { readNdjson } from '../engine/streams.js';
import { authForImage } from './credentials.js';
import type { CredentialHelperRunner, DockerConfigFile } from './credentials.js';
import type { ImageEventSink } from './events.js';
import { PullProgressState, isNotFoundMessage } from './pull-stream.js';
import { parseReference, withDefaultTag } from '../image-ref.js';

/** Options of pullOne. */
export interface PullOptions {
  readonly config?: DockerConfigFile;
  readonly runHelper?: CredentialHelperRunner;
  readonly platform?: string;
  readonly services?: readonly string[];
  readonly onEvent?: ImageEventSink;
  readonly signal?: AbortSignal;
}

/** What a pull did. */
export interface PullResult {
  readonly image: string;
  /** The manifest digest the registry served. */
  readonly digest?: string;
  /** False when the local image was already up to date. */
  readonly updated: boolean;
}

function notFound(ref: string, detail: string): StackError {
  const { registry } = parseReference(ref);
  return new StackError('IMAGE_NOT_FOUND', `image ${ref} was not found in registry ${registry}: ${detail}`);
}

/** Pulls `ref`; IMAGE_NOT_FOUND when the registry has no such repository or tag, else PULL_FAILED. */
export async function pullOne(engine: Engine, ref: string, options: PullOptions = {}): Promise<PullResult> {
  const target = withDefaultTag(ref);
  const auth = options.config ? await authForImage(target, options.config, options.runHelper) : undefined;
  options.onEvent?.({ type: 'pull-start', image: ref, services: options.services ?? [] });
  const state = new PullProgressState();
  try {
    const stream = await pullImageStream(engine, target, {
      ...(auth ? { auth } : {}),
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      for await (const item of readNdjson(stream)) {
        if (state.push(item) && state.error === undefined)
          options.onEvent?.({ type: 'pull-progress', image: ref, summary: state.summary() });
        if (state.error !== undefined) break;
      }
    } finally {
      stream.destroy();
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const failure = toPullError(ref, error);
    options.onEvent?.({ type: 'pull-failed', image: ref, message: failure.message, fatal: true });
    throw failure;
  }
  if (state.error !== undefined) {
    const failure = isNotFoundMessage(state.error)
      ? notFound(ref, state.error)
      : new StackError('PULL_FAILED', `pulling ${ref} failed: ${state.error}`);
    options.onEvent?.({ type: 'pull-failed', image: ref, message: failure.message, fatal: true });
    throw failure;
  }
  options.onEvent?.({
    type: 'pull-done',
    image: ref,
    updated: state.updated,
    ...(state.digest ? { digest: state.digest } : {}),
  });
  return { image: ref, updated: state.updated, ...(state.digest ? { digest: state.digest } : {}) };
}

function toPullError(ref: string, error: unknown): StackError {
  if (error instanceof EngineCallError) {
    // The engine answers 404 before streaming when the repository or tag does not exist.
    if (error.statusCode === 404) return notFound(ref, error.engineMessage || 'not found');
    const hint =
      error.statusCode === 401 || error.statusCode === 403
        ? ' (log in with `docker login` or check ~/.docker/config.json)'
        : '';
    return new StackError(
      'PULL_FAILED',
      `pulling ${ref} failed: ${error.engineMessage || `HTTP ${error.statusCode}`}${hint}`,
      { cause: error },
    );
  }
  if (error instanceof StackError) return error;
  return new StackError(
    'PULL_FAILED',
    `pulling ${ref} failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
