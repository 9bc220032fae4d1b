/**
 * Builds against the real engine (legacy builder, API 1.41), driven through ensureImages:
 * the context tar honours .dockerignore, an edit gives a new image ID, every build option
 * reaches the builder, a shared build runs once, and a failing step is reported with its output.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureImages } from '../../src/images/ensure.js';
import type { ImageEvent } from '../../src/images/events.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { describeWithEngine, uniqueName } from '../support/engine.js';
import { docker, inspect } from './helpers.js';
import { imageId, isolatedEnv, loadFixtureCopy, removeDir, removeImages } from './images-support.js';

const describe = await describeWithEngine();
const projects: string[] = [];
const dirs: string[] = [];
const project = (name: string): string => {
  const p = uniqueName(`e2e-img-${name}`);
  projects.push(p);
  return p;
};

describe('building images (real engine)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
  });
  afterAll(() => {
    for (const p of projects) removeImages(`${p}-*`);
    for (const d of dirs) removeDir(d);
  });

  it("a service with build: builds as <project>-<service> and the image lacks the .dockerignore'd file", async () => {
    const p = project('basic');
    const f = await loadFixtureCopy('build-basic', p);
    dirs.push(f.dir);
    const events: ImageEvent[] = [];
    const result = await ensureImages(
      engine,
      f.model,
      { images: [] },
      { env: isolatedEnv(f.dir), onEvent: (e) => events.push(e), services: ['web'] },
    );
    expect(result.built.map((b) => b.image)).toEqual([`${p}-web`]);
    expect(imageId(`${p}-web`)).toBe(result.built[0]!.imageId);
    const listing = docker(['run', '--rm', `${p}-web`, 'ls', '-a', '/ctx']).split('\n');
    expect(listing).toContain('app.txt');
    expect(listing).toContain('Dockerfile');
    expect(listing).toContain('.dockerignore');
    expect(listing).not.toContain('secret.txt');
    expect(events.some((e) => e.type === 'build-line' && e.line.kind === 'step')).toBe(true);
    expect(result.images.some((i) => i.id === result.built[0]!.imageId)).toBe(true);
  });

  it('editing a file in the context gives a new image ID; an unchanged context reuses the cache', async () => {
    const p = project('edit');
    const f = await loadFixtureCopy('build-basic', p);
    dirs.push(f.dir);
    const env = isolatedEnv(f.dir);
    const first = await ensureImages(engine, f.model, { images: [] }, { env, services: ['web'], build: 'always' });
    const again = await ensureImages(engine, f.model, { images: [] }, { env, services: ['web'], build: 'always' });
    expect(again.built[0]!.imageId).toBe(first.built[0]!.imageId);
    writeFileSync(join(f.dir, 'web', 'app.txt'), 'v2\n');
    writeFileSync(join(f.dir, 'web', 'scratch.tmp'), 'ignored\n');
    const edited = await ensureImages(engine, f.model, { images: [] }, { env, services: ['web'], build: 'always' });
    expect(edited.built[0]!.imageId).not.toBe(first.built[0]!.imageId);
    expect(docker(['run', '--rm', `${p}-web`, 'cat', '/ctx/app.txt'])).toBe('v2');
  });

  it('a present build-only image is not rebuilt unless --build', async () => {
    const p = project('auto');
    const f = await loadFixtureCopy('build-basic', p);
    dirs.push(f.dir);
    const env = isolatedEnv(f.dir);
    const first = await ensureImages(engine, f.model, { images: [] }, { env, services: ['worker'] });
    expect(first.built).toHaveLength(1);
    const second = await ensureImages(engine, f.model, { images: first.images }, { env, services: ['worker'] });
    expect(second.built).toEqual([]);
    expect(second.plan.decisions.map((d) => d.reason.code)).toEqual(['present']);
  });

  it('dockerfile_inline, args, target, labels, extra_hosts, shm_size and network reach the builder', async () => {
    const p = project('opts');
    const f = await loadFixtureCopy('build-options', p);
    dirs.push(f.dir);
    await ensureImages(engine, f.model, { images: [] }, { env: isolatedEnv(f.dir), services: ['opts'] });
    const ref = `${p}-opts`;
    expect(docker(['run', '--rm', ref, 'cat', '/greeting'])).toBe('hello-build');
    const hosts = docker(['run', '--rm', ref, 'cat', '/hosts.txt']);
    expect(hosts).toMatch(/10\.1\.2\.3\s+alpha/);
    expect(hosts).toMatch(/10\.1\.2\.4\s+beta/);
    expect(docker(['run', '--rm', ref, 'cat', '/shm.txt'])).toMatch(/\s98304\s/);
    // network: none: the RUN step saw only the loopback interface (the default bridge adds eth0).
    const interfaces = docker(['run', '--rm', ref, 'cat', '/netdev.txt'])
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim());
    expect(interfaces).toEqual(['lo']);
    // target: base stops before the final stage
    expect(docker(['run', '--rm', ref, 'sh', '-c', 'test -e /final && echo yes || echo no'])).toBe('no');
    expect(inspect<{ Config: { Labels: Record<string, string> } }>(ref).Config.Labels['dev.stack.e2e']).toBe('yes');
  });

  it('a build shared by two services runs once and both images get its ID', async () => {
    const p = project('shared');
    const f = await loadFixtureCopy('build-options', p);
    dirs.push(f.dir);
    const events: ImageEvent[] = [];
    const result = await ensureImages(
      engine,
      f.model,
      { images: [] },
      { env: isolatedEnv(f.dir), services: ['a', 'b'], onEvent: (e) => events.push(e) },
    );
    expect(events.filter((e) => e.type === 'build-start')).toHaveLength(1);
    expect(result.built).toHaveLength(1);
    expect(imageId(`${p}-a`)).toBe(result.built[0]!.imageId);
    expect(imageId(`${p}-b`)).toBe(result.built[0]!.imageId);
  });

  it('a failing build raises BUILD_FAILED naming the failing step and its output', async () => {
    const p = project('broken');
    const f = await loadFixtureCopy('build-options', p, ['broken']);
    dirs.push(f.dir);
    const error = await ensureImages(
      engine,
      f.model,
      { images: [] },
      { env: isolatedEnv(f.dir), services: ['broken'] },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'BUILD_FAILED' });
    const message = (error as Error).message;
    expect(message).toContain(
      `building ${p}-broken failed at step 2/3 (RUN echo step-output-before-failure && exit 3)`,
    );
    expect(message).toContain('returned a non-zero code: 3');
    expect(message).toContain('    step-output-before-failure');
  });
});
