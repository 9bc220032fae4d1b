// A hung engine (issue 20, items 5 and 6): a socket that accepts and never answers, or answers
// only /_ping (a known Engine 20.10 failure mode), is reported as ENGINE_UNREACHABLE, exit 1,
// by every command within a minute with the defaults (STACK_READ_TIMEOUT); Ctrl-C or SIGTERM
// while a read is pending is INTERRUPTED, exit 130, never "error[INTERNAL] ... This is a bug".
// The engine here is a fake unix socket server of this test: no dockerd is needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { cliBuilt, describeRun, runStack, stackArgs, startStack } from '../support/stack-cli.js';

interface HungEngine {
  readonly dockerHost: string;
  /** Request lines received (`GET /v1.41/containers/json?...`). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** `silent`: accepts, reads, never answers. `ping-only`: answers /_ping as Engine 20.10, nothing else. */
async function hungEngine(dir: string, mode: 'silent' | 'ping-only'): Promise<HungEngine> {
  const socketPath = join(dir, `${mode}.sock`);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const line = head.split('\r\n')[0] ?? '';
        requests.push(line);
        if (mode === 'ping-only' && / \/(v[\d.]+\/)?_ping /.test(line)) {
          socket.write(
            'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nOK',
          );
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const COMMANDS: readonly (readonly string[])[] = [['ps'], ['plan'], ['up', '-d'], ['down'], ['ls']];

describe('a hung engine', () => {
  let dir: string;
  let silent: HungEngine;
  let pingOnly: HungEngine;

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-rel-hung-'));
    silent = await hungEngine(dir, 'silent');
    pingOnly = await hungEngine(dir, 'ping-only');
  });
  afterAll(async () => {
    await silent?.close();
    await pingOnly?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ['silent', 'ping-only'] as const) {
    it(`${mode}: ps, plan, up, down and ls report ENGINE_UNREACHABLE, exit 1, after STACK_READ_TIMEOUT and the retries`, async () => {
      const engine = mode === 'silent' ? silent : pingOnly;
      const runs = await Promise.all(
        COMMANDS.map((command, i) =>
          runStack(stackArgs(`rel-hung-${i}`, command), {
            dockerHost: engine.dockerHost,
            env: { STACK_READ_TIMEOUT: '1' },
            timeoutMs: 30_000,
          }),
        ),
      );
      for (const run of runs) {
        expect(run.code, describeRun(run)).toBe(1);
        expect(run.stderr, describeRun(run)).toContain('error[ENGINE_UNREACHABLE]');
        expect(run.stderr).not.toContain('INTERNAL');
        // 1 s per try, four tries and 1.3 s of backoff for a retried read; the ping is not retried.
        expect(run.ms, describeRun(run)).toBeLessThan(15_000);
      }
    });
  }

  it('with the defaults, every command reports an engine that answers only /_ping within a minute', async () => {
    const runs = await Promise.all(
      COMMANDS.map((command, i) =>
        runStack(stackArgs(`rel-hung-${i}`, command), {
          dockerHost: pingOnly.dockerHost,
          env: { STACK_READ_TIMEOUT: undefined },
          timeoutMs: 75_000,
        }),
      ),
    );
    for (const run of runs) {
      expect(run.code, describeRun(run)).toBe(1);
      expect(run.stderr, describeRun(run)).toContain('error[ENGINE_UNREACHABLE]');
      expect(run.ms, describeRun(run)).toBeLessThan(60_000);
    }
  }, 90_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const command of [['ps'], ['plan'], ['up', '-d'], ['down']]) {
      it(`${signal} during a pending read of \`${command.join(' ')}\`: INTERRUPTED, exit 130`, async () => {
        const seen = pingOnly.requests.length;
        const started = startStack(stackArgs('rel-hung', command), {
          dockerHost: pingOnly.dockerHost,
          env: { STACK_READ_TIMEOUT: undefined },
          timeoutMs: 30_000,
        });
        // Wait until a read other than the ping is pending on the engine.
        await eventually(() => pingOnly.requests.slice(seen).some((line) => !/_ping/.test(line)), 20_000, 50);
        started.child.kill(signal);
        const run = await started.done;
        expect(run.code, describeRun(run)).toBe(130);
        expect(run.stderr, describeRun(run)).toContain('INTERRUPTED');
        expect(run.stderr).not.toContain('INTERNAL');
        expect(run.stderr).not.toContain('This is a bug');
      });
    }
  }
});
