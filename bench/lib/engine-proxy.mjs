// A unix-socket HTTP/1.1 proxy in front of the Docker engine, for benchmarks and the
// reliability suite. It counts engine reads (GET/HEAD) and writes (POST/PUT/DELETE) per
// route and can inject faults: run a callback on the k-th write before forwarding it or after
// the engine acted (but before the reply reaches the client), answer with an error status,
// reset the connection, or stall. Plain ESM with JSDoc types: no build step, no dependencies.
//
// Transport notes:
// - Ordinary requests go through node:http on both sides: keep-alive, chunked request bodies
//   (build contexts) and streaming responses (events, logs -f, pull progress) are streamed
//   chunk by chunk; response headers are flushed at once so a client waiting on /events sees
//   them before the first event.
// - Hijacked connections (attach / exec start with `Upgrade: tcp`) arrive as the server's
//   'upgrade' event; the request head is replayed to the engine over a fresh socket and the
//   two sockets are piped both ways, so the 101 and the raw stream pass through unchanged.
import { createServer, request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { unlinkSync, existsSync } from 'node:fs';

/** @typedef {'read' | 'write'} RequestKind */

/**
 * One request seen by the proxy.
 * @typedef {object} RequestRecord
 * @property {number} index        1-based, over all requests.
 * @property {string} method
 * @property {string} path         The URL path and query as sent, with the API version prefix.
 * @property {string} route        Normalized: `POST /containers/{id}/start`.
 * @property {RequestKind} kind
 * @property {number | undefined} writeIndex  1-based index among writes (writes only).
 * @property {boolean} upgrade     A hijacked (attach/exec) connection.
 * @property {number} startedAt    ms since the proxy started.
 * @property {number | undefined} status     Engine (or injected) status, once known.
 * @property {number | undefined} durationMs Until the response head was sent (or the fault fired).
 * @property {string | undefined} fault      The fault applied, if any.
 */

/**
 * A fault rule. Matching fields are ANDed; a rule with no matching fields matches everything.
 * The rule fires on its `nth` match (1-based, default 1) and then `times` times in a row
 * (default 1; `Infinity` = every match from the nth on).
 * @typedef {object} Fault
 * @property {string} [method]       `POST`, `GET`, ...
 * @property {RequestKind} [kind]    'read' or 'write'.
 * @property {string | RegExp} [route]  Exact normalized route (`POST /containers/{id}/start`) or a RegExp tested against it.
 * @property {RegExp} [path]         Tested against the raw path (without the /v1.xx prefix).
 * @property {number} [writeIndex]   Fire on the k-th write overall (1-based; counts since reset()).
 * @property {number} [nth]          Fire on the nth request matching this rule.
 * @property {number} [times]
 * @property {'before' | 'after' | 'error' | 'reset' | 'stall'} action
 *   - before: run `run(info)` BEFORE forwarding; then drop the client connection without
 *     forwarding (unless `deliver: true`: then forward normally).
 *   - after:  forward, wait until the engine answered (status line and headers), run
 *     `run(info)`, then drop the client connection without delivering the reply (unless
 *     `deliver: true`).
 *   - error:  answer `status` (default 500) with a JSON `{ message }` body; never forwarded.
 *   - reset:  destroy the client connection without forwarding (`phase: 'after'`: forward,
 *     let the engine act, then destroy before the reply).
 *   - stall:  hold the request `ms` milliseconds (forever when omitted, until the client
 *     gives up or the proxy closes), then forward it (`phase: 'after'`: forward first, hold
 *     the reply instead).
 * @property {(info: RequestRecord) => (void | Promise<void>)} [run]
 * @property {boolean} [deliver]
 * @property {number} [status]
 * @property {string} [message]
 * @property {number} [ms]
 * @property {'before' | 'after'} [phase]
 */

/**
 * @typedef {object} EngineProxyOptions
 * @property {string} [target]      Engine socket, default /var/run/docker.sock.
 * @property {string} socketPath    Where the proxy listens (removed first if it exists).
 * @property {(info: RequestRecord) => void} [onRequest]  Called for each request as it arrives.
 * @property {Fault[]} [faults]
 */

/**
 * @typedef {object} EngineCounts
 * @property {number} reads
 * @property {number} writes
 * @property {Record<string, number>} byRoute  `METHOD /route` → count.
 */

/**
 * @typedef {object} EngineProxy
 * @property {string} socketPath
 * @property {string} dockerHost  `unix://<socketPath>`, for DOCKER_HOST.
 * @property {EngineCounts} counts
 * @property {RequestRecord[]} requests
 * @property {() => void} reset   Clears counts, the request log and the per-rule match counters.
 * @property {(faults: Fault[]) => void} setFaults  Replaces the fault rules (and their counters).
 * @property {() => Promise<void>} close
 */

const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

/** Resource collections whose second path segment is an id or name. */
const COLLECTION_VERBS = {
  containers: new Set(['json', 'create', 'prune']),
  networks: new Set(['create', 'prune']),
  volumes: new Set(['create', 'prune']),
  exec: new Set([]),
  plugins: new Set(['json', 'pull', 'privileges', 'create']),
  services: new Set(['create']),
  secrets: new Set(['create']),
  configs: new Set(['create']),
  nodes: new Set([]),
  tasks: new Set([]),
};

/** Actions that may end an image path (`/images/<name with slashes>/json`). */
const IMAGE_ACTIONS = new Set(['json', 'history', 'push', 'tag', 'get']);
const IMAGE_VERBS = new Set(['json', 'create', 'load', 'prune', 'search', 'get']);

/**
 * `POST /v1.41/containers/abc123/start?x=1` → `POST /containers/{id}/start`.
 * @param {string} method
 * @param {string} rawPath
 * @returns {string}
 */
export function normalizeRoute(method, rawPath) {
  const path = stripVersion(rawPath).split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean);
  const head = parts[0];
  if (head === undefined) return `${method} /`;
  if (head === 'images') {
    if (parts.length === 2 && IMAGE_VERBS.has(parts[1] ?? '')) return `${method} /images/${parts[1]}`;
    const last = parts[parts.length - 1] ?? '';
    if (parts.length > 2 && IMAGE_ACTIONS.has(last)) return `${method} /images/{name}/${last}`;
    return `${method} /images/{name}`;
  }
  if (head === 'distribution') return `${method} /distribution/{name}/json`;
  if (Object.hasOwn(COLLECTION_VERBS, head)) {
    const verbs = COLLECTION_VERBS[/** @type {keyof typeof COLLECTION_VERBS} */ (head)];
    if (parts.length === 1) return `${method} /${head}`;
    if (verbs.has(parts[1] ?? '')) return `${method} /${head}/${parts[1]}`;
    return `${method} /${[head, '{id}', ...parts.slice(2)].join('/')}`;
  }
  return `${method} /${parts.join('/')}`;
}

