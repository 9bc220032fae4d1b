// The engine proxy against the real engine: forwarding (keep-alive, chunked bodies, streaming
// responses, hijacked connections), counting, and one test per fault mode.
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { normalizeRoute, startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy, RequestRecord } from '../../bench/lib/engine-proxy.mjs';
import { TEST_IMAGE, describeWithEngine, rawRequest, removeByLabel, uniqueName } from './engine.js';

const describeEngine = await describeWithEngine();
const LABEL = 'dev.stack.test';
const run = uniqueName('rel-proxy');

it('normalizes routes: ids, names with slashes and the version prefix disappear', () => {
  expect(normalizeRoute('POST', '/v1.41/containers/abc123/start?t=1')).toBe('POST /containers/{id}/start');
  expect(normalizeRoute('GET', '/v1.41/containers/json?all=1')).toBe('GET /containers/json');
  expect(normalizeRoute('POST', '/containers/create?name=x')).toBe('POST /containers/create');
  expect(normalizeRoute('DELETE', '/v1.41/containers/abc?force=1')).toBe('DELETE /containers/{id}');
  expect(normalizeRoute('GET', '/v1.41/images/stack-test/busybox:latest/json')).toBe('GET /images/{name}/json');
  expect(normalizeRoute('POST', '/v1.41/networks/n1/connect')).toBe('POST /networks/{id}/connect');
  expect(normalizeRoute('GET', '/v1.41/volumes')).toBe('GET /volumes');
  expect(normalizeRoute('HEAD', '/_ping')).toBe('HEAD /_ping');
});

