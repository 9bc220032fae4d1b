/**
 * The `stack build` flags through the built CLI against the real engine (legacy builder):
 * `--build-arg K=V` reaches the Dockerfile, `--no-cache` re-runs a RUN step the cache would
 * have reused, `--pull` picks up a base image newly pushed under the same tag; and
 * `cache_from` makes the builder reuse the steps of an image pulled from the registry (which
 * the local cache alone never matches: a pulled image has no parent chain).
 * fixtures/build-flags: every RUN writes a random stamp, so cached and re-run steps differ.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { uniqueName } from '../support/engine.js';
import { describeE2E, docker, fixture, inspect, runCli } from './helpers.js';
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
/** Every image a test built: a rebuild leaves the previous one untagged, still holding its base. */
const builtIds = new Set<string>();

async function setup(
  name: string,
  env: Record<string, string> = {},
): Promise<{
  p: string;
  dir: string;
  build: (args: string[], extraEnv?: Record<string, string>) => Promise<CliResult>;
}> {
  const p = uniqueName(`e2e-bflags-${name}`);
  projects.push(p);
  const f = await loadFixtureCopy('build-flags', p, [], env);
  dirs.push(f.dir);
  const build = async (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
    const run = await runCli(['-p', p, 'build', ...args], {
      cwd: f.dir,
      env: { ...isolatedEnv(f.dir), ...env, ...extraEnv },
    });
    expect(run.code, run.stderr).toBe(0);
    for (const service of args.filter((a) => !a.startsWith('-') && !a.includes('='))) {
      const id = imageId(`${p}-${service}`);
      if (id) builtIds.add(id);
    }
    return run;
  };
  return { p, dir: f.dir, build };
}

const cat = (ref: string, path: string): string => docker(['run', '--rm', ref, 'cat', path]);

describe('stack build flags and cache_from (real engine)', () => {
  afterAll(() => {
    for (const p of projects) removeImages(`${p}-*`);
    for (const id of builtIds) {
      try {
        docker(['rmi', '-f', id]);
      } catch {
        // already gone with its tag
      }
    }
    for (const r of repos) removeImages(`${REGISTRY}/${r}`);
    for (const d of dirs) removeDir(d);
  });

  it('--build-arg K=V reaches the build: the ARG lands in a file and a label; without it the Dockerfile default', async () => {
    const { p, build } = await setup('arg');
    const ref = `${p}-flags`;
    await build(['flags']);
    expect(cat(ref, '/flavour')).toBe('plain');
    await build(['--build-arg', 'FLAVOUR=mint=fresh', 'flags']);
    expect(cat(ref, '/flavour')).toBe('mint=fresh');
    expect(inspect<{ Config: { Labels: Record<string, string> } }>(ref).Config.Labels['dev.stack.flavour']).toBe(
      'mint=fresh',
    );
    // A bare KEY takes the value from the environment.
    await build(['--build-arg', 'FLAVOUR', 'flags'], { FLAVOUR: 'from-env' });
    expect(cat(ref, '/flavour')).toBe('from-env');
  });

  it('--no-cache re-runs the RUN step (new stamp, new image ID); without it the second build reuses the cache', async () => {
    const { p, build } = await setup('nocache');
    const ref = `${p}-flags`;
    await build(['flags']);
    const first = imageId(ref)!;
    const stamp = cat(ref, '/stamp');
    await build(['flags']);
    expect(imageId(ref)).toBe(first);
    expect(cat(ref, '/stamp')).toBe(stamp);
    await build(['--no-cache', 'flags']);
    expect(imageId(ref)).not.toBe(first);
    expect(cat(ref, '/stamp')).not.toBe(stamp);
  });

  it('--pull builds on a base newly pushed under the same tag; without --pull the local (old) base is used', async () => {
    const r = uniqueName('stack-e2e-bflags-base');
    repos.push(r);
    const base = `${REGISTRY}/${r}:latest`;
    const v1 = pushGeneration(base, '1');
    const { p, build } = await setup('pull', { BASE: base });
    const ref = `${p}-flags`;
    // The base is missing locally: the builder pulls generation 1.
    await build(['flags']);
    expect(cat(ref, '/generation')).toBe('1');
    expect(imageId(base)).toBe(v1);
    // Push generation 2 under the same tag, keeping generation 1 as the local `base`.
    const v2 = pushGeneration(base, '2');
    docker(['tag', v1, base]);
    expect(imageId(base)).toBe(v1);

    await build(['flags']);
    expect(cat(ref, '/generation')).toBe('1');
    expect(imageId(base)).toBe(v1);

    await build(['--pull', 'flags']);
    expect(imageId(base)).toBe(v2);
    expect(cat(ref, '/generation')).toBe('2');
  });

  it('cache_from: a RUN step is reused from an image pulled from the registry; the same build without cache_from re-runs it', async () => {
    const r = uniqueName('stack-e2e-bflags-cache');
    repos.push(r);
    const cacheRef = `${REGISTRY}/${r}:cache`;
    // The cache image, built from the same Dockerfile, pushed, dropped and pulled back.
    execFileSync('docker', ['build', '-q', '-t', cacheRef, join(fixture('build-flags'), 'cache')], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cached = imageId(cacheRef)!;
    execFileSync('docker', ['push', cacheRef], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stamp = cat(cacheRef, '/stamp');
    docker(['rmi', cacheRef]);
    expect(imageId(cached)).toBeUndefined();
    docker(['pull', '-q', cacheRef]);
    expect(imageId(cacheRef)).toBe(cached);

    const { p, build } = await setup('cache', { CACHE_FROM: cacheRef });
    await build(['uncached']);
    expect(cat(`${p}-uncached`, '/stamp')).not.toBe(stamp);
    await build(['cached']);
    expect(cat(`${p}-cached`, '/stamp')).toBe(stamp);
    expect(imageId(`${p}-cached`)).toBe(cached);
  });
});
