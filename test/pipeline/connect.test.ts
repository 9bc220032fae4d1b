/**
 * API version negotiation against a fake engine on a unix socket (data only: it answers the
 * probe and one list call, and records what it was asked).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectEngine } from '../../src/engine/client.js';

interface Fake {
  readonly socket: string;
  readonly asked: string[];
  close(): Promise<void>;
}

async function fakeEngine(pingVersion: string, version: { ApiVersion: string; MinAPIVersion: string }): Promise<Fake> {
  const dir = mkdtempSync(join(tmpdir(), 'stack-connect-'));
  const socket = join(dir, 'engine.sock');
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://engine').pathname;
    asked.push(path);
    if (path === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': pingVersion });
      res.end('OK');
    } else if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(version));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    }
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    asked,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('connectEngine: API version from /_ping, /version only when needed', () => {
  let fake: Fake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('an engine at or below the tested version: one ping, no /version, calls pinned to its version', async () => {
    fake = await fakeEngine('1.41', { ApiVersion: '1.41', MinAPIVersion: '1.12' });
    const engine = await connectEngine({ env: { DOCKER_HOST: `unix://${fake.socket}` } });
    expect(engine.apiVersion).toBe('1.41');
    await engine.listVolumes({});
    expect(fake.asked).toEqual(['/_ping', '/v1.41/volumes']);
  });

  it('a newer engine: /version is asked for its minimum, which is never undercut', async () => {
    fake = await fakeEngine('1.52', { ApiVersion: '1.52', MinAPIVersion: '1.48' });
    const engine = await connectEngine({ env: { DOCKER_HOST: `unix://${fake.socket}` } });
    expect(engine.apiVersion).toBe('1.48');
    expect(fake.asked).toEqual(['/_ping', '/version']);
  });

  it('an engine older than API 1.41 is refused with ENGINE_API_VERSION', async () => {
    fake = await fakeEngine('1.40', { ApiVersion: '1.40', MinAPIVersion: '1.12' });
    await expect(connectEngine({ env: { DOCKER_HOST: `unix://${fake.socket}` } })).rejects.toMatchObject({
      code: 'ENGINE_API_VERSION',
    });
    expect(fake.asked).toEqual(['/_ping']);
  });
});
