/**
 * The engine edge: the ONLY module that imports dockerode (lazily, and only for TLS, ssh and
 * hijacked connections: a run on the local socket never pays its ~240 ms of loading). We make
 * every call ourselves: create bodies go in the request body with only the name in the query (no secrets
 * in URLs), API version is negotiated from /_ping (and /version when needed), each call takes its own AbortSignal and
 * no modem timeout is ever set (it would kill events, logs and waits).
 */
import type { Duplex, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { StackError, diagnostic } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import { resolveEndpoint } from './endpoint.js';
import type { Engine, EngineContainer, EngineContainerInspect, EngineImageConfig, EngineEvent, EngineFilters, EngineImage, EngineNetwork, EngineVolume, LogChunk, LogsOptions, PullProgress } from './types.js';
import { AmbiguousWriteError, EngineCallError, isBrokenAfterSend, isTestedApiVersion, isTransientFailure, negotiateApiVersion, toEngineError } from './errors.js';
import { demuxFrames, readNdjson } from './streams.js';

interface Modem {
  version?: string;
  dial(options: Record<string, unknown>, callback: (error: unknown, data: unknown) => void): void;
}

interface Request {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  readonly path: string;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  /** Extra statuses that count as success (304 on start/stop). */
  readonly ok?: readonly number[];
  readonly stream?: boolean;
  readonly hijack?: boolean;
  readonly stdin?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** What the call acts on, for error messages ("container web-1"). */
  readonly what: string;
  /** `false`: no read retries (the connection probe: a missing engine is reported at once). */
  readonly retry?: boolean;
  /** Extra time the engine may legitimately take on this write (a stop's grace period), ms. */
  readonly extraDeadlineMs?: number;
}

const STATUS: Record<number, string> = { 400: 'bad parameter', 403: 'forbidden', 404: 'not found', 409: 'conflict', 500: 'server error', 503: 'unavailable' };

function modemOptions(endpoint: Endpoint): Record<string, unknown> {
  switch (endpoint.kind) {
    case 'unix':
      return { socketPath: endpoint.socketPath };
    case 'ssh':
      return { protocol: 'ssh', host: endpoint.host, port: endpoint.port, ...(endpoint.username ? { username: endpoint.username } : {}), sshOptions: { agent: process.env['SSH_AUTH_SOCK'] } };
    case 'tcp': {
      if (!endpoint.tls) return { protocol: 'http', host: endpoint.host, port: endpoint.port };
      const dir = endpoint.certPath;
      const read = (file: string): Buffer | undefined => {
        try {
          return dir ? readFileSync(join(dir, file)) : undefined;
        } catch {
          return undefined;
        }
      };
      return {
        protocol: 'https',
        host: endpoint.host,
        port: endpoint.port,
        ca: read('ca.pem'),
        cert: read('cert.pem'),
        key: read('key.pem'),
        // A context saved with SkipTLSVerify (docker context create --docker skip-tls-verify=true).
        ...(endpoint.skipVerify === true ? { rejectUnauthorized: false } : {}),
      };
    }
  }
}

/**
 * How long a write (not a stream) may wait for the engine's reply before its outcome counts as
 * unknown: `STACK_WRITE_TIMEOUT` seconds, default 60 (creates and removes take well under a
 * second; a stop adds its grace period). A hung engine must not hang the run.
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

/** Loads dockerode (~240 ms of module loading) and builds a modem pinned to `apiVersion`. */
async function loadModem(target: Endpoint, apiVersion: string): Promise<Modem> {
  const { default: Docker } = (await import('dockerode')) as unknown as { default: new (opts: Record<string, unknown>) => { modem: Modem } };
  const modem = new Docker(modemOptions(target)).modem;
  if (apiVersion !== '') modem.version = `v${apiVersion}`;
  return modem;
}

/** `?a=1&filters={...}` as the modem builds it: objects as JSON, undefined left out. */
function queryString(query: Readonly<Record<string, unknown>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * A JSON call (or a plain response stream: events, logs, pull progress) over node:http on a
 * unix socket or plain tcp: what most runs need, without loading dockerode. Rejects the way
 * the modem does (`statusCode` and `json` on an engine refusal, the socket error otherwise),
 * so toEngineError classifies both alike.
 */
function directCall<T>(target: Endpoint & { kind: 'unix' | 'tcp' }, apiVersion: string, req: Request): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const path = `${apiVersion === '' ? '' : `/v${apiVersion}`}${req.path}${queryString(req.query ?? {})}`;
    const headers: Record<string, string | number> = body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {};
    // `servername: ''`: plain http needs none, and leaving it unset makes the agent test the host
    // with net.isIP, whose first call compiles the IPv6 pattern (about 10 ms of a no-op `up`).
    const where = target.kind === 'unix' ? { socketPath: target.socketPath, servername: '' } : { host: target.host, port: target.port, servername: '' };
    const outgoing = httpRequest({ ...where, path, method: req.method, headers, ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      const success = (status >= 200 && status < 300) || (req.ok ?? []).includes(status);
      if (success && req.stream === true) {
        resolve(res as unknown as T);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        if (text !== '' && /json/.test(res.headers['content-type'] ?? '')) {
          try {
            json = JSON.parse(text) as unknown;
          } catch {
            // not JSON after all: keep the text
          }
        }
        if (success) resolve((text === '' ? '' : json) as T);
        else reject(Object.assign(new Error(`(HTTP code ${status}) ${STATUS[status] ?? 'unexpected'}`), { statusCode: status, json }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
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

  /** The dockerode modem (image builds, archive uploads and exec need its raw dial). */
  transport(): Promise<Modem> {
    this.modem ??= loadModem(this.target, this.apiVersion);
    return this.modem;
  }

  /**
   * One engine call. Reads (GET, not streamed) that meet a transient failure (a 5xx, a reset
   * or refused connection) are retried with bounded backoff (READ_RETRY_DELAYS_MS); writes
   * never are: an ambiguous write is resolved by re-observing, one level up.
   */
  async call<T>(req: Request): Promise<T> {
    const plain = req.stream !== true && req.hijack !== true;
    if (req.method !== 'GET' && req.method !== 'HEAD' && plain) return this.write<T>(req);
    const retryable = req.retry !== false && req.method === 'GET' && plain;
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
   * A write, sent once. No reply within the deadline, or the connection broken after sending:
   * the outcome is unknown (AmbiguousWriteError), and the caller observes again.
   */
  private async write<T>(req: Request): Promise<T> {
    const ms = this.writeDeadlineMs + (req.extraDeadlineMs ?? 0);
    const deadline = AbortSignal.timeout(ms);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    try {
      return await this.callOnce<T>({ ...req, signal });
    } catch (raw) {
      if (deadline.aborted && !req.signal?.aborted) throw new AmbiguousWriteError(req.what, `no reply from the engine within ${Math.round(ms / 1000)} s`, raw);
      if (!req.signal?.aborted && isBrokenAfterSend(raw)) throw new AmbiguousWriteError(req.what, 'the connection to the engine broke before its reply', raw);
      throw toEngineError(raw, this.endpoint, req.what);
    }
  }

  private async callOnce<T>(req: Request): Promise<T> {
    const target = this.target;
    if ((target.kind === 'unix' || (target.kind === 'tcp' && !target.tls)) && req.hijack !== true) return directCall<T>(target, this.apiVersion, req);
    const modem = await this.transport();
    const statusCodes: Record<number, string | boolean> = { ...STATUS, 200: true, 201: true, 204: true, 101: true };
    for (const code of req.ok ?? []) statusCodes[code] = true;
    const query = req.query ?? {};
    // Without a body, `_body: {}` makes the modem send none (it would serialise the options).
    const options: Record<string, unknown> = { _query: query, _body: req.body ?? {} };
    return new Promise<T>((resolve, reject) => {
      modem.dial(
        {
          path: `${req.path}?`,
          method: req.method,
          options,
          statusCodes,
          isStream: req.stream === true || req.hijack === true,
          hijack: req.hijack === true,
          openStdin: req.stdin === true,
          allowEmpty: req.body !== undefined,
          ...(req.signal ? { abortSignal: req.signal } : {}),
        },
        (error, data) => (error ? reject(error as unknown) : resolve(data as T)),
      );
    });
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

  async pullImage(ref: string, options: { platform?: string; signal?: AbortSignal; onProgress?: (p: PullProgress) => void }): Promise<void> {
    const query = { fromImage: ref, ...(options.platform ? { platform: options.platform } : {}) };
    const stream = await this.call<Readable>({ method: 'POST', path: '/images/create', query, stream: true, signal: options.signal, what: `image ${ref}` });
    // The engine reports a failed pull inside a 200 stream: scan every message for an error.
    for await (const item of readNdjson(stream)) {
      if (!item.ok) continue;
      const message = item.value as { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
      const error = message.errorDetail?.message ?? message.error;
      if (error) throw new StackError('PULL_FAILED', `pulling ${ref} failed: ${error}`);
      options.onProgress?.({ ...(message.status ? { status: message.status } : {}), ...(message.id ? { id: message.id } : {}) });
    }
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
  attachContainer(id: string, options: { stdin: boolean; signal?: AbortSignal }): Promise<Duplex> {
    const query = { stream: true, stdin: options.stdin, stdout: true, stderr: true };
    // An (ignored) empty JSON body: without one the modem sends a chunked request the engine resets.
    return this.call<Duplex>({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/attach`, query, body: {}, hijack: true, stdin: options.stdin, signal: options.signal, what: `container ${id}` });
  }
  async waitContainer(id: string, condition: 'not-running' | 'next-exit' | 'removed', signal?: AbortSignal): Promise<{ readonly exitCode: Promise<number> }> {
    // A stream, not a write: the engine sends the headers once the wait is registered and the
    // body when the container exits, long after any write deadline.
    const stream = await this.call<Readable>({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/wait`, query: { condition }, stream: true, signal, what: `container ${id}` });
    const exitCode = (async (): Promise<number> => {
      let text = '';
      for await (const chunk of stream) text += Buffer.from(chunk as Uint8Array).toString('utf8');
      const result = JSON.parse(text) as { StatusCode?: number; Error?: { Message?: string } | null };
      if (result.Error?.Message) throw new StackError('ENGINE_ERROR', `waiting for container ${id}: ${result.Error.Message}`);
      return result.StatusCode ?? 0;
    })();
    exitCode.catch(() => undefined);
    return { exitCode };
  }
  async resizeContainer(id: string, rows: number, columns: number): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/resize`, query: { h: rows, w: columns }, what: `container ${id}` });
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
