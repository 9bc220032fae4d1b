/**
 * End-to-end helpers: the built CLI as a child process, the docker CLI for assertions on
 * engine state, cleanup by project label, and `eventually()` instead of sleeps.
 *
 * Engine gate: when no engine answers, e2e suites are skipped locally and FAIL in CI or when
 * STACK_E2E_REQUIRED is set (see test/support/engine.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { describe } from 'vitest';
import { describeWithEngine, uniqueName } from '../support/engine.js';
import { startStack } from '../support/stack-cli.js';
import type { StackRun, StackRunOptions, StartedStack } from '../support/stack-cli.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CLI = join(ROOT, 'bin/stack.cjs');
export const PROJECT_LABEL = 'com.docker.compose.project';

/** `describe` that needs the engine and the built CLI (`npm run build` first). */
export async function describeE2E(): Promise<typeof describe> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    throw new Error('e2e tests run the built CLI: run `npm run build` first');
  return describeWithEngine();
}

/** `e2e-<name>-<random>`: one project per test. */
export function projectName(name: string): string {
  return uniqueName(`e2e-${name}`);
}

/**
 * Project names for the tests of one file, each cleaned up (containers, networks, volumes)
 * after its test, pass or fail: `const project = projects(); const p = project('web');`.
 */
export function projects(): (name: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const p of made.splice(0)) cleanup(p);
  });
  return (name) => {
    const p = projectName(name);
    made.push(p);
    return p;
  };
}

/** The directory of a fixture under fixtures/. */
export function fixture(name: string): string {
  return join(ROOT, 'fixtures', name);
}

/** What a CLI run produced. */
export type CliResult = StackRun;

/** Options of a CLI run (the working directory is required: every e2e test runs in its fixture). */
export type CliOptions = StackRunOptions & { readonly cwd: string };

/** Starts the CLI; the caller may signal it and must await `done`. */
export function startCli(args: readonly string[], options: CliOptions): StartedStack {
  return startStack(args, { ...options, timeoutMs: options.timeoutMs ?? 90_000 });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Runs the docker CLI; returns stdout (trimmed). */
export function docker(args: readonly string[]): string {
  return execFileSync('docker', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** One container of a project, from docker ps. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly state: string;
}

/** Every container of the project (all states), sorted by name. */
export function containers(project: string): ContainerInfo[] {
  const out = docker([
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    `label=${PROJECT_LABEL}=${project}`,
    '--format',
    '{{.ID}}\t{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}',
  ]);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [id = '', name = '', service = '', state = ''] = l.split('\t');
      return { id, name, service, state };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `docker inspect` of one object, parsed. */
export function inspect<T = Record<string, unknown>>(what: string): T {
  return (JSON.parse(docker(['inspect', what])) as T[])[0]!;
}

/** Names of the project's networks / volumes (by label). */
export function networks(project: string): string[] {
  return docker(['network', 'ls', '--filter', `label=${PROJECT_LABEL}=${project}`, '--format', '{{.Name}}'])
    .split('\n')
    .filter(Boolean)
    .sort();
}
export function volumes(project: string): string[] {
  return docker(['volume', 'ls', '--filter', `label=${PROJECT_LABEL}=${project}`, '--format', '{{.Name}}'])
    .split('\n')
    .filter(Boolean)
    .sort();
}

/** Removes everything the project owns (containers, networks, volumes), best effort. */
export function cleanup(project: string): void {
  const ids = docker(['ps', '-aq', '--filter', `label=${PROJECT_LABEL}=${project}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) docker(['rm', '-f', '-v', ...ids]);
  for (const n of networks(project)) {
    try {
      docker(['network', 'rm', n]);
    } catch {
      // in use by a foreign container: leave it
    }
  }
  const vols = volumes(project);
  if (vols.length > 0) docker(['volume', 'rm', '-f', ...vols]);
}

/** Engine events of the project's containers between two unix times (seconds, fractional ok). */
export function containerEvents(
  project: string,
  since: number,
  until: number,
): { action: string; name: string; time: number }[] {
  const out = docker([
    'events',
    '--since',
    since.toFixed(3),
    '--until',
    until.toFixed(3),
    '--filter',
    'type=container',
    '--filter',
    `label=${PROJECT_LABEL}=${project}`,
    '--format',
    '{{json .}}',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> }; timeNano: number })
    .map((e) => ({ action: e.Action, name: e.Actor.Attributes['name'] ?? '', time: e.timeNano / 1e9 }));
}

export { eventually } from '../support/eventually.js';

/** Unix seconds, fractional. */
export function now(): number {
  return Date.now() / 1000;
}
