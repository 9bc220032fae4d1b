/**
 * The engine edge: the ONLY module that imports dockerode (lazily, and only for TLS, ssh and
 * hijacked connections: a run on the local socket never pays its ~240 ms of loading). We make
 * every call ourselves: create bodies go in the request body with only the name in the query (no secrets
 * in URLs), API version is negotiated from /_ping (and /version when needed), each call takes its own AbortSignal and
 * no modem timeout is ever set (it would kill events, logs and waits).
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { StackError, diagnostic, displayValue } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import { resolveEndpoint } from './endpoint.js';
import type {
  BuildQuery,
  DistributionDescriptor,
  Engine,
  EngineContainer,
  EngineContainerInspect,
  EngineImageConfig,
  EngineImageInspect,
  RegistryAuth,
  EngineEvent,
  EngineFilters,
  EngineImage,
  EngineNetwork,
  EngineStats,
  EngineTop,
  EngineVolume,
  LogChunk,
  LogsOptions,
  PullProgress,
} from './types.js';
import {
  AmbiguousWriteError,
  EngineCallError,
  isBrokenAfterSend,
  isTestedApiVersion,
  isTransientFailure,
  negotiateApiVersion,
  toEngineError,
} from './errors.js';
import { demuxFrames, readNdjson } from './streams.js';
import { buildParams, encodeAuth, imagePath } from './image-params.js';
import { directCall, loadModem, modemCall, type Modem, type OnReply, type Request } from './transport.js';
import type {
  ServiceLogsOptions,
  SwarmEngine,
  SwarmFileObject,
  SwarmNode,
  SwarmNodeInfo,
  SwarmService,
  SwarmTask,
} from './types.js';

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

/** Backoff of read retries: three more tries within ~1.3 s, then the error is reported. */
export const READ_RETRY_DELAYS_MS = [100, 300, 900];

/**
 * How long one read may wait for the engine (a JSON reply: all of it; a stream: its headers,
 * after which a quiet stream such as `logs -f`, events or a wait is never cut):
 * `STACK_READ_TIMEOUT` seconds, default 12, so that a hung engine (it accepts, or answers only
 * /_ping, and never replies) is reported within a minute including the retries
 * (4 x 12 s + 1.3 s of backoff).
 */
export function readDeadlineMs(env: Readonly<Record<string, string | undefined>>): number {
  const seconds = Number(env['STACK_READ_TIMEOUT'] ?? '12');
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 12) * 1000;
}

