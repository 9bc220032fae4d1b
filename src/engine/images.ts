/**
 * Engine calls for images beyond the Engine interface: build (a tar body we pack ourselves),
 * pull and push with registry credentials in headers, tag, image inspect and distribution
 * inspect. Reuses the transport of an `Engine` from `connectEngine` (its modem and negotiated
 * API version), like engine-archive.ts, so no second dockerode client is built and dockerode
 * is still loaded only by engine.ts.
 *
 * Streaming calls return the raw NDJSON byte stream: the callers in src/images parse it with
 * our own line splitter (an in-band `error`/`errorDetail` is a failure even on HTTP 200).
 */
import type { Readable } from 'node:stream';
import { StackError } from '../errors.js';
import type { Engine } from './types.js';
import { EngineCallError, toEngineError } from './errors.js';

interface Modem {
  dial(options: Record<string, unknown>, callback: (error: unknown, data: unknown) => void): void;
}

/** Registry credentials as the Engine API takes them (X-Registry-Auth / X-Registry-Config). */
export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly serveraddress?: string;
}

/** The parts of GET /images/{name}/json stack reads. */
export interface ImageInspect {
  readonly Id: string;
  readonly RepoTags: readonly string[] | null;
  readonly RepoDigests: readonly string[] | null;
  /** RFC 3339. */
  readonly Created: string;
  readonly Config?: { readonly Labels?: Readonly<Record<string, string>> | null } | null;
  readonly Metadata?: { readonly LastTagTime?: string };
}

/** Query parameters of POST /build (legacy builder), already in engine form. */
export interface BuildQuery {
  readonly dockerfile: string;
  readonly t: readonly string[];
  readonly buildargs?: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networkmode?: string;
  /** `host:ip` entries, sent as repeated `extrahosts` parameters. */
  readonly extrahosts?: readonly string[];
  readonly shmsize?: number;
  readonly cachefrom?: readonly string[];
  readonly nocache?: boolean;
  readonly pull?: boolean;
  readonly platform?: string;
}

const STATUS: Record<number, string | boolean> = {
  200: true,
  201: true,
  204: true,
  400: 'bad parameter',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  500: 'server error',
  503: 'unavailable',
};

async function modemOf(engine: Engine): Promise<Modem> {
  // The Engine interface has no raw body upload; engine.ts hands out its modem through
  // `transport()`. Fail loudly if that shape ever changes.
  const transport = (engine as unknown as { transport?: () => Promise<Modem> }).transport;
  if (typeof transport !== 'function') throw new StackError('INTERNAL', 'the engine connection does not expose its transport; cannot call image endpoints');
  return transport.call(engine);
}

/** base64url of the JSON auth config, as X-Registry-Auth wants it (`{}` when anonymous). */
export function encodeAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** An image reference as a URL path segment: slashes kept (the engine routes `{name:.*}`). */
function pathOf(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

interface DialRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly file?: Readable;
  readonly stream?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly what: string;
}

async function dial<T>(engine: Engine, req: DialRequest): Promise<T> {
  const modem = await modemOf(engine);
  return new Promise<T>((resolve, reject) => {
    modem.dial(
      {
        path: `${req.path}?`,
        method: req.method,
        options: { _query: req.query ?? {}, _body: {} },
        headers: { ...(req.headers ?? {}) },
        ...(req.file ? { file: req.file } : {}),
        statusCodes: STATUS,
        isStream: req.stream === true,
        allowEmpty: true,
        ...(req.signal ? { abortSignal: req.signal } : {}),
      },
      (error, data) => (error ? reject(toEngineError(error, engine.endpoint, req.what)) : resolve(data as T)),
    );
  });
}

