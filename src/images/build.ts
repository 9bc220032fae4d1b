/**
 * Running one build task: pack the context ourselves (context-tar.ts), POST /build with every
 * build option the legacy builder takes, read the NDJSON output with our own splitter, and
 * fail with BUILD_FAILED naming the failing step and its output when the stream carries an
 * error. The image gets every tag of the task in the same call.
 */
import { StackError } from '../errors.js';
import type { Engine } from '../engine/types.js';
import { EngineCallError } from '../engine/errors.js';
import { buildImageStream, inspectImage } from '../engine/images.js';
import type { BuildQuery, RegistryAuth } from '../engine/images.js';
import { readNdjson } from '../engine/streams.js';
import { BuildOutput, buildFailedError } from './build-stream.js';
import { prepareContext } from './context-tar.js';
import type { ImageEventSink } from './events.js';
import type { BuildTask } from './plan-images.js';

/** Options of runBuild (the `stack build` flags and what the caller resolved). */
export interface BuildRunOptions {
  /** `--no-cache` */
  readonly noCache?: boolean;
  /** `--pull`: always try a newer base image. */
  readonly pull?: boolean;
  /** `--build-arg K=V`: overrides the file's args. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** For args written without a value (`args: [FOO]`): taken from here when set. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Credentials for base images (X-Registry-Config). */
  readonly registryConfig?: Readonly<Record<string, RegistryAuth>>;
  readonly onEvent?: ImageEventSink;
  readonly signal?: AbortSignal;
}

/** Build args for the engine: null values from the environment, or left to the Dockerfile default. */
export function resolveBuildArgs(
  args: Readonly<Record<string, string | null>>,
  overrides: Readonly<Record<string, string>> = {},
  env: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    const resolved = value ?? env[key];
    if (resolved !== undefined) out[key] = resolved;
  }
  return { ...out, ...overrides };
}

/** The POST /build query for a task. */
export function buildQueryFor(task: BuildTask, dockerfile: string, options: BuildRunOptions): BuildQuery {
  const b = task.build;
  const buildargs = resolveBuildArgs(b.args, options.buildArgs, options.env);
  return {
    dockerfile,
    t: task.tags,
    ...(Object.keys(buildargs).length > 0 ? { buildargs } : {}),
    ...(b.target ? { target: b.target } : {}),
    ...(Object.keys(b.labels).length > 0 ? { labels: b.labels } : {}),
    ...(b.network ? { networkmode: b.network } : {}),
    ...(b.extraHosts.length > 0 ? { extrahosts: b.extraHosts } : {}),
    ...(b.shmSize !== undefined ? { shmsize: b.shmSize } : {}),
    ...(b.cacheFrom.length > 0 ? { cachefrom: b.cacheFrom } : {}),
    ...(options.noCache || b.noCache ? { nocache: true } : {}),
    ...(options.pull || b.pull ? { pull: true } : {}),
    ...(task.platform ? { platform: task.platform } : {}),
  };
}

/** Builds `task`; resolves to the full image ID (`sha256:...`). */
export async function runBuild(engine: Engine, task: BuildTask, options: BuildRunOptions = {}): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(task.build.context) || task.build.context.startsWith('git@')) {
    throw new StackError(
      'BUILD_FAILED',
      `building ${task.image}: remote build contexts (${task.build.context}) are not supported yet; ` +
        'clone it and point context at the directory',
    );
  }
  const context = await prepareContext({
    contextDir: task.build.context,
    ...(task.build.dockerfile !== undefined ? { dockerfile: task.build.dockerfile } : {}),
    ...(task.build.dockerfileInline !== undefined ? { dockerfileInline: task.build.dockerfileInline } : {}),
  });
  options.onEvent?.({ type: 'build-start', image: task.image, services: task.services });
  const output = new BuildOutput();
  const body = context.open();
  try {
    const stream = await buildImageStream(engine, body, buildQueryFor(task, context.dockerfile, options), {
      ...(options.registryConfig ? { registryConfig: options.registryConfig } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      for await (const item of readNdjson(stream)) {
        for (const line of output.push(item)) options.onEvent?.({ type: 'build-line', image: task.image, line });
      }
      for (const line of output.flush()) options.onEvent?.({ type: 'build-line', image: task.image, line });
    } finally {
      stream.destroy();
    }
  } catch (error) {
    body.destroy();
    if (options.signal?.aborted) throw error;
    if (error instanceof EngineCallError)
      throw new StackError(
        'BUILD_FAILED',
        `building ${task.image} failed: ${error.engineMessage || `HTTP ${error.statusCode}`}`,
        { cause: error },
      );
    throw error;
  }
  if (output.error !== undefined || output.imageId === undefined) throw buildFailedError(task.image, output);
  // "Successfully built <short id>" on old engines: ask for the full ID.
  const inspected = await inspectImage(engine, output.imageId, options.signal);
  const imageId = inspected?.Id ?? output.imageId;
  options.onEvent?.({ type: 'build-done', image: task.image, imageId, tags: task.tags });
  return imageId;
}
