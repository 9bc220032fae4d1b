/**
 * Rolling on image change, through the built CLI's `up -d`: a rebuilt image (new ID) or a
 * newly pulled one recreates the services that use it, and only those. The images are made
 * with `stack build` / `stack pull` (the CLI, never a library fallback).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { uniqueName } from '../support/engine.js';
import { cleanup, containers, describeE2E, runCli } from './helpers.js';
import { REGISTRY, isolatedEnv, loadFixtureCopy, pushGeneration, removeDir, removeImages } from './images-support.js';

const describe = await describeE2E();
const projects: string[] = [];
const dirs: string[] = [];
const repos: string[] = [];

const ids = (project: string): Record<string, string> =>
  Object.fromEntries(containers(project).map((c) => [c.service, c.id]));

describe('image changes roll only the services that use them', () => {
  afterAll(() => {
    for (const p of projects) {
      cleanup(p);
      removeImages(`${p}-*`);
    }
    for (const r of repos) removeImages(`${REGISTRY}/${r}`);
    for (const d of dirs) removeDir(d);
  });

  /** `stack <command>` through the CLI (exit 0). */
  async function images(
    dir: string,
    project: string,
    command: 'build' | 'pull',
    env: Record<string, string>,
    services: readonly string[] = [],
  ): Promise<void> {
    const run = await runCli(['-p', project, command, ...services], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
  }

  it('editing a file in a build context then rebuilding and `up -d` recreates only that service', async () => {
    const p = uniqueName('e2e-roll-build');
    projects.push(p);
    const f = await loadFixtureCopy('build-basic', p);
    dirs.push(f.dir);
    const env = isolatedEnv(f.dir);
    await images(f.dir, p, 'build', env);
    const up = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(up.code, up.stderr).toBe(0);
    const before = ids(p);
    expect(Object.keys(before).sort()).toEqual(['plain', 'web', 'worker']);

    writeFileSync(join(f.dir, 'web', 'app.txt'), 'v2\n');
    await images(f.dir, p, 'build', env);
    const again = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(again.code, again.stderr).toBe(0);
    const after = ids(p);
    expect(after['web']).not.toBe(before['web']);
    expect(after['worker']).toBe(before['worker']);
    expect(after['plain']).toBe(before['plain']);
    expect(containers(p).every((c) => c.state === 'running')).toBe(true);
  });

  it('a newly pushed image picked up by pull_policy: always recreates only its service', async () => {
    const p = uniqueName('e2e-roll-pull');
    projects.push(p);
    const r = uniqueName('stack-e2e-roll');
    repos.push(r);
    pushGeneration(`${REGISTRY}/${r}:v1`, '1');
    const f = await loadFixtureCopy('pull-roll', p, [], { REPO: r });
    dirs.push(f.dir);
    const env = { ...isolatedEnv(f.dir), REPO: r };
    await images(f.dir, p, 'pull', env, ['app']);
    const up = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(up.code, up.stderr).toBe(0);
    const before = ids(p);

    // `steady` is local-only (never pulled): only `app` is pulled, as a user would.
    // Nothing new in the registry: a pull changes no image ID, so up changes nothing.
    await images(f.dir, p, 'pull', env, ['app']);
    expect((await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env })).code).toBe(0);
    expect(ids(p)).toEqual(before);

    pushGeneration(`${REGISTRY}/${r}:v1`, '2');
    await images(f.dir, p, 'pull', env, ['app']);
    const again = await runCli(['-p', p, 'up', '-d'], { cwd: f.dir, env });
    expect(again.code, again.stderr).toBe(0);
    const after = ids(p);
    expect(after['app']).not.toBe(before['app']);
    expect(after['steady']).toBe(before['steady']);
  });

  it('`stack lock` pins the digest; `stack lock --check` exits 1 once the tag moves', async () => {
    const p = uniqueName('e2e-lock-cli');
    projects.push(p);
    const r = uniqueName('stack-e2e-lockcli');
    repos.push(r);
    pushGeneration(`${REGISTRY}/${r}:v1`, '1');
    const f = await loadFixtureCopy('pull-roll', p, [], { REPO: r });
    dirs.push(f.dir);
    const env = { ...isolatedEnv(f.dir), REPO: r };
    const lock = await runCli(['-p', p, 'lock'], { cwd: f.dir, env });
    expect(lock.code, lock.stderr).toBe(0);
    const written = JSON.parse(readFileSync(join(f.dir, 'stack.lock.json'), 'utf8')) as {
      services: Record<string, { digest?: string }>;
    };
    expect(written.services['app']!.digest).toMatch(/^sha256:/);
    expect((await runCli(['-p', p, 'lock', '--check'], { cwd: f.dir, env })).code).toBe(0);
    pushGeneration(`${REGISTRY}/${r}:v1`, '2');
    const check = await runCli(['-p', p, 'lock', '--check'], { cwd: f.dir, env });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('LOCK_FILE_STALE');
  });
});