/** @param {string} path */
function stripVersion(path) {
  return path.replace(VERSION_PREFIX, '');
}

/** @param {string} method @returns {RequestKind} */
function kindOf(method) {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/** Hop-by-hop headers are the proxy's own business on each side. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * @param {string[]} raw  Flat [name, value, name, value, ...].
 * @returns {string[]}
 */
function endToEndHeaders(raw) {
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/**
 * Starts the proxy; resolves once it listens.
 * @param {EngineProxyOptions} options
 * @returns {Promise<EngineProxy>}
 */
export async function startEngineProxy(options) {
  const target = options.target ?? '/var/run/docker.sock';
  const socketPath = options.socketPath;
  const started = Date.now();
  const agent = new Agent({ keepAlive: true, socketPath: target });
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /** @type {Set<() => void>} */
  const pendingStalls = new Set();
  /** @type {{ rule: Fault, matches: number, fired: number }[]} */
  let rules = (options.faults ?? []).map((rule) => ({ rule, matches: 0, fired: 0 }));

  /** @type {EngineCounts} */
  const counts = { reads: 0, writes: 0, byRoute: {} };
  /** @type {RequestRecord[]} */
  const requests = [];

  /**
   * @param {string} method
   * @param {string} path
   * @param {boolean} upgrade
   * @returns {RequestRecord}
   */
  function record(method, path, upgrade) {
    const kind = kindOf(method);
    const route = normalizeRoute(method, path);
    if (kind === 'read') counts.reads += 1;
    else counts.writes += 1;
    counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
    /** @type {RequestRecord} */
    const info = {
      index: requests.length + 1,
      method,
      path,
      route,
      kind,
      writeIndex: kind === 'write' ? counts.writes : undefined,
      upgrade,
      startedAt: Date.now() - started,
      status: undefined,
      durationMs: undefined,
      fault: undefined,
    };
    requests.push(info);
    options.onRequest?.(info);
    return info;
  }

  /**
   * The first rule that fires for this request (each matching rule counts the match).
   * @param {RequestRecord} info
   * @returns {Fault | undefined}
   */
  function pickFault(info) {
    /** @type {Fault | undefined} */
    let chosen;
    for (const entry of rules) {
      const { rule } = entry;
      if (rule.method !== undefined && rule.method !== info.method) continue;
      if (rule.kind !== undefined && rule.kind !== info.kind) continue;
      if (rule.route !== undefined) {
        if (typeof rule.route === 'string' ? rule.route !== info.route : !rule.route.test(info.route)) continue;
      }
      if (rule.path !== undefined && !rule.path.test(stripVersion(info.path))) continue;
      if (rule.writeIndex !== undefined && rule.writeIndex !== info.writeIndex) continue;
      entry.matches += 1;
      const nth = rule.nth ?? 1;
      const times = rule.times ?? 1;
      if (entry.matches < nth || entry.fired >= times) continue;
      if (chosen === undefined) {
        entry.fired += 1;
        chosen = rule;
      }
    }
    return chosen;
  }

  /**
   * Waits `ms` (forever when undefined), or until the client's socket closes or the proxy closes.
   * @param {number | undefined} ms
   * @param {import('node:net').Socket} socket
   */
  function stall(ms, socket) {
    return new Promise((resolve) => {
      const done = () => {
        pendingStalls.delete(done);
        clearTimeout(timer);
        socket.off('close', done);
        resolve(undefined);
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      pendingStalls.add(done);
      socket.once('close', done);
    });
  }

  /** @param {RequestRecord} info @param {Fault} fault */
  async function runCallback(info, fault) {
    try {
      await fault.run?.(info);
    } catch (error) {
      process.stderr.write(
        `[engine-proxy] fault callback failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }

  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 60_000 }, (req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const info = record(method, path, false);
    const fault = pickFault(info);
    if (fault) info.fault = fault.action + (fault.phase ? `:${fault.phase}` : '');
    void handle(req, res, info, fault);
  });

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {RequestRecord} info
   * @param {Fault | undefined} fault
   */
  async function handle(req, res, info, fault) {
    const t0 = Date.now();
    const drop = () => {
      info.durationMs = Date.now() - t0;
      req.socket.destroy();
    };
    if (fault?.action === 'error') {
      const status = fault.status ?? 500;
      info.status = status;
      info.durationMs = Date.now() - t0;
      req.resume();
      const body = JSON.stringify({ message: fault.message ?? `injected fault: ${status}` });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (fault?.action === 'reset' && fault.phase !== 'after') return drop();
    if (fault?.action === 'before') {
      await runCallback(info, fault);
      if (!fault.deliver) return drop();
    }
    if (fault?.action === 'stall' && fault.phase !== 'after') {
      await stall(fault.ms, req.socket);
      if (req.socket.destroyed) return drop();
    }

    const upstream = httpRequest({
      agent,
      socketPath: target,
      method: req.method,
      path: req.url,
      headers: endToEndHeaders(req.rawHeaders),
    });
    upstream.on('response', async (up) => {
      info.status = up.statusCode;
      if (fault?.action === 'after' || (fault?.action === 'reset' && fault.phase === 'after')) {
        if (fault.action === 'after') await runCallback(info, fault);
        if (!fault.deliver || fault.action === 'reset') {
          up.resume();
          return drop();
        }
      }
      if (fault?.action === 'stall' && fault.phase === 'after') {
        await stall(fault.ms, req.socket);
        if (req.socket.destroyed) {
          up.destroy();
          return;
        }
      }
      info.durationMs = Date.now() - t0;
      res.writeHead(up.statusCode ?? 502, up.statusMessage ?? '', endToEndHeaders(up.rawHeaders));
      res.flushHeaders();
      up.pipe(res);
    });
    upstream.on('error', (error) => {
      if (res.destroyed) return;
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      info.status = 502;
      const body = JSON.stringify({ message: `engine proxy: ${error.message}` });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    res.on('close', () => {
      // The client went away before the whole reply: abort the upstream call too (streams,
      // long waits), as the engine would see it without the proxy.
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  server.on('upgrade', (req, client, head) => {
    const method = req.method ?? 'POST';
    const info = record(method, req.url ?? '/', true);
    const fault = pickFault(info);
    if (fault) info.fault = fault.action;
    void handleUpgrade(req, /** @type {import('node:net').Socket} */ (client), head, info, fault);
  });

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:net').Socket} client
   * @param {Buffer} head
   * @param {RequestRecord} info
   * @param {Fault | undefined} fault
   */
  async function handleUpgrade(req, client, head, info, fault) {
    if (fault?.action === 'error') {
      const status = fault.status ?? 500;
      info.status = status;
      const body = JSON.stringify({ message: fault.message ?? `injected fault: ${status}` });
      client.end(
        `HTTP/1.1 ${status} Injected\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (fault?.action === 'reset') return void client.destroy();
    if (fault?.action === 'before') {
      await runCallback(info, fault);
      if (!fault.deliver) return void client.destroy();
    }
    if (fault?.action === 'stall') await stall(fault.ms, client);
    if (client.destroyed) return;
    const upstream = connect(target);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('connect', () => {
      let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(text + '\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('data', (chunk) => {
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16));
      if (match) info.status = Number(match[1]);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  if (existsSync(socketPath)) unlinkSync(socketPath);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });

  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    counts,
    requests,
    reset() {
      counts.reads = 0;
      counts.writes = 0;
      for (const key of Object.keys(counts.byRoute)) delete counts.byRoute[key];
      requests.length = 0;
      for (const entry of rules) {
        entry.matches = 0;
        entry.fired = 0;
      }
    },
    setFaults(faults) {
      rules = faults.map((rule) => ({ rule, matches: 0, fired: 0 }));
    },
    async close() {
      for (const release of [...pendingStalls]) release();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      try {
        unlinkSync(socketPath);
      } catch {
        // already gone
      }
    },
  };
}
