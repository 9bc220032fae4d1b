/**
 * Shared by the images e2e suites: a fixture copied to a temp dir and loaded with loadStack,
 * an engine connection, an isolated environment (no real ~/.docker, a private pull-time
 * cache), and cleanup of the images a test built, tagged or pulled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackModel } from '../../src/model.js';
import { loadStack } from '../../src/loader/load.js';
import { docker, fixture } from './helpers.js';

/** A loaded copy of a fixture. */
export interface LoadedFixture {
  readonly dir: string;
  readonly model: StackModel;
  /** Reloads the model (after editing files in `dir`). */
  reload(): Promise<StackModel>;
}

/** Copies fixtures/<name> to a temp dir and loads it as project `project`. */
export async function loadFixtureCopy(
  name: string,
  project: string,
  profiles: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<LoadedFixture> {
  const dir = mkdtempSync(join(tmpdir(), `stack-${name}-`));
  cpSync(fixture(name), dir, { recursive: true });
  const load = (): Promise<StackModel> => loadStack({ cwd: dir, env, projectName: project, profiles: [...profiles] });
  return { dir, model: await load(), reload: load };
}

/** An environment that keeps tests away from the user's ~/.docker and ~/.cache. */
export function isolatedEnv(dir: string): Record<string, string> {
  return { DOCKER_CONFIG: join(dir, '.docker-config'), STACK_PULL_STATE: join(dir, 'pulls.json') };
}

/** The ID of a local image, or undefined. */
export function imageId(ref: string): string | undefined {
  try {
    return docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
  } catch {
    return undefined;
  }
}

/** Removes images by reference pattern (`demo-*`, `127.0.0.1:5000/x`), tagged or pulled by digest; best effort. */
export function removeImages(pattern: string): void {
  try {
    const ids = docker(['images', '--digests', '--filter', `reference=${pattern}`, '--format', '{{.ID}}'])
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) docker(['rmi', '-f', ...new Set(ids)]);
  } catch {
    // best effort
  }
}

/** Removes a temp dir. */
export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The loopback registry of .ci/run. */
export const REGISTRY = '127.0.0.1:5000';

/** Whether something accepts TCP connections on the loopback registry's port. */
function registryAnswers(): boolean {
  return spawnSync('bash', ['-c', `exec 3<>/dev/tcp/${REGISTRY.replace(':', '/')}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds a tiny image labelled `generation` (FROM stack-test/busybox, so no hub is touched),
 * pushes it as `ref` to the loopback registry and removes the local tag. Returns its image ID.
 */
export function pushGeneration(ref: string, generation: string): string {
  const dockerfile = `FROM stack-test/busybox:latest\nLABEL dev.stack.generation=${generation}\nRUN echo ${generation} > /generation\n`;
  execFileSync('docker', ['build', '-q', '-t', ref, '-'], { input: dockerfile, stdio: ['pipe', 'pipe', 'pipe'] });
  const id = imageId(ref)!;
  try {
    execFileSync('docker', ['push', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (ref.startsWith(`${REGISTRY}/`) && !registryAnswers()) {
      throw new Error(
        `precondition: no registry answers on ${REGISTRY}. \`npm test\` starts one (its pretest runs scripts/setup.sh --test); by hand: bash scripts/start-engine.sh (needs docker-registry: apt-get install docker-registry)`,
        { cause: error },
      );
    }
    throw error;
  }
  docker(['rmi', ref]);
  return id;
}