/** GET /images/{ref}/json; undefined when the engine has no such image. */
export async function inspectImage(engine: Engine, ref: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
  try {
    return await dial<ImageInspect>(engine, { method: 'GET', path: `/images/${pathOf(ref)}/json`, signal, what: `image ${ref}` });
  } catch (error) {
    if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * POST /build with the context tar as the body. Resolves to the NDJSON progress stream once
 * the engine accepts the request; the build's own failure arrives in-band.
 */
export function buildImageStream(engine: Engine, context: Readable, query: BuildQuery, options: { registryConfig?: Readonly<Record<string, RegistryAuth>>; signal?: AbortSignal } = {}): Promise<Readable> {
  const q: Record<string, unknown> = { dockerfile: query.dockerfile, t: [...query.t], rm: 'true', forcerm: 'true' };
  if (query.buildargs && Object.keys(query.buildargs).length > 0) q['buildargs'] = JSON.stringify(query.buildargs);
  if (query.labels && Object.keys(query.labels).length > 0) q['labels'] = JSON.stringify(query.labels);
  if (query.cachefrom && query.cachefrom.length > 0) q['cachefrom'] = JSON.stringify(query.cachefrom);
  if (query.target) q['target'] = query.target;
  if (query.networkmode) q['networkmode'] = query.networkmode;
  if (query.extrahosts && query.extrahosts.length > 0) q['extrahosts'] = [...query.extrahosts];
  if (query.shmsize !== undefined) q['shmsize'] = String(query.shmsize);
  if (query.nocache) q['nocache'] = 'true';
  if (query.pull) q['pull'] = 'true';
  if (query.platform) q['platform'] = query.platform;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-tar' };
  if (options.registryConfig && Object.keys(options.registryConfig).length > 0) {
    headers['X-Registry-Config'] = Buffer.from(JSON.stringify(options.registryConfig)).toString('base64');
  }
  return dial<Readable>(engine, { method: 'POST', path: '/build', query: q, headers, file: context, stream: true, signal: options.signal, what: `build of ${query.t[0] ?? 'image'}` });
}

/** POST /images/create?fromImage=ref: the NDJSON pull progress stream. */
export function pullImageStream(engine: Engine, ref: string, options: { auth?: RegistryAuth; platform?: string; signal?: AbortSignal } = {}): Promise<Readable> {
  const query = { fromImage: ref, ...(options.platform ? { platform: options.platform } : {}) };
  const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
  return dial<Readable>(engine, { method: 'POST', path: '/images/create', query, headers, stream: true, signal: options.signal, what: `image ${ref}` });
}

/** POST /images/{name}/push?tag=: the NDJSON push progress stream. */
export function pushImageStream(engine: Engine, repo: string, tag: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<Readable> {
  const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
  return dial<Readable>(engine, { method: 'POST', path: `/images/${pathOf(repo)}/push`, query: { tag }, headers, stream: true, signal: options.signal, what: `image ${repo}:${tag}` });
}

/** POST /images/{source}/tag?repo=&tag= */
export async function tagImage(engine: Engine, source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
  await dial(engine, { method: 'POST', path: `/images/${pathOf(source)}/tag`, query: { repo, tag }, signal, what: `image ${source}` });
}

/** DELETE /images/{ref}; 404 (already gone) is success. */
export async function removeImage(engine: Engine, ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  try {
    await dial(engine, { method: 'DELETE', path: `/images/${pathOf(ref)}`, query: { force: options.force === true }, signal: options.signal, what: `image ${ref}` });
  } catch (error) {
    if (error instanceof EngineCallError && error.statusCode === 404) return;
    throw error;
  }
}

/** What the registry says a reference points at (GET /distribution/{ref}/json). */
export interface DistributionDescriptor {
  /** `sha256:...` of the manifest (or manifest list) the tag points at. */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/** Asks the registry, through the engine, which digest `ref` points at now. 404/401 reject. */
export async function distributionInspect(engine: Engine, ref: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<DistributionDescriptor> {
  const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
  const result = await dial<{ Descriptor: DistributionDescriptor }>(engine, { method: 'GET', path: `/distribution/${pathOf(ref)}/json`, headers, signal: options.signal, what: `image ${ref}` });
  return result.Descriptor;
}
