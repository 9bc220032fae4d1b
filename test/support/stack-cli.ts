/**
 * Running the built CLI (`node bin/stack.cjs`) as a child process, optionally through the
 * engine proxy, and reading a project's state straight from the engine to compare runs.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_SOCKET, rawRequest } from './engine.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const STACK_BIN = join(ROOT, 'bin/stack.cjs');
export const RELIABILITY_FIXTURE = join(ROOT, 'fixtures/reliability/stack.yaml');

/** True when `npm run build` produced the CLI. */
export function cliBuilt(): boolean {
  return existsSync(join(ROOT, 'dist/cli/main.js'));
}

export interface StackRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface StackRunOptions {
  /** Extra environment over process.env (NO_COLOR=1, CI unset, DOCKER_CONTEXT dropped); `undefined` removes a variable. */
  readonly env?: Record<string, string | undefined>;
  /** `unix://...` of a proxy; default: the test engine's socket. */
  readonly dockerHost?: string;
  readonly cwd?: string;
  /** Kill with SIGKILL after this many ms (a hang is a failure, not a stuck suite); default 120 s. */
  readonly timeoutMs?: number;
  /** Written to the CLI's stdin, which is then closed (default: no stdin). */
  readonly stdin?: string;
  /** Stdin stays an open pipe the test writes to (`child.stdin`); ignored when `stdin` is given. */
  readonly openStdin?: boolean;
  /** Receives the child as soon as it is spawned (fault callbacks kill it). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Run as this user and group (the suite runs as root: another user's run of stack). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** A started CLI: signal `child` as needed, await `done`; `output()` is stdout + stderr so far. */
export interface StartedStack {
  readonly child: ChildProcess;
  readonly done: Promise<StackRun>;
  output(): string;
}

/** Starts `node bin/stack.cjs ...args` (the one CLI spawner of the suites). `done` never rejects on a non-zero exit. */
export function startStack(args: readonly string[], options: StackRunOptions = {}): StartedStack {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    CI: '',
    DOCKER_HOST: `unix://${ENGINE_SOCKET}`,
    ...options.env,
  };
  delete env['DOCKER_CONTEXT'];
  if (options.dockerHost) env['DOCKER_HOST'] = options.dockerHost;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const t0 = Date.now();
  const child = spawn(process.execPath, [STACK_BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: [options.stdin === undefined && !options.openStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => {
    stderr += `\n[test harness] killed after ${timeoutMs} ms\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<StackRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  options.onSpawn?.(child);
  return { child, done, output: () => stdout + stderr };
}

/** Runs `node bin/stack.cjs ...args` to completion and collects its output. */
export function runStack(args: readonly string[], options: StackRunOptions = {}): Promise<StackRun> {
  return startStack(args, options).done;
}

/** `-f <fixture> -p <project>` followed by the command. */
export function stackArgs(project: string, command: readonly string[], file = RELIABILITY_FIXTURE): string[] {
  return ['-f', file, '-p', project, ...command];
}

/** Formats a run for assertion messages. */
export function describeRun(run: StackRun): string {
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''} after ${run.ms} ms\n--- stdout\n${run.stdout.slice(-3000)}\n--- stderr\n${run.stderr.slice(-3000)}`;
}

interface EngineContainer {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
  Mounts: { Type: string; Name?: string; Destination: string }[];
  NetworkSettings: { Networks: Record<string, unknown> };
}

/** A project's state as plain, project-name-independent data, for "equals a fresh up". */
export interface ProjectState {
  /** One entry per container, sorted: name (project replaced by `P`), service, state, networks, volumes. */
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
  /** Services with more than one container. */
  readonly duplicates: readonly string[];
  /** Containers whose name is not `<project>-<service>-<n>` (temp-named leftovers of a recreate). */
  readonly leftovers: readonly string[];
  readonly ids: Readonly<Record<string, string>>;
}

const projectFilter = (project: string) =>
  encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));

/** Reads the project's containers, networks and volumes straight from the engine. */
export async function readProjectState(project: string): Promise<ProjectState> {
  const f = projectFilter(project);
  const containers =
    ((await rawRequest({ path: `/containers/json?all=1&filters=${f}` })).json as EngineContainer[]) ?? [];
  const networks = ((await rawRequest({ path: `/networks?filters=${f}` })).json as { Name: string }[]) ?? [];
  const volumes =
    ((await rawRequest({ path: `/volumes?filters=${f}` })).json as { Volumes: { Name: string }[] | null })?.Volumes ??
    [];
  const strip = (name: string) => (name.startsWith(project) ? `P${name.slice(project.length)}` : name);
  const perService = new Map<string, number>();
  const leftovers: string[] = [];
  const ids: Record<string, string> = {};
  const rows = containers.map((c) => {
    const name = (c.Names[0] ?? '').replace(/^\//, '');
    const service = c.Labels['com.docker.compose.service'] ?? '?';
    perService.set(service, (perService.get(service) ?? 0) + 1);
    // Canonical names only; the `dev.stack.replaces` label stays on a finished replacement
    // (labels are immutable), so the name is what tells a temp-named leftover.
    if (!new RegExp(`^${project}-${service}-\\d+$`).test(name)) leftovers.push(name);
    ids[name] = c.Id;
    const nets = Object.keys(c.NetworkSettings.Networks).map(strip).sort().join(',');
    const vols = c.Mounts.map((m) =>
      m.Type === 'volume' && m.Name && m.Name.startsWith(project)
        ? `${strip(m.Name)}:${m.Destination}`
        : `${m.Type}:${m.Destination}`,
    )
      .sort()
      .join(',');
    return `${strip(name)} service=${service} state=${c.State} networks=${nets} mounts=${vols}`;
  });
  return {
    containers: rows.sort(),
    networks: networks.map((n) => strip(n.Name)).sort(),
    volumes: volumes.map((v) => strip(v.Name)).sort(),
    duplicates: [...perService].filter(([, count]) => count > 1).map(([s]) => s),
    leftovers,
    ids,
  };
}

/** Removes the project's containers (with anonymous volumes), networks and volumes directly. */
export async function removeProjectDirect(project: string): Promise<void> {
  const f = projectFilter(project);
  const containers =
    ((await rawRequest({ path: `/containers/json?all=1&filters=${f}` })).json as EngineContainer[]) ?? [];
  await Promise.all(
    containers.map((c) =>
      rawRequest({ method: 'DELETE', path: `/containers/${c.Id}?force=1&v=1` }).catch(() => undefined),
    ),
  );
  const networks = ((await rawRequest({ path: `/networks?filters=${f}` })).json as { Id: string }[]) ?? [];
  await Promise.all(
    networks.map((n) => rawRequest({ method: 'DELETE', path: `/networks/${n.Id}` }).catch(() => undefined)),
  );
  const volumes =
    ((await rawRequest({ path: `/volumes?filters=${f}` })).json as { Volumes: { Name: string }[] | null })?.Volumes ??
    [];
  await Promise.all(
    volumes.map((v) =>
      rawRequest({ method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}?force=1` }).catch(() => undefined),
    ),
  );
  // The engine-side lease a killed run left (src/pipeline/engine-lease.ts), and its generations.
  const leaseFilter = encodeURIComponent(JSON.stringify({ name: [`stack-lock-${project}`] }));
  const leases =
    ((await rawRequest({ path: `/volumes?filters=${leaseFilter}` })).json as { Volumes: { Name: string }[] | null })
      ?.Volumes ?? [];
  const ours = leases.filter((v) => v.Name === `stack-lock-${project}` || v.Name.startsWith(`stack-lock-${project}.`));
  await Promise.all(
    ours.map((v) =>
      rawRequest({ method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}` }).catch(() => undefined),
    ),
  );
}

/** Removes every project whose name starts with `prefix` (cleanup after a crashed suite). */
export async function removeProjectsWithPrefix(prefix: string): Promise<void> {
  const containers =
    ((
      await rawRequest({
        path: `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project'] }))}`,
      })
    ).json as EngineContainer[]) ?? [];
  const projects = new Set(
    containers.map((c) => c.Labels['com.docker.compose.project'] ?? '').filter((p) => p.startsWith(prefix)),
  );
  for (const project of projects) await removeProjectDirect(project);
}

/**
 * Runs a throwaway container on `volume` with `sh -c script` and returns its output
 * (sentinel writes and reads). Straight on the Engine API, not through stack.
 */
export async function runOnVolume(
  volume: string,
  script: string,
  image = 'stack-test/busybox:latest',
): Promise<string> {
  const created = await rawRequest({
    method: 'POST',
    path: '/containers/create',
    body: {
      Image: image,
      Cmd: ['sh', '-c', script],
      Tty: true,
      Labels: { 'dev.stack.test': 'volume-probe' },
      HostConfig: { Binds: [`${volume}:/data`], NetworkMode: 'none' },
    },
  });
  if (created.status !== 201) throw new Error(`probe create: ${created.status} ${created.text}`);
  const id = (created.json as { Id: string }).Id;
  try {
    await rawRequest({ method: 'POST', path: `/containers/${id}/start` });
    await rawRequest({ method: 'POST', path: `/containers/${id}/wait` });
    const logs = await rawRequest({ path: `/containers/${id}/logs?stdout=1&stderr=1` });
    return logs.text.replace(/\r/g, '');
  } finally {
    await rawRequest({ method: 'DELETE', path: `/containers/${id}?force=1` });
  }
}

/** A free-ish port for a published port: random in 20000-29999, fine for sequential tests. */
export function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 10000);
}
