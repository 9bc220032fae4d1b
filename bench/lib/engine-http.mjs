// A raw Engine API client over the unix socket (node:http, keep-alive), for the engine floor
// and the bench's own cleanup. No dockerode: the floor must cost nothing but the engine.
import { Agent, request } from 'node:http';

/**
 * @typedef {object} EngineReply
 * @property {number} status
 * @property {any} json
 * @property {string} text
 */

/**
 * @param {{ socketPath?: string, maxSockets?: number }} [options]
 */
export function createEngineClient(options = {}) {
  const socketPath = options.socketPath ?? socketFromDockerHost(process.env.DOCKER_HOST) ?? '/var/run/docker.sock';
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<EngineReply>}
   */
  function call(method, path, body) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        socketPath,
        agent,
        method,
        path: `/v1.41${path}`,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        /** @type {Buffer[]} */
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      });
      req.end(payload);
    });
  }
  /**
   * Like call, but rejects unless the status is one of `ok`.
   * @param {string} method @param {string} path @param {unknown} [body] @param {number[]} [ok]
   */
  async function must(method, path, body, ok = [200, 201, 204, 304]) {
    const reply = await call(method, path, body);
    if (!ok.includes(reply.status)) throw new Error(`${method} ${path} → ${reply.status} ${reply.text.trim()}`);
    return reply;
  }
  return { call, must, close: () => agent.destroy(), socketPath };
}

/** @param {string | undefined} host */
export function socketFromDockerHost(host) {
  if (host && host.startsWith('unix://')) return host.slice('unix://'.length);
  return undefined;
}

/** @param {Record<string, string[]>} filters */
export const filterQuery = (filters) => encodeURIComponent(JSON.stringify(filters));

/**
 * Removes everything a Compose-labelled project owns (containers, networks, volumes).
 * @param {ReturnType<typeof createEngineClient>} engine
 * @param {string} project
 */
export async function removeProject(engine, project) {
  const f = filterQuery({ label: [`com.docker.compose.project=${project}`] });
  const containers = (await engine.call('GET', `/containers/json?all=1&filters=${f}`)).json ?? [];
  await Promise.all(
    containers.map((/** @type {{Id: string}} */ c) => engine.call('DELETE', `/containers/${c.Id}?force=1&v=1`)),
  );
  const networks = (await engine.call('GET', `/networks?filters=${f}`)).json ?? [];
  await Promise.all(networks.map((/** @type {{Id: string}} */ n) => engine.call('DELETE', `/networks/${n.Id}`)));
  const volumes = (await engine.call('GET', `/volumes?filters=${f}`)).json?.Volumes ?? [];
  await Promise.all(
    volumes.map((/** @type {{Name: string}} */ v) =>
      engine.call('DELETE', `/volumes/${encodeURIComponent(v.Name)}?force=1`),
    ),
  );
}

/**
 * Runs tasks respecting dependencies with at most `limit` in flight. Rejects on the first failure.
 * @param {{ id: string, deps: string[], run: () => Promise<unknown> }[]} tasks
 * @param {number} limit
 */
export function runDag(tasks, limit) {
  return new Promise((resolve, reject) => {
    const done = new Set();
    const started = new Set();
    let inFlight = 0;
    let failed = false;
    const pump = () => {
      if (failed) return;
      if (done.size === tasks.length) return resolve(undefined);
      for (const task of tasks) {
        if (inFlight >= limit) break;
        if (started.has(task.id) || !task.deps.every((d) => done.has(d))) continue;
        started.add(task.id);
        inFlight += 1;
        task.run().then(
          () => {
            inFlight -= 1;
            done.add(task.id);
            pump();
          },
          (error) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    pump();
  });
}
