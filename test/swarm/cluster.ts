/**
 * The cluster of scripts/swarm-cluster.sh, for the swarm tests: its manager socket, whether it
 * answers, and a `describe` that skips without it, or fails (CI / STACK_E2E_REQUIRED) saying
 * how to bring it up.
 */
import { request } from 'node:http';
import { describe, it } from 'vitest';
import { engineRequired } from '../support/engine.js';

export const MANAGER_SOCKET = process.env['STACK_SWARM_SOCKET'] ?? '/run/stack-swarm/node1.sock';
export const WORKER_SOCKET = '/run/stack-swarm/node2.sock';
/** Every node of the default 3-node cluster. */
export const NODE_SOCKETS = ['/run/stack-swarm/node1.sock', WORKER_SOCKET, '/run/stack-swarm/node3.sock'];
/** The test image in the cluster's registry (every node can pull it). */
export const SWARM_IMAGE = '10.123.0.1:5001/stack-test/busybox:latest';

/** True when the manager answers and is an active swarm manager. */
export function clusterAnswers(socketPath = MANAGER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/v1.41/info', timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          const info = JSON.parse(text) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
          resolve(info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true);
        } catch {
          resolve(false);
        }
      });
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** `describe` for suites that need the cluster. */
export async function describeWithCluster(): Promise<typeof describe> {
  if (await clusterAnswers()) return describe;
  if (!engineRequired()) return describe.skip as typeof describe;
  return ((name: string) => {
    describe(name, () => {
      it('needs the swarm cluster', () => {
        throw new Error(
          `no swarm manager answers at ${MANAGER_SOCKET}; run scripts/swarm-cluster.sh up (CI/STACK_E2E_REQUIRED requires it)`,
        );
      });
    });
  }) as typeof describe;
}

/** Polls `check` every 250 ms until true or the timeout; resolves to the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}
