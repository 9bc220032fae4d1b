/**
 * Helpers for tests that need the real engine: raw Engine API requests over the unix socket
 * (node:http, no dockerode), an engine probe, and the gate used by engine-dependent suites
 * outside test/e2e: when no engine answers they are skipped locally but FAIL in CI or when
 * STACK_E2E_REQUIRED is set, so a broken CI engine never turns into a silent green run.
 */
import { request } from 'node:http';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'vitest';

export const ENGINE_SOCKET = process.env['STACK_TEST_ENGINE_SOCKET'] ?? '/var/run/docker.sock';
export const TEST_IMAGE = 'stack-test/busybox:latest';

/** A raw Engine API request. `body` objects are sent as JSON; `chunks` as a chunked body. */
export interface RawRequest {
  readonly socketPath?: string;
  readonly method?: string;
  readonly path: string;
  readonly body?: unknown;
  readonly chunks?: readonly string[];
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
  readonly reusedSocket: boolean;
}

/** Sends one request and reads the whole reply. Rejects on socket errors (reset, timeout). */
export function rawRequest(options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (options.chunks) headers['content-type'] = 'application/json';
    const req = request({
      socketPath: options.socketPath ?? ENGINE_SOCKET,
      method: options.method ?? 'GET',
      path: options.path,
      headers,
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, reusedSocket: req.reusedSocket });
      });
    });
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** True when an engine answers `/_ping` within `timeoutMs`. */
export async function engineAnswers(socketPath = ENGINE_SOCKET, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await rawRequest({ socketPath, path: '/_ping', timeoutMs });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** True when the engine must be there (CI, or STACK_E2E_REQUIRED set). */
export function engineRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI'];
  return Boolean((ci && ci !== 'false') || env['STACK_E2E_REQUIRED']);
}

/**
 * `describe` for suites that need the engine: runs them when it answers; otherwise skips them,
 * or (CI / STACK_E2E_REQUIRED) replaces them with one failing test that says why.
 */
export async function describeWithEngine(): Promise<typeof describe> {
  if (await engineAnswers()) return describe;
  if (!engineRequired()) return describe.skip as typeof describe;
  return ((name: string) => {
    describe(name, () => {
      it('needs a Docker engine', () => {
        throw new Error(`no Docker engine answers at ${ENGINE_SOCKET}; CI/STACK_E2E_REQUIRED requires one`);
      });
    });
  }) as unknown as typeof describe;
}

/** A short random suffix for unique project names: `rel-<name>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Removes every container, network and volume carrying `label=value` (best effort). */
export async function removeByLabel(label: string, value: string, socketPath = ENGINE_SOCKET): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${label}=${value}`] }));
  const containers = await rawRequest({ socketPath, path: `/containers/json?all=1&filters=${filters}` });
  for (const c of (containers.json as { Id: string }[] | undefined) ?? []) {
    await rawRequest({ socketPath, method: 'DELETE', path: `/containers/${c.Id}?force=1&v=1` }).catch(() => undefined);
  }
  const networks = await rawRequest({ socketPath, path: `/networks?filters=${filters}` });
  for (const n of (networks.json as { Id: string }[] | undefined) ?? []) {
    await rawRequest({ socketPath, method: 'DELETE', path: `/networks/${n.Id}` }).catch(() => undefined);
  }
  const volumes = await rawRequest({ socketPath, path: `/volumes?filters=${filters}` });
  for (const v of (volumes.json as { Volumes: { Name: string }[] | null } | undefined)?.Volumes ?? []) {
    await rawRequest({ socketPath, method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}?force=1` }).catch(
      () => undefined,
    );
  }
}
