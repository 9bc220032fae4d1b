/**
 * The engine edge: the ONLY module that imports dockerode (lazily, and only for TLS, ssh and
 * hijacked connections: a run on the local socket never pays its ~240 ms of loading). We make
 * every call ourselves: create bodies go in the request body with only the name in the query (no secrets
 * in URLs), API version is negotiated from /_ping (and /version when needed), each call takes its own AbortSignal and
 * no modem timeout is ever set (it would kill events, logs and waits).
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { StackError, diagnostic } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import { resolveEndpoint } from './endpoint.js';
import type { BuildQuery, DistributionDescriptor, Engine, EngineContainer, EngineContainerInspect, EngineImageConfig, EngineImageInspect, RegistryAuth, EngineEvent, EngineFilters, EngineImage, EngineNetwork, EngineStats, EngineTop, EngineVolume, LogChunk, LogsOptions, PullProgress } from './types.js';
import { AmbiguousWriteError, EngineCallError, isBrokenAfterSend, isTestedApiVersion, isTransientFailure, negotiateApiVersion, toEngineError } from './errors.js';
import { demuxFrames, readNdjson } from './streams.js';
import { buildParams, encodeAuth, imagePath } from './image-params.js';
import { directCall, loadModem, modemCall, type Modem, type OnReply, type Request } from './transport.js';

/**
 * How long a write may wait for the engine's reply (for a stream: for its reply to begin)
 * before its outcome counts as unknown: `STACK_WRITE_TIMEOUT` seconds, default 60 (creates
 * and removes take well under a second; a stop adds its grace period). A hung engine must not
 * hang the run.
 */
function writeDeadlineMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env['STACK_WRITE_TIMEOUT'] ?? '60');
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}

/** A stop's grace period as extra write deadline; unknown (the container's own) counts as 10 min. */
function graceMs(timeoutSeconds: number | undefined): number {
  return (timeoutSeconds ?? 600) * 1000;
}

/** A container wait's extra write deadline: about 23 days, under setTimeout's 2^31-1 ms. */
const WAIT_DEADLINE_MS = 2_000_000_000;

/** Backoff of read retries: three more tries within ~1.3 s, then the error is reported. */
const READ_RETRY_DELAYS_MS = [100, 300, 900];

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function filtersQuery(filters: EngineFilters | undefined): Record<string, unknown> {
  return filters && Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : {};
}

/**
 * An Engine over one endpoint; `connectEngine` builds it after negotiating the API version.
 * Plain JSON calls and response streams on unix sockets and plain tcp go straight through
 * node:http; TLS, ssh and hijacked (exec) connections go through dockerode's modem, loaded
 * the first time one is needed.
 */
class DockerEngine implements Engine {
  private modem: Promise<Modem> | undefined;

  constructor(
    private readonly target: Endpoint,
    readonly endpoint: string,
    readonly apiVersion: string,
    private readonly writeDeadlineMs = 60_000,
  ) {}

  /** The dockerode modem, loaded the first time a TLS, ssh or hijacked call needs it. */
  private transport(): Promise<Modem> {
    this.modem ??= loadModem(this.target, this.apiVersion);
    return this.modem;
  }

