/**
 * The wire under the engine client: one HTTP request to dockerd, sent straight over node:http
 * on a unix socket or plain tcp (what most runs need, without loading dockerode), or through
 * dockerode's modem for TLS, ssh and hijacked (exec) connections. No policy lives here: retries,
 * deadlines and error classification are the client's (client.ts). Both paths reject the same
 * way (`statusCode` and the engine's JSON body as `json` on a refusal, the socket error
 * otherwise), so toEngineError classifies both alike.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Endpoint } from './endpoint.js';
import { displayValue } from '../errors.js';

/** What we use of dockerode's modem. */
export interface Modem {
  version?: string;
  dial(options: Record<string, unknown>, callback: (error: unknown, data: unknown) => void): void;
}

/** One request to the engine, as the client's policy describes it. */
export interface Request {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  readonly path: string;
  /** Objects are sent as JSON, arrays as repeated parameters (`t=a&t=b`), undefined left out. */
  readonly query?: Readonly<Record<string, unknown>>;
  /** A JSON body. */
  readonly body?: unknown;
  /** A raw body (a tar): a Buffer, or a stream, which can be sent only once. */
  readonly upload?: Buffer | Readable;
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra statuses that count as success (304 on start/stop). */
  readonly ok?: readonly number[];
  /** Resolve to the response body stream instead of its parsed JSON. */
  readonly stream?: boolean;
  readonly hijack?: boolean;
  readonly stdin?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** What the call acts on, for error messages ("container web-1"). */
  readonly what: string;
  /** `false`: no read retries (the connection probe: a missing engine is reported at once). */
  readonly retry?: boolean;
  /** Extra time the engine may legitimately take on this call (a stop's grace period, a registry lookup), ms. */
  readonly extraDeadlineMs?: number;
}

/** Called once the engine's reply has begun (status line received, or the upgrade). */
export type OnReply = () => void;

const STATUS: Record<number, string> = {
  400: 'bad parameter',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  500: 'server error',
  503: 'unavailable',
};

export function modemOptions(endpoint: Endpoint): Record<string, unknown> {
  switch (endpoint.kind) {
    case 'unix':
      return { socketPath: endpoint.socketPath };
    case 'ssh':
      return {
        protocol: 'ssh',
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.username ? { username: endpoint.username } : {}),
        sshOptions: { agent: process.env['SSH_AUTH_SOCK'] },
      };
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

interface DockerodeModule {
  readonly default: new (opts: Record<string, unknown>) => { modem: Modem };
}

function isDockerodeModule(value: unknown): value is DockerodeModule {
  return typeof value === 'object' && value !== null && typeof (value as { default?: unknown }).default === 'function';
}

/** Loads dockerode (~240 ms of module loading) and builds a modem pinned to `apiVersion`. */
export async function loadModem(target: Endpoint, apiVersion: string): Promise<Modem> {
  const loaded: unknown = await import('dockerode');
  if (!isDockerodeModule(loaded)) throw new Error('dockerode has no default export');
  const modem = new loaded.default(modemOptions(target)).modem;
  if (apiVersion !== '') modem.version = `v${apiVersion}`;
  return modem;
}

/** `?a=1&t=x&t=y&filters={...}`: objects as JSON, arrays repeated (as the modem does), undefined left out. */
export function queryString(query: Readonly<Record<string, unknown>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : displayValue(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The rejection of an engine refusal: `statusCode` and the parsed body as `json`, as the modem's. */
function refusal(status: number, json: unknown): Error {
  return Object.assign(new Error(`(HTTP code ${status}) ${STATUS[status] ?? 'unexpected'}`), {
    statusCode: status,
    json,
  });
}

function readBody(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '' || !/json/.test(res.headers['content-type'] ?? '')) return resolve(text);
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        resolve(text); // not JSON after all: keep the text
      }
    });
  });
}

