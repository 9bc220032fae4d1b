/**
 * An in-band pull error: the engine answers POST /images/create with 200 and then streams
 * progress followed by `{"errorDetail": ..., "error": ...}` (what a registry failure in the
 * middle of a pull looks like). pullOne runs against a fake engine on a unix socket (so the
 * real dial, chunked NDJSON reading and PullProgressState are used) and must throw
 * IMAGE_NOT_FOUND or PULL_FAILED naming the image, never report a pull that did not happen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import type { ImageEvent } from '../../src/images/events.js';
import { pullOne } from '../../src/images/pull.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';

/** What the fake engine streams for the next pull: lines written one chunk each. */
let nextPull: string[] = [];
const pulled: string[] = [];

describe('in-band pull errors (fake engine, HTTP 200 then an error line)', () => {
  let dir: string;
  let server: Server;
  let engine: Engine;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-inband-'));
    const socketPath = join(dir, 'engine.sock');
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://engine');
      if (req.method === 'GET' && url.pathname === '/_ping') {
        res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.41' });
        res.end('OK');
        return;
      }
      if (req.method === 'GET' && url.pathname.endsWith('/version')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ApiVersion: '1.41', MinAPIVersion: '1.12', Version: '20.10.24' }));
        return;
      }
      if (req.method === 'POST' && url.pathname.endsWith('/images/create')) {
        pulled.push(url.searchParams.get('fromImage') ?? '');
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        const lines = [...nextPull];
        const write = (): void => {
          const line = lines.shift();
          if (line === undefined) {
            res.end();
            return;
          }
          res.write(`${line}\r\n`);
          setTimeout(write, 5);
        };
        write();
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `fake engine: no route ${req.method} ${url.pathname}` }));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    engine = await connectEngine({ env: { DOCKER_HOST: `unix://${socketPath}` } });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const progress = (id: string): string[] => [
    JSON.stringify({ status: 'Pulling from team/app', id: 'v1' }),
    JSON.stringify({ status: 'Pulling fs layer', progressDetail: {}, id }),
    JSON.stringify({ status: 'Downloading', progressDetail: { current: 512, total: 2048 }, progress: '[=>  ]', id }),
  ];

  async function pullError(ref: string): Promise<{ error: unknown; events: ImageEvent[] }> {
    const events: ImageEvent[] = [];
    const error = await pullOne(engine, ref, { onEvent: (e) => events.push(e) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, events };
  }

  it('an error after progress lines is PULL_FAILED naming the image and quoting the engine', async () => {
    const message = 'received unexpected HTTP status: 500 Internal Server Error';
    nextPull = [...progress('a1b2c3'), JSON.stringify({ errorDetail: { message }, error: message })];
    const { error, events } = await pullError('registry.example.com/team/app:v1');
    expect(error).toBeInstanceOf(StackError);
    expect(error).toMatchObject({
      code: 'PULL_FAILED',
      message: `pulling registry.example.com/team/app:v1 failed: ${message}`,
    });
    expect(pulled.at(-1)).toBe('registry.example.com/team/app:v1');
    expect(events.map((e) => e.type)).toContain('pull-progress');
    expect(events.map((e) => e.type)).not.toContain('pull-done');
    expect(events.at(-1)).toMatchObject({
      type: 'pull-failed',
      image: 'registry.example.com/team/app:v1',
      fatal: true,
    });
  });

  it('an in-band "manifest unknown" is IMAGE_NOT_FOUND naming the image and its registry', async () => {
    const message = 'manifest for registry.example.com/team/app:nope not found: manifest unknown: manifest unknown';
    nextPull = [JSON.stringify({ errorDetail: { message }, error: message })];
    const { error } = await pullError('registry.example.com/team/app:nope');
    expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect((error as Error).message).toBe(
      `image registry.example.com/team/app:nope was not found in registry registry.example.com: ${message}`,
    );
  });

  it('only `error` (no errorDetail) is still an error; lines after it are not read as success', async () => {
    nextPull = [
      ...progress('d4e5f6'),
      JSON.stringify({ error: 'unauthorized: authentication required' }),
      JSON.stringify({ status: 'Status: Downloaded newer image for registry.example.com/team/app:v2' }),
    ];
    const { error } = await pullError('registry.example.com/team/app:v2');
    expect(error).toMatchObject({
      code: 'PULL_FAILED',
      message: 'pulling registry.example.com/team/app:v2 failed: unauthorized: authentication required',
    });
  });

  it('control: the same stream without the error line is a successful pull with its digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    nextPull = [
      ...progress('a1b2c3'),
      JSON.stringify({ status: 'Pull complete', progressDetail: {}, id: 'a1b2c3' }),
      JSON.stringify({ status: `Digest: ${digest}` }),
      JSON.stringify({ status: 'Status: Downloaded newer image for registry.example.com/team/app:v1' }),
    ];
    await expect(pullOne(engine, 'registry.example.com/team/app:v1')).resolves.toEqual({
      image: 'registry.example.com/team/app:v1',
      digest,
      updated: true,
    });
  });
});
