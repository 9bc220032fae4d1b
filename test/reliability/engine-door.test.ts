// Every engine call goes through the client's policy, image, archive and exec calls included
// (they used to reach dockerode's modem directly and skip it): reads are retried after a
// transient failure, stream opens included; writes (a build, a pull, an upload, an exec) are
// sent once, and one whose reply never comes is reported as ambiguous after the write
// deadline instead of hanging. Through the fault proxy in front of the real engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import type { EngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { TEST_IMAGE, describeWithEngine } from '../support/engine.js';

const describeEngine = await describeWithEngine();

/** A one-file context whose build would succeed, were the request ever answered. */
function context(): Readable {
  const header = Buffer.alloc(512);
  const body = Buffer.from(`FROM ${TEST_IMAGE}\n`);
  header.write('Dockerfile', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padded = Buffer.concat([body, Buffer.alloc(512 - body.length)]);
  return Readable.from([header, padded, Buffer.alloc(1024)], { objectMode: false });
}

const routes = (proxy: EngineProxy, route: string): number => proxy.requests.filter((r) => r.route === route).length;

describeEngine('the engine door', () => {
  let dir: string;
  let proxy: EngineProxy;
  let engine: Engine;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-door-'));
    proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
    engine = await connectEngine({ env: { DOCKER_HOST: proxy.dockerHost, STACK_WRITE_TIMEOUT: '1' } });
  });
  afterEach(() => {
    proxy.setFaults([]);
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an image inspect is a read: a transient 500 is retried and the call succeeds', async () => {
    proxy.setFaults([{ route: 'GET /images/{name}/json', action: 'error', status: 500, times: 2 }]);
    const image = await engine.inspectImage(TEST_IMAGE);
    expect(image?.Id).toMatch(/^sha256:/);
    expect(routes(proxy, 'GET /images/{name}/json')).toBe(3);
  });

  it('opening a stream with GET (events) is retried like a read', async () => {
    proxy.setFaults([{ route: 'GET /events', action: 'reset' }]);
    const now = Math.floor(Date.now() / 1000);
    const events = [];
    for await (const event of engine.events({ since: now - 1, until: now })) events.push(event);
    expect(routes(proxy, 'GET /events')).toBe(2);
  });

  it('a build is a write: sent once, and with no reply it is ambiguous after the write deadline', async () => {
    proxy.setFaults([{ route: 'POST /build', action: 'stall' }]);
    const started = Date.now();
    const error = await engine.buildImage(context(), { dockerfile: 'Dockerfile', t: ['stack-door-never:latest'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ENGINE_WRITE_AMBIGUOUS' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(routes(proxy, 'POST /build')).toBe(1);
  });

  it('a pull refused with a 500 is not retried, and quotes the engine', async () => {
    proxy.setFaults([{ route: 'POST /images/create', action: 'error', status: 500, message: 'registry says no' }]);
    const error = await engine.pullImageStream('127.0.0.1:5000/stack-door-never:v1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ENGINE_ERROR', statusCode: 500 });
    expect((error as Error).message).toContain('registry says no');
    expect(routes(proxy, 'POST /images/create')).toBe(1);
  });

  it('an archive upload and an exec create with no reply are ambiguous after the write deadline', async () => {
    proxy.setFaults([
      {
        route: /^(PUT \/containers\/\{id\}\/archive|POST \/containers\/\{id\}\/exec)$/,
        action: 'stall',
        times: Infinity,
      },
    ]);
    const upload = await engine.putArchive('stack-door-none', Buffer.alloc(1024), '/').then(
      () => undefined,
      (e: unknown) => e,
    );
    const exec = await engine.createExec('stack-door-none', { Cmd: ['true'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(upload).toMatchObject({ code: 'ENGINE_WRITE_AMBIGUOUS' });
    expect(exec).toMatchObject({ code: 'ENGINE_WRITE_AMBIGUOUS' });
  });
});