describeEngine('engine proxy (real engine)', () => {
  let dir: string;
  let proxy: EngineProxy;
  const createBody = (extra: Record<string, unknown> = {}) => ({
    Image: TEST_IMAGE,
    Cmd: ['sleep', '30'],
    Labels: { [LABEL]: run },
    ...extra,
  });
  const create = (name: string, extra: Record<string, unknown> = {}) =>
    rawRequest({
      socketPath: proxy.socketPath,
      method: 'POST',
      path: `/v1.41/containers/create?name=${name}`,
      body: createBody(extra),
    });
  const inspectDirect = (name: string) => rawRequest({ path: `/v1.41/containers/${name}/json` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-proxy-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
  });
  afterEach(() => {
    proxy.setFaults([]);
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.close();
    await removeByLabel(LABEL, run);
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts reads and writes per route and forwards the replies unchanged', async () => {
    const ping = await rawRequest({ socketPath: proxy.socketPath, method: 'HEAD', path: '/_ping' });
    expect(ping.status).toBe(200);
    const version = await rawRequest({ socketPath: proxy.socketPath, path: '/version' });
    expect((version.json as { ApiVersion: string }).ApiVersion).toMatch(/^1\.\d+$/);
    const name = `${run}-count`;
    const created = await create(name);
    expect(created.status).toBe(201);
    const id = (created.json as { Id: string }).Id;
    expect((await rawRequest({ socketPath: proxy.socketPath, path: `/v1.41/containers/${id}/json` })).status).toBe(200);
    expect(
      (await rawRequest({ socketPath: proxy.socketPath, method: 'DELETE', path: `/v1.41/containers/${id}?force=1` }))
        .status,
    ).toBe(204);
    expect(proxy.counts.reads).toBe(3);
    expect(proxy.counts.writes).toBe(2);
    expect(proxy.counts.byRoute).toEqual({
      'HEAD /_ping': 1,
      'GET /version': 1,
      'POST /containers/create': 1,
      'GET /containers/{id}/json': 1,
      'DELETE /containers/{id}': 1,
    });
    expect(proxy.requests.map((r) => r.writeIndex)).toEqual([undefined, undefined, 1, undefined, 2]);
    expect(proxy.requests.map((r) => r.status)).toEqual([200, 200, 201, 200, 204]);
  });

  it('keeps client connections alive across requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await rawRequest({ socketPath: proxy.socketPath, path: '/_ping', agent });
      const second = await rawRequest({ socketPath: proxy.socketPath, path: '/version', agent });
      const third = await rawRequest({ socketPath: proxy.socketPath, path: '/_ping', agent });
      expect([first.reusedSocket, second.reusedSocket, third.reusedSocket]).toEqual([false, true, true]);
    } finally {
      agent.destroy();
    }
  });

  it('forwards a chunked request body', async () => {
    const name = `${run}-chunked`;
    const body = JSON.stringify(createBody());
    const res = await rawRequest({
      socketPath: proxy.socketPath,
      method: 'POST',
      path: `/v1.41/containers/create?name=${name}`,
      chunks: [body.slice(0, 10), body.slice(10)],
    });
    expect(res.status).toBe(201);
    expect((await inspectDirect(name)).status).toBe(200);
  });

  it('streams a response as it is produced (events arrive while the stream is open)', async () => {
    const name = `${run}-events`;
    const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL}=${run}`], type: ['container'] }));
    const firstEvent = new Promise<{ Action: string }>((resolve, reject) => {
      const req = request({ socketPath: proxy.socketPath, path: `/v1.41/events?filters=${filters}` });
      req.on('error', reject);
      req.on('response', (res) => {
        expect(res.statusCode).toBe(200);
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          const line = buffer.split('\n')[0];
          if (buffer.includes('\n') && line) {
            resolve(JSON.parse(line) as { Action: string });
            req.destroy();
          }
        });
        // The response head arrived while the engine has not sent an event yet: create one now.
        void create(name);
      });
      req.end();
    });
    const event = await firstEvent;
    expect(event.Action).toBe('create');
  });

  it('passes hijacked (upgraded) attach connections through both ways', async () => {
    const name = `${run}-attach`;
    const created = await create(name, {
      Cmd: ['cat'],
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
    });
    expect(created.status).toBe(201);
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({
        socketPath: proxy.socketPath,
        method: 'POST',
        path: `/v1.41/containers/${name}/attach?stream=1&stdin=1&stdout=1`,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.on('error', reject);
      req.on('upgrade', (res, socket) => {
        expect(res.statusCode).toBe(101);
        let out = '';
        socket.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('hello-through-proxy')) {
            socket.destroy();
            resolve(out);
          }
        });
        void rawRequest({ socketPath: proxy.socketPath, method: 'POST', path: `/v1.41/containers/${name}/start` }).then(
          () => socket.write('hello-through-proxy\n'),
        );
      });
      req.end();
    });
    expect(echoed).toContain('hello-through-proxy');
    expect(proxy.requests.find((r) => r.upgrade)?.route).toBe('POST /containers/{id}/attach');
  });

  it('"before" on the k-th write runs the callback and never forwards that write', async () => {
    const seen: RequestRecord[] = [];
    proxy.setFaults([{ kind: 'write', writeIndex: 2, action: 'before', run: (info) => void seen.push(info) }]);
    expect((await create(`${run}-b1`)).status).toBe(201);
    await expect(create(`${run}-b2`)).rejects.toThrow();
    expect(seen.map((r) => [r.writeIndex, r.route])).toEqual([[2, 'POST /containers/create']]);
    expect((await inspectDirect(`${run}-b1`)).status).toBe(200);
    expect((await inspectDirect(`${run}-b2`)).status).toBe(404);
  });

  it('"after" on the k-th write lets the engine act, then withholds the reply', async () => {
    let engineStatusAtCallback: number | undefined;
    proxy.setFaults([
      {
        kind: 'write',
        writeIndex: 1,
        action: 'after',
        run: async () => void (engineStatusAtCallback = (await inspectDirect(`${run}-a1`)).status),
      },
    ]);
    await expect(create(`${run}-a1`)).rejects.toThrow();
    expect(engineStatusAtCallback).toBe(200);
    expect(proxy.requests[0]?.status).toBe(201);
  });

  it('injects 500s on a chosen route a given number of times, then forwards', async () => {
    proxy.setFaults([{ route: 'GET /containers/json', action: 'error', status: 500, times: 2 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await rawRequest({ socketPath: proxy.socketPath, path: '/v1.41/containers/json' })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect((await rawRequest({ socketPath: proxy.socketPath, path: '/_ping' })).status).toBe(200);
  });

  it('resets the connection on a chosen read', async () => {
    proxy.setFaults([{ kind: 'read', route: /\/version$/, action: 'reset' }]);
    await expect(rawRequest({ socketPath: proxy.socketPath, path: '/version' })).rejects.toThrow(/hang up|ECONNRESET/);
    expect((await rawRequest({ socketPath: proxy.socketPath, path: '/version' })).status).toBe(200);
  });

  it('stalls a request for a while, then forwards it', async () => {
    proxy.setFaults([{ route: 'GET /_ping', action: 'stall', ms: 300 }]);
    const t0 = Date.now();
    expect((await rawRequest({ socketPath: proxy.socketPath, path: '/_ping' })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('stalls a write reply forever after the engine acted (an ambiguous timeout for the client)', async () => {
    proxy.setFaults([{ kind: 'write', action: 'stall', phase: 'after' }]);
    const outcome = await rawRequest({
      socketPath: proxy.socketPath,
      method: 'POST',
      path: `/v1.41/containers/create?name=${run}-stall2`,
      body: createBody(),
      timeoutMs: 500,
    }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(outcome).toBe('client timeout');
    expect((await inspectDirect(`${run}-stall2`)).status).toBe(200);
  });
});