  /**
   * One engine call; every method below goes through here. Reads (GET) that meet a transient
   * failure (a 5xx, a reset or refused connection) are retried with bounded backoff
   * (READ_RETRY_DELAYS_MS), streams included: a stream is handed out only once its reply
   * began, so a retried open never repeats bytes already consumed. Reads get no deadline (logs
   * -f and events may stay quiet for hours). Writes are never retried: see `write`.
   */
  async call<T>(req: Request): Promise<T> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.write<T>(req);
    const retryable = req.retry !== false && req.method === 'GET' && req.hijack !== true;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce<T>(req);
      } catch (raw) {
        const delay = READ_RETRY_DELAYS_MS[attempt];
        if (!retryable || delay === undefined || !isTransientFailure(raw) || req.signal?.aborted) throw toEngineError(raw, this.endpoint, req.what);
        await sleep(delay, req.signal);
      }
    }
  }

  /**
   * A write, sent once, streams (build, pull, push), uploads and exec included. No reply
   * within the deadline, or the connection broken after sending: the outcome is unknown
   * (AmbiguousWriteError), and the caller observes again. The deadline runs until the reply
   * begins (a build's output may then take as long as the build); while a stream is uploaded
   * (a build context) it restarts with every chunk sent, so a slow link is not a dead engine
   * but an engine that stops reading is.
   */
  private async write<T>(req: Request): Promise<T> {
    const ms = this.writeDeadlineMs + (req.extraDeadlineMs ?? 0);
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let replied = false;
    const arm = (): void => {
      clearTimeout(timer);
      if (!replied) timer = setTimeout(() => deadline.abort(), ms);
    };
    const onReply = (): void => {
      replied = true;
      clearTimeout(timer);
    };
    let upload = req.upload;
    if (upload !== undefined && !Buffer.isBuffer(upload)) {
      // Watch the chunks through a pass-through (backpressure kept): a listener on the
      // stream the transport pipes would start it flowing before the pipe is attached.
      const source = upload;
      const pass = new PassThrough();
      source.on('error', (error) => pass.destroy(error));
      source.pipe(pass);
      source.on('data', arm);
      upload = pass;
    }
    arm();
    const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
    try {
      return await this.callOnce<T>({ ...req, signal, ...(upload !== undefined ? { upload } : {}) }, onReply);
    } catch (raw) {
      if (deadline.signal.aborted && !req.signal?.aborted) throw new AmbiguousWriteError(req.what, `no reply from the engine within ${Math.round(ms / 1000)} s`, raw);
      if (!req.signal?.aborted && isBrokenAfterSend(raw)) throw new AmbiguousWriteError(req.what, 'the connection to the engine broke before its reply', raw);
      throw toEngineError(raw, this.endpoint, req.what);
    } finally {
      onReply();
    }
  }

  private async callOnce<T>(req: Request, onReply?: OnReply): Promise<T> {
    const target = this.target;
    if ((target.kind === 'unix' || (target.kind === 'tcp' && !target.tls)) && req.hijack !== true) return directCall<T>(target, this.apiVersion, req, onReply);
    return modemCall<T>(await this.transport(), req, onReply);
  }

  listContainers(query: { all?: boolean; filters?: EngineFilters }, signal?: AbortSignal): Promise<EngineContainer[]> {
    return this.call({ method: 'GET', path: '/containers/json', query: { all: query.all === true, ...filtersQuery(query.filters) }, signal, what: 'containers' });
  }
  inspectContainer(id: string, signal?: AbortSignal): Promise<EngineContainerInspect> {
    return this.call({ method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, signal, what: `container ${id}` });
  }
  async inspectImageConfig(ref: string, signal?: AbortSignal): Promise<EngineImageConfig | undefined> {
    try {
      const image = await this.call<{ Config?: EngineImageConfig | null }>({ method: 'GET', path: `/images/${encodeURIComponent(ref)}/json`, signal, what: `image ${ref}` });
      return image.Config ?? {};
    } catch (error) {
      if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
  listNetworks(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineNetwork[]> {
    return this.call({ method: 'GET', path: '/networks', query: filtersQuery(filters), signal, what: 'networks' });
  }
  async listVolumes(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineVolume[]> {
    const result = await this.call<{ Volumes: EngineVolume[] | null }>({ method: 'GET', path: '/volumes', query: filtersQuery(filters), signal, what: 'volumes' });
    return result.Volumes ?? [];
  }
  listImages(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineImage[]> {
    return this.call({ method: 'GET', path: '/images/json', query: filtersQuery(filters), signal, what: 'images' });
  }
  async createContainer(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string> {
    const result = await this.call<{ Id: string }>({ method: 'POST', path: '/containers/create', query: { name }, body, signal, what: `container ${name}` });
    return result.Id;
  }
  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/start`, ok: [304], signal, what: `container ${id}` });
  }
  async stopContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void> {
    const query = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/stop`, query, ok: [304], signal, what: `container ${id}`, extraDeadlineMs: graceMs(timeoutSeconds) });
  }
  async restartContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void> {
    const query = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/restart`, query, signal, what: `container ${id}`, extraDeadlineMs: graceMs(timeoutSeconds) });
  }
  async removeContainer(id: string, options: { force?: boolean; volumes?: boolean }, signal?: AbortSignal): Promise<void> {
    const query = { force: options.force === true, v: options.volumes === true };
    await this.call({ method: 'DELETE', path: `/containers/${encodeURIComponent(id)}`, query, ok: [404], signal, what: `container ${id}` });
  }
  async renameContainer(id: string, newName: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/rename`, query: { name: newName }, signal, what: `container ${id}` });
  }
  async killContainer(id: string, signal?: string, abort?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/kill`, query: signal ? { signal } : {}, signal: abort, what: `container ${id}` });
  }
  async pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/pause`, signal, what: `container ${id}` });
  }
  async unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/unpause`, signal, what: `container ${id}` });
  }
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    // The reply comes when the container stops, which may be days away: the write deadline
    // (meant for calls the engine answers at once) is pushed out to setTimeout's limit.
    const result = await this.call<{ StatusCode: number }>({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/wait`, signal, what: `container ${id}`, extraDeadlineMs: WAIT_DEADLINE_MS });
    return result.StatusCode;
  }
  topContainer(id: string, signal?: AbortSignal): Promise<EngineTop> {
    return this.call({ method: 'GET', path: `/containers/${encodeURIComponent(id)}/top`, signal, what: `container ${id}` });
  }
  containerStats(id: string, signal?: AbortSignal): Promise<EngineStats> {
    return this.call({ method: 'GET', path: `/containers/${encodeURIComponent(id)}/stats`, query: { stream: false }, signal, what: `container ${id}` });
  }
  async createNetwork(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string> {
    const result = await this.call<{ Id: string }>({ method: 'POST', path: '/networks/create', body: { ...body, Name: name, CheckDuplicate: true }, signal, what: `network ${name}` });
    return result.Id;
  }
  async removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'DELETE', path: `/networks/${encodeURIComponent(id)}`, ok: [404], signal, what: `network ${id}` });
  }
  async connectNetwork(network: string, container: string, endpoint: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<void> {
    const body = { Container: container, EndpointConfig: endpoint };
    await this.call({ method: 'POST', path: `/networks/${encodeURIComponent(network)}/connect`, body, signal, what: `network ${network}` });
  }
  async disconnectNetwork(network: string, container: string, signal?: AbortSignal): Promise<void> {
    const body = { Container: container, Force: true };
    await this.call({ method: 'POST', path: `/networks/${encodeURIComponent(network)}/disconnect`, body, signal, what: `network ${network}` });
  }
  async createVolume(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: '/volumes/create', body: { ...body, Name: name }, signal, what: `volume ${name}` });
  }
  async removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}`, ok: [404], signal, what: `volume ${name}` });
  }

  async inspectImage(ref: string, signal?: AbortSignal): Promise<EngineImageInspect | undefined> {
    try {
      return await this.call<EngineImageInspect>({ method: 'GET', path: `/images/${imagePath(ref)}/json`, signal, what: `image ${ref}` });
    } catch (error) {
      if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
  buildImage(context: Readable, query: BuildQuery, options: { registryConfig?: Readonly<Record<string, RegistryAuth>>; signal?: AbortSignal } = {}): Promise<Readable> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-tar' };
    if (options.registryConfig && Object.keys(options.registryConfig).length > 0) headers['X-Registry-Config'] = Buffer.from(JSON.stringify(options.registryConfig)).toString('base64');
    return this.call<Readable>({ method: 'POST', path: '/build', query: buildParams(query), headers, upload: context, stream: true, signal: options.signal, what: `build of ${query.t[0] ?? 'image'}` });
  }
  pullImageStream(ref: string, options: { auth?: RegistryAuth; platform?: string; signal?: AbortSignal } = {}): Promise<Readable> {
    const query = { fromImage: ref, ...(options.platform ? { platform: options.platform } : {}) };
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    return this.call<Readable>({ method: 'POST', path: '/images/create', query, headers, stream: true, signal: options.signal, what: `image ${ref}` });
  }
  async pullImage(ref: string, options: { platform?: string; signal?: AbortSignal; onProgress?: (p: PullProgress) => void }): Promise<void> {
    const stream = await this.pullImageStream(ref, { ...(options.platform ? { platform: options.platform } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    try {
      // The engine reports a failed pull inside a 200 stream: scan every message for an error.
      for await (const item of readNdjson(stream)) {
        if (!item.ok) continue;
        const message = item.value as { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
        const error = message.errorDetail?.message ?? message.error;
        if (error) throw new StackError('PULL_FAILED', `pulling ${ref} failed: ${error}`);
        options.onProgress?.({ ...(message.status ? { status: message.status } : {}), ...(message.id ? { id: message.id } : {}) });
      }
    } finally {
      stream.destroy();
    }
  }
  pushImage(repo: string, tag: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<Readable> {
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    return this.call<Readable>({ method: 'POST', path: `/images/${imagePath(repo)}/push`, query: { tag }, headers, stream: true, signal: options.signal, what: `image ${repo}:${tag}` });
  }
  async tagImage(source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/images/${imagePath(source)}/tag`, query: { repo, tag }, signal, what: `image ${source}` });
  }
  async removeImage(ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.call({ method: 'DELETE', path: `/images/${imagePath(ref)}`, query: { force: options.force === true }, ok: [404], signal: options.signal, what: `image ${ref}` });
  }
  async inspectDistribution(ref: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<DistributionDescriptor> {
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    const result = await this.call<{ Descriptor: DistributionDescriptor }>({ method: 'GET', path: `/distribution/${imagePath(ref)}/json`, headers, signal: options.signal, what: `image ${ref}` });
    return result.Descriptor;
  }
  async putArchive(container: string, tar: Buffer, path: string, signal?: AbortSignal): Promise<void> {
    const headers = { 'Content-Type': 'application/x-tar' };
    await this.call({ method: 'PUT', path: `/containers/${encodeURIComponent(container)}/archive`, query: { path }, headers, upload: tar, signal, what: `container ${container}` });
  }
  getArchive(container: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.call<Readable>({ method: 'GET', path: `/containers/${encodeURIComponent(container)}/archive`, query: { path }, stream: true, signal, what: `container ${container}` });
  }

  async *events(options: { since?: number; until?: number; filters?: EngineFilters; signal?: AbortSignal }): AsyncIterable<EngineEvent> {
    const query = {
      since: String(options.since ?? Math.floor(Date.now() / 1000)),
      ...(options.until !== undefined ? { until: String(options.until) } : {}),
      ...filtersQuery(options.filters),
    };
    const stream = await this.call<Readable>({ method: 'GET', path: '/events', query, stream: true, signal: options.signal, what: 'events' });
    try {
      for await (const item of readNdjson(stream)) if (item.ok) yield item.value as EngineEvent;
    } catch (error) {
      if (!options.signal?.aborted) throw toEngineError(error, this.endpoint, 'events');
    } finally {
      stream.destroy();
    }
  }

  async *containerLogs(id: string, options: LogsOptions): AsyncIterable<LogChunk> {
    const query = {
      stdout: true,
      stderr: true,
      follow: options.follow === true,
      timestamps: options.timestamps === true,
      tail: options.tail === undefined ? 'all' : String(options.tail),
      ...(options.since !== undefined ? { since: String(options.since) } : {}),
    };
    const stream = await this.call<Readable>({ method: 'GET', path: `/containers/${encodeURIComponent(id)}/logs`, query, stream: true, signal: options.signal, what: `container ${id}` });
    try {
      if (options.tty) {
        for await (const chunk of stream) yield { stream: 'stdout', data: Buffer.from(chunk as Uint8Array) };
      } else {
        yield* demuxFrames(stream);
      }
    } catch (error) {
      if (!options.signal?.aborted) throw toEngineError(error, this.endpoint, `container ${id}`);
    } finally {
      stream.destroy();
    }
  }

  async createExec(container: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string> {
    const result = await this.call<{ Id: string }>({ method: 'POST', path: `/containers/${encodeURIComponent(container)}/exec`, body, signal, what: `container ${container}` });
    return result.Id;
  }
  startExec(id: string, options: { tty: boolean; stdin: boolean; signal?: AbortSignal }): Promise<Duplex> {
    return this.call<Duplex>({ method: 'POST', path: `/exec/${id}/start`, body: { Detach: false, Tty: options.tty }, hijack: true, stdin: options.stdin, signal: options.signal, what: `exec ${id}` });
  }
  inspectExec(id: string, signal?: AbortSignal): Promise<{ ExitCode: number | null; Running: boolean }> {
    return this.call({ method: 'GET', path: `/exec/${id}/json`, signal, what: `exec ${id}` });
  }
  async resizeExec(id: string, rows: number, columns: number): Promise<void> {
    await this.call({ method: 'POST', path: `/exec/${id}/resize`, query: { h: rows, w: columns }, what: `exec ${id}` });
  }
}

/** Options of `connectEngine`. */
export interface ConnectOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/**
 * Resolves the endpoint, pings the engine and pins the API version to
 * min(tested max, server's). Throws ENGINE_UNREACHABLE / ENGINE_PERMISSION / ENGINE_INSECURE /
 * ENGINE_API_VERSION with a message that says what to do.
 */
export async function connectEngine(options: ConnectOptions): Promise<Engine> {
  const endpoint = resolveEndpoint(options.env);
  const probe = new DockerEngine(endpoint, endpoint.url, '');
  // /_ping names the engine's newest API version in a header and answers in about 1 ms;
  // /version (about 11 ms on Engine 20.10: it gathers kernel and component versions) is asked
  // only of an engine newer than we have tested, because only it may refuse our pick as too
  // old and only /version names its minimum.
  const ping = await probe.call<IncomingMessage>({ method: 'GET', path: '/_ping', stream: true, signal: options.signal, what: 'ping', retry: false });
  ping.resume();
  const header = ping.headers['api-version'];
  let version: { ApiVersion?: string | undefined; MinAPIVersion?: string | undefined } = { ApiVersion: typeof header === 'string' ? header : undefined };
  if (!isTestedApiVersion(version.ApiVersion)) {
    version = await probe.call<{ ApiVersion?: string; MinAPIVersion?: string }>({ method: 'GET', path: '/version', signal: options.signal, what: 'version', retry: false });
  }
  const apiVersion = negotiateApiVersion(version.ApiVersion, version.MinAPIVersion);
  if (apiVersion === undefined) {
    const message = `the Docker engine at ${endpoint.url} speaks API ${version.ApiVersion ?? 'unknown'}; stack needs 1.41 or newer`;
    throw new StackError('ENGINE_API_VERSION', message, { diagnostics: [diagnostic('ENGINE_API_VERSION', message, undefined, 'upgrade the Docker engine to 20.10 or newer')] });
  }
  return new DockerEngine(endpoint, endpoint.url, apiVersion, writeDeadlineMs(options.env));
}

export { EngineCallError };
