/**
 * The manager check of the swarm target against a small HTTP engine on a unix socket: an
 * engine that is not a swarm manager answers the swarm calls with a 503 that no retry can
 * change, so it is asked once and the refusal says how to init or join; any other 503 of a
 * read is still retried.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSwarm } from '../../../src/targets/swarm/commands.js';

const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

let dir: string | undefined;
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

/** An engine that answers /nodes with a 503 carrying `message`; counts the /nodes requests. */
async function engineRefusingNodes(message: string): Promise<{ host: string; nodeRequests: () => number }> {
  dir = mkdtempSync(join(tmpdir(), 'stack-manager-check-'));
  const socketPath = join(dir, 'engine.sock');
  let nodes = 0;
  server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
      res.end(JSON.stringify(body));
    };
    if (path === '/_ping') return json(200, 'OK');
    if (path === '/nodes') {
      nodes++;
      return json(503, { message });
    }
    if (path === '/info') return json(200, { Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } });
    return json(404, { message: 'not here' });
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return { host: `unix://${socketPath}`, nodeRequests: () => nodes };
}

describe('the swarm manager check', () => {
  it('an engine that is not a swarm manager is asked once, and refused saying how to init or join', async () => {
    const engine = await engineRefusingNodes(NOT_A_MANAGER);
    const error = await connectSwarm({ DOCKER_HOST: engine.host }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENGINE_ERROR' });
    expect(JSON.stringify(error)).toContain('docker swarm init');
    expect(engine.nodeRequests()).toBe(1);
  });

  it('another 503 of a read (a manager in the middle of an election) is still retried', async () => {
    const engine = await engineRefusingNodes('rpc error: code = Unknown desc = The swarm does not have a leader.');
    await connectSwarm({ DOCKER_HOST: engine.host }).catch(() => undefined);
    expect(engine.nodeRequests()).toBe(4);
  });
});
