/**
 * `stack pull` through the built CLI against the loopback registry (127.0.0.1:5000):
 * `-q` prints nothing on success (while a plain pull prints its progress), `--ignore-buildable`
 * skips services that have a build section, and an in-band pull error (HTTP 200, then an
 * `error` line in the stream, injected by a small forwarding proxy in front of the real
 * engine) fails the command naming the image. fixtures/pull-cli.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ENGINE_SOCKET, uniqueName } from '../support/engine.js';
import { describeE2E, docker, runCli } from './helpers.js';
import type { CliResult } from './helpers.js';
import {
  REGISTRY,
  imageId,
  isolatedEnv,
  loadFixtureCopy,
  pushGeneration,
  removeDir,
  removeImages,
} from './images-support.js';

const describe = await describeE2E();
const projects: string[] = [];
const repos: string[] = [];
const dirs: string[] = [];

async function setup(name: string): Promise<{
  r: string;
  app: string;
  built: string;
  pull: (args: string[], env?: Record<string, string>) => Promise<CliResult>;
}> {
  const p = uniqueName(`e2e-pullcli-${name}`);
  projects.push(p);
  const r = uniqueName(`stack-e2e-pullcli-${name}`);
  repos.push(r, `${r}-built`);
  const f = await loadFixtureCopy('pull-cli', p, [], { REPO: r });
  dirs.push(f.dir);
  const pull = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(['-p', p, 'pull', ...args], { cwd: f.dir, env: { ...isolatedEnv(f.dir), REPO: r, ...env } });
  return { r, app: `${REGISTRY}/${r}:v1`, built: `${REGISTRY}/${r}-built:v1`, pull };
}

/**
 * A forwarding proxy to the real engine that answers every POST /images/create itself: HTTP
 * 200, a few progress lines, then `{"errorDetail": ..., "error": ...}` (how the engine reports
 * a failure that happens after the pull started streaming).
 */
async function startInBandErrorProxy(
  dir: string,
  message: string,
): Promise<{ dockerHost: string; pulls: string[]; close: () => Promise<void> }> {
  const pulls: string[] = [];
  const socketPath = join(dir, 'inband.sock');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    if (req.method === 'POST' && url.pathname.endsWith('/images/create')) {
      pulls.push(url.searchParams.get('fromImage') ?? '');
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ status: 'Pulling from stack', id: 'v1' })}\r\n`);
      res.write(`${JSON.stringify({ status: 'Pulling fs layer', progressDetail: {}, id: '0123456789ab' })}\r\n`);
      setTimeout(() => res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`), 50);
      return;
    }
    const upstream = request(
      { socketPath: ENGINE_SOCKET, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    pulls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('stack pull (CLI, real registry)', () => {
  afterAll(() => {
    for (const r of repos) removeImages(`${REGISTRY}/${r}`);
    for (const p of projects) removeImages(`${p}-*`);
    for (const d of dirs) removeDir(d);
  });

  it('-q pulls every image and prints nothing; without -q the same pull prints its progress', async () => {
    const { app, built, pull } = await setup('quiet');
    const appId = pushGeneration(app, 'app');
    const builtId = pushGeneration(built, 'built');

    const loud = await pull([]);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stdout + loud.stderr).toContain(app);
    expect(imageId(app)).toBe(appId);
    docker(['rmi', app, built]);
    expect(imageId(app)).toBeUndefined();

    const quiet = await pull(['-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');
    expect(imageId(app)).toBe(appId);
    expect(imageId(built)).toBe(builtId);
  });

  it('--ignore-buildable pulls only services without a build section; plain pull also pulls the buildable one', async () => {
    const { app, built, pull } = await setup('ignore');
    const appId = pushGeneration(app, 'app');
    const builtId = pushGeneration(built, 'built');

    const ignoring = await pull(['--ignore-buildable']);
    expect(ignoring.code, ignoring.stderr).toBe(0);
    expect(imageId(app)).toBe(appId);
    expect(imageId(built)).toBeUndefined();
    expect(ignoring.stdout + ignoring.stderr).not.toContain(built);

    const all = await pull([]);
    expect(all.code, all.stderr).toBe(0);
    expect(imageId(built)).toBe(builtId);
  });

  it('an in-band pull error (HTTP 200, then an error line) fails the command naming the image', async () => {
    const { app, pull, r } = await setup('inband');
    pushGeneration(app, 'app');
    const dir = mkdtempSync(join(tmpdir(), 'stack-inband-e2e-'));
    dirs.push(dir);
    const message = 'received unexpected HTTP status: 500 Internal Server Error';
    const proxy = await startInBandErrorProxy(dir, message);
    try {
      for (const args of [['app'], ['-q', 'app']]) {
        const run = await pull(args, { DOCKER_HOST: proxy.dockerHost });
        expect(run.code, run.stdout + run.stderr).toBe(1);
        // The repository came from $REPO: the error names it as ${REPO}, with the registry's reason.
        expect(run.stderr).toContain(`pulling ${app.replace(r, '${REPO}')} failed: ${message}`);
        expect(run.stderr).not.toMatch(/Downloaded newer image|pulled/i);
      }
    } finally {
      await proxy.close();
    }
    expect(proxy.pulls).toEqual([app, app]);
    expect(imageId(app)).toBeUndefined();
  });
});