/** A read that got no answer within its deadline: the engine is there but does not answer. */
class ReadTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s`);
    this.name = 'ReadTimeout';
  }
}

function hungEngineError(endpoint: string, what: string, ms: number, tries: number, cause: unknown): StackError {
  const message =
    `the Docker engine at ${endpoint} accepted the connection but did not answer ` +
    `(${what}: no reply within ${Math.round(ms / 1000)} s${tries > 1 ? `, ${tries} tries` : ''})`;
  return new StackError('ENGINE_UNREACHABLE', message, {
    cause,
    diagnostics: [
      diagnostic(
        'ENGINE_UNREACHABLE',
        message,
        undefined,
        'the engine is hung or overloaded: check `systemctl status docker` / the dockerd log, restart it if needed; ' +
          'STACK_READ_TIMEOUT sets the per-read deadline in seconds',
      ),
    ],
  });
}

/** An abort by the caller's signal (Ctrl-C, SIGTERM) as the reason it was aborted with: INTERRUPTED. */
function abortedByCaller(signal: AbortSignal | undefined): StackError | undefined {
  if (!signal?.aborted) return undefined;
  return signal.reason instanceof StackError
    ? signal.reason
    : new StackError('INTERRUPTED', 'interrupted', { cause: signal.reason });
}

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
    private readonly readDeadlineMs = 12_000,
  ) {}

  /** The dockerode modem, loaded the first time a TLS, ssh or hijacked call needs it. */
  private transport(): Promise<Modem> {
    this.modem ??= loadModem(this.target, this.apiVersion);
    return this.modem;
  }

  /**
   * One engine call; every method below goes through here. Reads (GET) that meet a transient
   * failure (a 5xx, a reset or refused connection, no answer within the read deadline) are
   * retried with bounded backoff (READ_RETRY_DELAYS_MS), streams included: a stream is handed
   * out only once its reply began, so a retried open never repeats bytes already consumed.
   * Every read has a deadline (readDeadlineMs) until its reply is complete, for a stream until
   * its headers arrived: after that `logs -f` and events may stay quiet for hours. An abort by
   * the caller's signal is INTERRUPTED. Writes are never retried: see `write`.
   */
  async call<T>(req: Request): Promise<T> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.write<T>(req);
    const retryable = req.retry !== false && req.method === 'GET' && req.hijack !== true;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce<T>(req);
      } catch (raw) {
        const interrupted = abortedByCaller(req.signal);
        if (interrupted) throw interrupted;
        const delay = READ_RETRY_DELAYS_MS[attempt];
        if (!retryable || delay === undefined || !isTransientFailure(raw)) {
          if (raw instanceof ReadTimeout) throw hungEngineError(this.endpoint, req.what, raw.ms, attempt + 1, raw);
          throw toEngineError(raw, this.endpoint, req.what);
        }
        await sleep(delay, req.signal);
      }
    }
  }

  /** One try of a read under the read deadline (rejects with ReadTimeout when it passes). */
  private async readOnce<T>(req: Request): Promise<T> {
    const ms = this.readDeadlineMs + (req.extraDeadlineMs ?? 0);
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadline.abort();
        reject(new ReadTimeout(ms));
      }, ms);
    });
    const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
    const pending = this.callOnce<T>({ ...req, signal });
    pending.catch(() => undefined); // its rejection after the deadline won is expected
    try {
      return await Promise.race([pending, expired]);
    } finally {
      clearTimeout(timer);
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
      const interrupted = abortedByCaller(req.signal);
      if (interrupted) throw interrupted;
      if (deadline.signal.aborted)
        throw new AmbiguousWriteError(req.what, `no reply from the engine within ${Math.round(ms / 1000)} s`, raw);
      if (isBrokenAfterSend(raw))
        throw new AmbiguousWriteError(req.what, 'the connection to the engine broke before its reply', raw);
      throw toEngineError(raw, this.endpoint, req.what);
    } finally {
      onReply();
    }
  }

  private async callOnce<T>(req: Request, onReply?: OnReply): Promise<T> {
    const target = this.target;
    if ((target.kind === 'unix' || (target.kind === 'tcp' && !target.tls)) && req.hijack !== true)
      return directCall<T>(target, this.apiVersion, req, onReply);
    return modemCall<T>(await this.transport(), req, onReply);
  }

  listContainers(query: { all?: boolean; filters?: EngineFilters }, signal?: AbortSignal): Promise<EngineContainer[]> {
    return this.call({
      method: 'GET',
      path: '/containers/json',
      query: { all: query.all === true, ...filtersQuery(query.filters) },
      signal,
      what: 'containers',
    });
  }
  inspectContainer(id: string, signal?: AbortSignal): Promise<EngineContainerInspect> {
    return this.call({
      method: 'GET',
      path: `/containers/${encodeURIComponent(id)}/json`,
      signal,
      what: `container ${id}`,
    });
  }
  async inspectImageConfig(ref: string, signal?: AbortSignal): Promise<EngineImageConfig | undefined> {
    try {
      const image = await this.call<{ Config?: EngineImageConfig | null }>({
        method: 'GET',
        path: `/images/${encodeURIComponent(ref)}/json`,
        signal,
        what: `image ${ref}`,
      });
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
    const result = await this.call<{ Volumes: EngineVolume[] | null }>({
      method: 'GET',
      path: '/volumes',
      query: filtersQuery(filters),
      signal,
      what: 'volumes',
    });
    return result.Volumes ?? [];
  }
  listImages(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineImage[]> {
    return this.call({ method: 'GET', path: '/images/json', query: filtersQuery(filters), signal, what: 'images' });
  }
  async createContainer(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string> {
    const result = await this.call<{ Id: string }>({
      method: 'POST',
      path: '/containers/create',
      query: { name },
      body,
      signal,
      what: `container ${name}`,
    });
    return result.Id;
  }
  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/start`,
      ok: [304],
      signal,
      what: `container ${id}`,
    });
  }
  async stopContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void> {
    const query = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/stop`,
      query,
      ok: [304],
      signal,
      what: `container ${id}`,
      extraDeadlineMs: graceMs(timeoutSeconds),
    });
  }
  async restartContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void> {
    const query = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/restart`,
      query,
      signal,
      what: `container ${id}`,
      extraDeadlineMs: graceMs(timeoutSeconds),
    });
  }
  async removeContainer(
    id: string,
    options: { force?: boolean; volumes?: boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    const query = { force: options.force === true, v: options.volumes === true };
    await this.call({
      method: 'DELETE',
      path: `/containers/${encodeURIComponent(id)}`,
      query,
      ok: [404],
      signal,
      what: `container ${id}`,
    });
  }
  async renameContainer(id: string, newName: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/rename`,
      query: { name: newName },
      signal,
      what: `container ${id}`,
    });
  }
  async killContainer(id: string, signal?: string, abort?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/kill`,
      query: signal ? { signal } : {},
      signal: abort,
      what: `container ${id}`,
    });
  }
  async pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/pause`,
      signal,
      what: `container ${id}`,
    });
  }
  async unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/unpause`,
      signal,
      what: `container ${id}`,
    });
  }
  topContainer(id: string, signal?: AbortSignal): Promise<EngineTop> {
    return this.call({
      method: 'GET',
      path: `/containers/${encodeURIComponent(id)}/top`,
      signal,
      what: `container ${id}`,
    });
  }
  containerStats(id: string, signal?: AbortSignal): Promise<EngineStats> {
    return this.call({
      method: 'GET',
      path: `/containers/${encodeURIComponent(id)}/stats`,
      query: { stream: false },
      signal,
      what: `container ${id}`,
    });
  }
  async createNetwork(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string> {
    const result = await this.call<{ Id: string }>({
      method: 'POST',
      path: '/networks/create',
      body: { ...body, Name: name, CheckDuplicate: true },
      signal,
      what: `network ${name}`,
    });
    return result.Id;
  }
  async removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `/networks/${encodeURIComponent(id)}`,
      ok: [404],
      signal,
      what: `network ${id}`,
    });
  }
  async connectNetwork(
    network: string,
    container: string,
    endpoint: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<void> {
    const body = { Container: container, EndpointConfig: endpoint };
    await this.call({
      method: 'POST',
      path: `/networks/${encodeURIComponent(network)}/connect`,
      body,
      signal,
      what: `network ${network}`,
    });
  }
  async disconnectNetwork(network: string, container: string, signal?: AbortSignal): Promise<void> {
    const body = { Container: container, Force: true };
    await this.call({
      method: 'POST',
      path: `/networks/${encodeURIComponent(network)}/disconnect`,
      body,
      signal,
      what: `network ${network}`,
    });
  }
  createVolume(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<EngineVolume> {
    return this.call({
      method: 'POST',
      path: '/volumes/create',
      body: { ...body, Name: name },
      signal,
      what: `volume ${name}`,
    });
  }
  async removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `/volumes/${encodeURIComponent(name)}`,
      ok: [404],
      signal,
      what: `volume ${name}`,
    });
  }

  async inspectImage(ref: string, signal?: AbortSignal): Promise<EngineImageInspect | undefined> {
    try {
      return await this.call<EngineImageInspect>({
        method: 'GET',
        path: `/images/${imagePath(ref)}/json`,
        signal,
        what: `image ${ref}`,
      });
    } catch (error) {
      if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
  buildImage(
    context: Readable,
    query: BuildQuery,
    options: { registryConfig?: Readonly<Record<string, RegistryAuth>>; signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-tar' };
    if (options.registryConfig && Object.keys(options.registryConfig).length > 0)
      headers['X-Registry-Config'] = Buffer.from(JSON.stringify(options.registryConfig)).toString('base64');
    return this.call<Readable>({
      method: 'POST',
      path: '/build',
      query: buildParams(query),
      headers,
      upload: context,
      stream: true,
      signal: options.signal,
      what: `build of ${query.t[0] ?? 'image'}`,
    });
  }
  pullImageStream(
    ref: string,
    options: { auth?: RegistryAuth; platform?: string; signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const query = { fromImage: ref, ...(options.platform ? { platform: options.platform } : {}) };
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    return this.call<Readable>({
      method: 'POST',
      path: '/images/create',
      query,
      headers,
      stream: true,
      signal: options.signal,
      what: `image ${ref}`,
    });
  }
  async pullImage(
    ref: string,
    options: { platform?: string; signal?: AbortSignal; onProgress?: (p: PullProgress) => void },
  ): Promise<void> {
    const stream = await this.pullImageStream(ref, {
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      // The engine reports a failed pull inside a 200 stream: scan every message for an error.
      for await (const item of readNdjson(stream)) {
        if (!item.ok) continue;
        const message = item.value as {
          status?: string;
          id?: string;
          error?: string;
          errorDetail?: { message?: string };
        };
        const error = message.errorDetail?.message ?? message.error;
        if (error) throw new StackError('PULL_FAILED', `pulling ${ref} failed: ${error}`);
        options.onProgress?.({
          ...(message.status ? { status: message.status } : {}),
          ...(message.id ? { id: message.id } : {}),
        });
      }
    } finally {
      stream.destroy();
    }
  }
  pushImage(repo: string, tag: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<Readable> {
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    return this.call<Readable>({
      method: 'POST',
      path: `/images/${imagePath(repo)}/push`,
      query: { tag },
      headers,
      stream: true,
      signal: options.signal,
      what: `image ${repo}:${tag}`,
    });
  }
  async tagImage(source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/images/${imagePath(source)}/tag`,
      query: { repo, tag },
      signal,
      what: `image ${source}`,
    });
  }
  async removeImage(ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `/images/${imagePath(ref)}`,
      query: { force: options.force === true },
      ok: [404],
      signal: options.signal,
      what: `image ${ref}`,
    });
  }
  async inspectDistribution(
    ref: string,
    options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
  ): Promise<DistributionDescriptor> {
    const headers = { 'X-Registry-Auth': encodeAuth(options.auth) };
    const result = await this.call<{ Descriptor: DistributionDescriptor }>({
      method: 'GET',
      path: `/distribution/${imagePath(ref)}/json`,
      headers,
      signal: options.signal,
      what: `image ${ref}`,
      extraDeadlineMs: 30_000,
    });
    return result.Descriptor;
  }
  async putArchive(
    container: string,
    tar: Buffer,
    path: string,
    signal?: AbortSignal,
    options: { readonly copyUIDGID?: boolean } = {},
  ): Promise<void> {
    const headers = { 'Content-Type': 'application/x-tar' };
    // copyUIDGID keeps the tar's owners (for a container without `user`); otherwise root.
    const query = options.copyUIDGID ? { path, copyUIDGID: 'true' } : { path };
    await this.call({
      method: 'PUT',
      path: `/containers/${encodeURIComponent(container)}/archive`,
      query,
      headers,
      upload: tar,
      signal,
      what: `container ${container}`,
    });
  }
  getArchive(container: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.call<Readable>({
      method: 'GET',
      path: `/containers/${encodeURIComponent(container)}/archive`,
      query: { path },
      stream: true,
      signal,
      what: `container ${container}`,
    });
  }

  async *events(options: {
    since?: number;
    until?: number;
    filters?: EngineFilters;
    signal?: AbortSignal;
  }): AsyncIterable<EngineEvent> {
    const query = {
      since: String(options.since ?? Math.floor(Date.now() / 1000)),
      ...(options.until !== undefined ? { until: String(options.until) } : {}),
      ...filtersQuery(options.filters),
    };
    const stream = await this.call<Readable>({
      method: 'GET',
      path: '/events',
      query,
      stream: true,
      signal: options.signal,
      what: 'events',
    });
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
      ...(options.since !== undefined
        ? { since: typeof options.since === 'number' ? unixTimestamp(options.since) : options.since }
        : {}),
      ...(options.until !== undefined
        ? { until: typeof options.until === 'number' ? unixTimestamp(options.until) : options.until }
        : {}),
    };
    const stream = await this.call<Readable>({
      method: 'GET',
      path: `/containers/${encodeURIComponent(id)}/logs`,
      query,
      stream: true,
      signal: options.signal,
      what: `container ${id}`,
    });
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
    const result = await this.call<{ Id: string }>({
      method: 'POST',
      path: `/containers/${encodeURIComponent(container)}/exec`,
      body,
      signal,
      what: `container ${container}`,
    });
    return result.Id;
  }
  startExec(id: string, options: { tty: boolean; stdin: boolean; signal?: AbortSignal }): Promise<Duplex> {
    return this.call<Duplex>({
      method: 'POST',
      path: `/exec/${id}/start`,
      body: { Detach: false, Tty: options.tty },
      hijack: true,
      stdin: options.stdin,
      signal: options.signal,
      what: `exec ${id}`,
    });
  }
  inspectExec(id: string, signal?: AbortSignal): Promise<{ ExitCode: number | null; Running: boolean }> {
    return this.call({ method: 'GET', path: `/exec/${id}/json`, signal, what: `exec ${id}` });
  }
  async resizeExec(id: string, rows: number, columns: number): Promise<void> {
    await this.call({ method: 'POST', path: `/exec/${id}/resize`, query: { h: rows, w: columns }, what: `exec ${id}` });
  }

  // Swarm: the calls of the swarm target (SwarmEngine in types.ts), through the same request
  // policy as the rest (reads retried, writes sent once, every call with its own signal).
  swarmInfo(signal?: AbortSignal): Promise<SwarmNodeInfo> {
    return this.call<{ Swarm: SwarmNodeInfo }>({ method: 'GET', path: '/info', signal, what: 'engine info' }).then(
      (info) => info.Swarm,
    );
  }
  inspectSwarm(
    signal?: AbortSignal,
  ): Promise<{ readonly ID: string; readonly Spec?: Readonly<Record<string, unknown>> }> {
    return this.call({ method: 'GET', path: '/swarm', signal, what: 'swarm' });
  }
  listNodes(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmNode[]> {
    return this.call({ method: 'GET', path: '/nodes', query: filtersQuery(filters), signal, what: 'nodes' });
  }
  listServices(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmService[]> {
    return this.call({
      method: 'GET',
      path: '/services',
      query: { status: true, ...filtersQuery(filters) },
      signal,
      what: 'services',
    });
  }
  async inspectService(id: string, signal?: AbortSignal): Promise<SwarmService | undefined> {
    try {
      return await this.call<SwarmService>({
        method: 'GET',
        path: `/services/${encodeURIComponent(id)}`,
        signal,
        what: `service ${id}`,
      });
    } catch (error) {
      if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
  async createService(
    spec: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
    options: { readonly auth?: RegistryAuth } = {},
  ): Promise<string> {
    const result = await this.call<{ ID: string }>({
      method: 'POST',
      path: '/services/create',
      body: spec,
      ...(options.auth ? { headers: { 'X-Registry-Auth': encodeAuth(options.auth) } } : {}),
      signal,
      what: `service ${String(spec['Name'])}`,
    });
    return result.ID;
  }
  async updateService(
    id: string,
    version: number,
    spec: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
    options: { readonly auth?: RegistryAuth } = {},
  ): Promise<void> {
    // Only the version in the query (the docker-modem trap of LIBRARIES.md): the spec is the body.
    await this.call({
      method: 'POST',
      path: `/services/${encodeURIComponent(id)}/update`,
      query: { version },
      body: spec,
      ...(options.auth ? { headers: { 'X-Registry-Auth': encodeAuth(options.auth) } } : {}),
      signal,
      what: `service ${displayValue(spec['Name'] ?? id)}`,
    });
  }
  async removeService(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `/services/${encodeURIComponent(id)}`,
      ok: [404],
      signal,
      what: `service ${id}`,
    });
  }
  listTasks(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmTask[]> {
    return this.call({ method: 'GET', path: '/tasks', query: filtersQuery(filters), signal, what: 'tasks' });
  }
  /** A Swarm secret or config (the same API under two paths), by name; its ID. */
  private async createFileObject(
    kind: 'secret' | 'config',
    name: string,
    data: Buffer,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string> {
    const result = await this.call<{ ID: string }>({
      method: 'POST',
      path: `/${kind}s/create`,
      body: { Name: name, Labels: labels, Data: data.toString('base64') },
      signal,
      what: `${kind} ${name}`,
    });
    return result.ID;
  }
  private async removeFileObject(kind: 'secret' | 'config', id: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `/${kind}s/${encodeURIComponent(id)}`,
      ok: [404],
      signal,
      what: `${kind} ${id}`,
    });
  }
  listSecrets(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmFileObject[]> {
    return this.call({ method: 'GET', path: '/secrets', query: filtersQuery(filters), signal, what: 'secrets' });
  }
  createSecret(
    name: string,
    data: Buffer,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string> {
    return this.createFileObject('secret', name, data, labels, signal);
  }
  removeSecret(id: string, signal?: AbortSignal): Promise<void> {
    return this.removeFileObject('secret', id, signal);
  }
  listConfigs(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmFileObject[]> {
    return this.call({ method: 'GET', path: '/configs', query: filtersQuery(filters), signal, what: 'configs' });
  }
  createConfig(
    name: string,
    data: Buffer,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string> {
    return this.createFileObject('config', name, data, labels, signal);
  }
  removeConfig(id: string, signal?: AbortSignal): Promise<void> {
    return this.removeFileObject('config', id, signal);
  }
  async *serviceLogs(id: string, options: ServiceLogsOptions): AsyncIterable<LogChunk> {
    const query = {
      stdout: true,
      stderr: true,
      follow: options.follow === true,
      timestamps: options.timestamps === true,
      tail: options.tail === undefined ? 'all' : String(options.tail),
      ...(options.since !== undefined ? { since: String(options.since) } : {}),
    };
    const stream = await this.call<Readable>({
      method: 'GET',
      path: `/services/${encodeURIComponent(id)}/logs`,
      query,
      stream: true,
      signal: options.signal,
      what: `service ${id}`,
    });
    try {
      yield* demuxFrames(stream);
    } catch (error) {
      if (!options.signal?.aborted) throw toEngineError(error, this.endpoint, `service ${id}`);
    } finally {
      stream.destroy();
    }
  }

  attachContainer(id: string, options: { stdin: boolean; detachKeys?: string; signal?: AbortSignal }): Promise<Duplex> {
    const query = {
      stream: true,
      stdin: options.stdin,
      stdout: true,
      stderr: true,
      ...(options.detachKeys !== undefined ? { detachKeys: options.detachKeys } : {}),
    };
    // An (ignored) empty JSON body: without one the modem sends a chunked request the engine resets.
    return this.call<Duplex>({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/attach`,
      query,
      body: {},
      hijack: true,
      stdin: options.stdin,
      signal: options.signal,
      what: `container ${id}`,
    });
  }
  async waitContainer(
    id: string,
    condition: 'not-running' | 'next-exit' | 'removed',
    signal?: AbortSignal,
  ): Promise<{ readonly exitCode: Promise<number> }> {
    // A stream, not a write: the engine sends the headers once the wait is registered and the
    // body when the container exits, long after any write deadline.
    const stream = await this.call<Readable>({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/wait`,
      query: { condition },
      stream: true,
      signal,
      what: `container ${id}`,
    });
    const exitCode = (async (): Promise<number> => {
      let text = '';
      for await (const chunk of stream) text += Buffer.from(chunk as Uint8Array).toString('utf8');
      const result = JSON.parse(text) as { StatusCode?: number; Error?: { Message?: string } | null };
      if (result.Error?.Message)
        throw new StackError('ENGINE_ERROR', `waiting for container ${id}: ${result.Error.Message}`);
      return result.StatusCode ?? 0;
    })();
    exitCode.catch(() => undefined);
    return { exitCode };
  }
  async resizeContainer(id: string, rows: number, columns: number): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/resize`,
      query: { h: rows, w: columns },
      what: `container ${id}`,
    });
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
  const probe = new DockerEngine(endpoint, endpoint.url, '', writeDeadlineMs(options.env), readDeadlineMs(options.env));
  // /_ping names the engine's newest API version in a header and answers in about 1 ms;
  // /version (about 11 ms on Engine 20.10: it gathers kernel and component versions) is asked
  // only of an engine newer than we have tested, because only it may refuse our pick as too
  // old and only /version names its minimum.
  const ping = await probe.call<IncomingMessage>({
    method: 'GET',
    path: '/_ping',
    stream: true,
    signal: options.signal,
    what: 'ping',
    retry: false,
  });
  ping.resume();
  const header = ping.headers['api-version'];
  let version: { ApiVersion?: string | undefined; MinAPIVersion?: string | undefined } = {
    ApiVersion: typeof header === 'string' ? header : undefined,
  };
  if (!isTestedApiVersion(version.ApiVersion)) {
    version = await probe.call<{ ApiVersion?: string; MinAPIVersion?: string }>({
      method: 'GET',
      path: '/version',
      signal: options.signal,
      what: 'version',
      retry: false,
    });
  }
  const apiVersion = negotiateApiVersion(version.ApiVersion, version.MinAPIVersion);
  if (apiVersion === undefined) {
    const message =
      `the Docker engine at ${endpoint.url} speaks API ${version.ApiVersion ?? 'unknown'}; ` +
      'stack needs 1.41 or newer';
    throw new StackError('ENGINE_API_VERSION', message, {
      diagnostics: [
        diagnostic('ENGINE_API_VERSION', message, undefined, 'upgrade the Docker engine to 20.10 or newer'),
      ],
    });
  }
  return new DockerEngine(
    endpoint,
    endpoint.url,
    apiVersion,
    writeDeadlineMs(options.env),
    readDeadlineMs(options.env),
  );
}

export { EngineCallError };

/**
 * The Swarm calls of an engine made by connectEngine (undefined for any other Engine, e.g. a
 * test double): the swarm target asks for them once, after connecting.
 */
export function swarmCalls(engine: Engine): (Engine & SwarmEngine) | undefined {
  return engine instanceof DockerEngine ? engine : undefined;
}

/**
 * Unix seconds as the engine parses them: `1700000000` or `1700000000.000000123` (the part
 * after the dot is read as nanoseconds, so it must have nine digits).
 */
export function unixTimestamp(seconds: number): string {
  if (Number.isInteger(seconds)) return String(seconds);
  const whole = Math.floor(seconds);
  return `${whole}.${String(Math.round((seconds - whole) * 1e9))
    .padStart(9, '0')
    .slice(0, 9)}`;
}
