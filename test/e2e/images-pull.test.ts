/**
 * Pulls from the real loopback registry (127.0.0.1:5000) through ensureImages: pull-if-missing,
 * `pull_policy: always` picking up a newly pushed image, `daily` remembering the last pull, an
 * unknown tag reported clearly (the engine's HTTP 404, not an in-band error), and the lock
 * file (pin, drift, check).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngineProxy } from '../../bench/lib/engine-proxy.mjs';
import { ensureImages, listModelImages } from '../../src/images/ensure.js';
import type { ImageEvent } from '../../src/images/events.js';
import { applyLock, compareLocks, lockFilePath, readLockFile, writeLockFile } from '../../src/images/lock-file.js';
import { resolveLock } from '../../src/images/lock-resolve.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { describeWithEngine, uniqueName } from '../support/engine.js';
import { docker } from './helpers.js';
import {
  REGISTRY,
  imageId,
  isolatedEnv,
  loadFixtureCopy,
  pushGeneration,
  removeDir,
  removeImages,
} from './images-support.js';

const describe = await describeWithEngine();
const repos: string[] = [];
const dirs: string[] = [];
const repo = (name: string): string => {
  const r = uniqueName(`stack-e2e-${name}`);
  repos.push(r);
  return r;
};

async function load(name: string, env: Record<string, string>) {
  const f = await loadFixtureCopy('pull-basic', uniqueName(`e2e-pull-${name}`), [], env);
  dirs.push(f.dir);
  return f;
}

describe('pulling images (real registry)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
  });
  afterAll(() => {
    for (const r of repos) removeImages(`${REGISTRY}/${r}`);
    for (const d of dirs) removeDir(d);
  });

  it('a missing image is pulled from the registry, with progress', async () => {
    const r = repo('missing');
    const pushed = pushGeneration(`${REGISTRY}/${r}:v1`, '1');
    expect(imageId(`${REGISTRY}/${r}:v1`)).toBeUndefined();
    const f = await load('missing', { REPO: r });
    const events: ImageEvent[] = [];
    const result = await ensureImages(
      engine,
      f.model,
      { images: [] },
      { env: isolatedEnv(f.dir), onEvent: (e) => events.push(e) },
    );
    expect(result.pulled.map((p) => p.image)).toEqual([`${REGISTRY}/${r}:v1`]);
    expect(result.pulled[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(imageId(`${REGISTRY}/${r}:v1`)).toBe(pushed);
    expect(events.map((e) => e.type)).toContain('pull-progress');
    expect(result.images.map((i) => i.id)).toContain(pushed);
  });

  it('pull_policy: missing keeps the local image; always picks up a newly pushed one', async () => {
    const r = repo('always');
    const ref = `${REGISTRY}/${r}:v1`;
    const first = pushGeneration(ref, '1');
    const missing = await load('always', { REPO: r });
    const env = isolatedEnv(missing.dir);
    await ensureImages(engine, missing.model, { images: [] }, { env });
    const second = pushGeneration(ref, '2');
    docker([
      'pull',
      '-q',
      `${REGISTRY}/${r}@${docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', first]).split('@')[1]}`,
    ]);
    docker(['tag', first, ref]);
    expect(imageId(ref)).toBe(first);

    const kept = await ensureImages(
      engine,
      missing.model,
      { images: await listModelImages(engine, missing.model) },
      { env },
    );
    expect(kept.pulled).toEqual([]);
    expect(imageId(ref)).toBe(first);

    const always = await load('always', { REPO: r, PULL_POLICY: 'always' });
    const pulled = await ensureImages(
      engine,
      always.model,
      { images: await listModelImages(engine, always.model) },
      { env },
    );
    expect(pulled.pulled).toMatchObject([{ image: ref, updated: true }]);
    expect(imageId(ref)).toBe(second);
    expect(docker(['run', '--rm', ref, 'cat', '/generation'])).toBe('2');
  });

  it('pull_policy: daily pulls once, then not again within the day', async () => {
    const r = repo('daily');
    pushGeneration(`${REGISTRY}/${r}:v1`, '1');
    const f = await load('daily', { REPO: r, PULL_POLICY: 'daily' });
    const env = isolatedEnv(f.dir);
    const first = await ensureImages(engine, f.model, { images: [] }, { env });
    expect(first.pulled).toHaveLength(1);
    const second = await ensureImages(engine, f.model, { images: first.images }, { env });
    expect(second.pulled).toEqual([]);
    expect(second.plan.decisions[0]!.reason.code).toBe('interval_fresh');
    const dayLater = await ensureImages(
      engine,
      f.model,
      { images: first.images },
      { env, now: Math.floor(Date.now() / 1000) + 86_401 },
    );
    expect(dayLater.pulled).toHaveLength(1);
  });

  // Which path this covers: Docker 20.10 resolves the manifest before it starts streaming, so an
  // unknown tag or repository is an HTTP 404 on POST /images/create (toPullError), not an
  // in-band error line. The proxy records the status to pin that down; the in-band path is
  // covered by test/images/pull-inband.test.ts and test/e2e/images-pull-cli.test.ts.
  it('an unknown tag is IMAGE_NOT_FOUND naming the image and the registry (HTTP 404 path)', async () => {
    const r = repo('unknown');
    pushGeneration(`${REGISTRY}/${r}:v1`, '1');
    const dir = mkdtempSync(join(tmpdir(), 'stack-unknown-tag-'));
    dirs.push(dir);
    const proxy = await startEngineProxy({ socketPath: join(dir, 'engine.sock') });
    try {
      const proxied = await connectEngine({ env: { DOCKER_HOST: proxy.dockerHost } });
      for (const env of [
        { REPO: r, TAG: 'nope' },
        { REPO: `${r}-never-pushed`, TAG: 'v1' },
      ]) {
        const f = await load('unknown', env);
        proxy.reset();
        const error = await ensureImages(proxied, f.model, { images: [] }, { env: isolatedEnv(f.dir) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
        expect((error as Error).message).toContain(
          `image ${REGISTRY}/${env.REPO}:${env.TAG} was not found in registry ${REGISTRY}`,
        );
        expect(proxy.requests.filter((q) => q.route === 'POST /images/create').map((q) => q.status)).toEqual([404]);
      }
    } finally {
      await proxy.close();
    }
  });

  it('the lock pins digests, reports drift after a new push, and up uses the pinned image', async () => {
    const r = repo('lock');
    const ref = `${REGISTRY}/${r}:v1`;
    const v1 = pushGeneration(ref, '1');
    const f = await load('lock', { REPO: r });
    const env = isolatedEnv(f.dir);
    await ensureImages(engine, f.model, { images: [] }, { env });
    const { lock } = await resolveLock(engine, f.model, { source: 'local' });
    const entry = lock.services['app']!;
    expect(entry).toMatchObject({ image: ref, imageId: v1 });
    expect(entry.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const path = lockFilePath(f.model);
    await writeLockFile(path, lock);
    expect(path.endsWith('/stack.lock.json')).toBe(true);
    const onDisk = (await readLockFile(path))!;

    // Fresh against the registry right after locking.
    expect(compareLocks(onDisk, (await resolveLock(engine, f.model, { source: 'registry' })).lock)).toEqual([]);
    // A new push under the same tag makes the lock stale.
    pushGeneration(ref, '2');
    const drift = compareLocks(onDisk, (await resolveLock(engine, f.model, { source: 'registry' })).lock);
    expect(drift.map((d) => d.kind)).toEqual(['digest_changed']);

    // With the lock applied, the pinned digest is pulled (not the new tag).
    removeImages(`${REGISTRY}/${r}`);
    docker(['rmi', '-f', v1]);
    const pinned = applyLock(f.model, onDisk);
    expect(pinned.model.services['app']!.image).toBe(`${REGISTRY}/${r}@${entry.digest}`);
    const result = await ensureImages(
      engine,
      pinned.model,
      { images: await listModelImages(engine, pinned.model) },
      { env },
    );
    expect(result.pulled).toHaveLength(1);
    expect(imageId(`${REGISTRY}/${r}@${entry.digest}`)).toBe(v1);
    expect(result.images.map((i) => i.id)).toContain(v1);
    // Converged: nothing more to pull.
    const again = await ensureImages(engine, pinned.model, { images: result.images }, { env });
    expect(again.pulled).toEqual([]);
  });
});