/**
 * One request over node:http on a unix socket or plain tcp. A refusal's body is always read,
 * streams included, so the engine's own message (`dockerfile parse error ...`) reaches the user.
 */
export function directCall<T>(
  target: Endpoint & { kind: 'unix' | 'tcp' },
  apiVersion: string,
  req: Request,
  onReply?: OnReply,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const body = req.upload ?? (req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body)));
    const path = `${apiVersion === '' ? '' : `/v${apiVersion}`}${req.path}${queryString(req.query ?? {})}`;
    const headers: Record<string, string | number> = {
      ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(req.headers ?? {}),
    };
    if (Buffer.isBuffer(body)) headers['Content-Length'] = body.length;
    // `servername: ''`: plain http needs none, and leaving it unset makes the agent test the host
    // with net.isIP, whose first call compiles the IPv6 pattern (about 10 ms of a no-op `up`).
    const where =
      target.kind === 'unix'
        ? { socketPath: target.socketPath, servername: '' }
        : { host: target.host, port: target.port, servername: '' };
    const outgoing = httpRequest(
      { ...where, path, method: req.method, headers, ...(req.signal ? { signal: req.signal } : {}) },
      (res) => {
        onReply?.();
        const status = res.statusCode ?? 0;
        const success = (status >= 200 && status < 300) || (req.ok ?? []).includes(status);
        if (success && req.stream === true) return resolve(res as Readable as T);
        readBody(res).then(
          (json) => (success ? resolve((json === '' ? '' : json) as T) : reject(refusal(status, json))),
          reject,
        );
      },
    );
    outgoing.on('error', reject);
    if (body === undefined || Buffer.isBuffer(body)) {
      outgoing.end(body);
    } else {
      body.on('error', (error) => outgoing.destroy(error));
      body.pipe(outgoing);
    }
  });
}

/**
 * The modem reads a refused stream's body into its error text only (`json` is null there):
 * take the engine's message back out of `(HTTP code 400) bad parameter - <message> `.
 */
function withEngineMessage(error: unknown): unknown {
  const e = error as { statusCode?: unknown; json?: unknown; message?: unknown } | undefined;
  if (
    !e ||
    typeof e.statusCode !== 'number' ||
    (e.json !== null && e.json !== undefined) ||
    typeof e.message !== 'string'
  )
    return error;
  const match = /^\(HTTP code \d+\) [^-]*? - ([\s\S]*?)\s*$/.exec(e.message);
  return match?.[1] ? Object.assign(error as object, { json: { message: match[1] } }) : error;
}

/** One request through dockerode's modem (TLS, ssh, hijacked connections). */
export function modemCall<T>(modem: Modem, req: Request, onReply?: OnReply): Promise<T> {
  const statusCodes: Record<number, string | boolean> = { ...STATUS, 200: true, 201: true, 204: true, 101: true };
  for (const code of req.ok ?? []) statusCodes[code] = true;
  // Without a body, `_body: {}` makes the modem send none (it would serialise the options).
  const options: Record<string, unknown> = { _query: req.query ?? {}, _body: req.body ?? {} };
  return new Promise<T>((resolve, reject) => {
    modem.dial(
      {
        path: `${req.path}?`,
        method: req.method,
        options,
        ...(req.headers ? { headers: { ...req.headers } } : {}),
        ...(req.upload ? { file: req.upload } : {}),
        statusCodes,
        isStream: req.stream === true || req.hijack === true,
        hijack: req.hijack === true,
        openStdin: req.stdin === true,
        allowEmpty: req.body !== undefined || req.upload !== undefined,
        ...(req.signal ? { abortSignal: req.signal } : {}),
      },
      (error, data) => {
        // The modem calls back once the reply began (or the connection failed).
        onReply?.();
        if (error) reject(asError(withEngineMessage(error)));
        else resolve(data as T);
      },
    );
  });
}

/** Anything thrown or passed to a callback, as an Error (a string or an object from a library). */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
