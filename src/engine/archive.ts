/**
 * Engine calls that watch-mode sync needs beyond the Engine interface: upload a tar into a
 * container (PUT /containers/{id}/archive), run a command to completion (exec, for deletes
 * and `sync+exec`), and list a service's running replicas. Reuses the connection of an
 * `Engine` from `connectEngine` (its modem and negotiated API version), so no second
 * dockerode client is built.
 */
import type { Duplex } from 'node:stream';
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { Engine } from './types.js';
import { toEngineError } from './errors.js';
import { demuxFrames } from './streams.js';
import { byCodePoint } from '../order.js';

interface Modem {
  dial(options: Record<string, unknown>, callback: (error: unknown, data: unknown) => void): void;
}

async function modemOf(engine: Engine): Promise<Modem> {
  // The Engine interface has no raw body upload; engine.ts hands out its modem through
  // `transport()`. Fail loudly if that shape ever changes.
  const transport = (engine as unknown as { transport?: () => Promise<Modem> }).transport;
  if (typeof transport !== 'function') throw new StackError('INTERNAL', 'the engine connection does not expose its transport; cannot upload files');
  return transport.call(engine);
}

/** Extracts `tar` at `path` inside the container (parents of entries are created). */
export async function putArchive(engine: Engine, containerId: string, tar: Buffer, path = '/', signal?: AbortSignal): Promise<void> {
  const modem = await modemOf(engine);
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: `/containers/${encodeURIComponent(containerId)}/archive?`,
        method: 'PUT',
        options: { _query: { path } },
        file: tar,
        headers: { 'Content-Type': 'application/x-tar' },
        statusCodes: { 200: true, 400: 'bad parameter', 403: 'permission denied (read-only path?)', 404: 'no such container or path', 500: 'server error' },
        isStream: false,
        allowEmpty: true,
        ...(signal ? { abortSignal: signal } : {}),
      },
      (error) => (error ? reject(toEngineError(error, engine.endpoint, `container ${containerId}`)) : resolve()),
    );
  });
}

/** Options of `execInContainer`, as in develop.watch `exec`. */
export interface ExecOptions {
  readonly user?: string;
  readonly privileged?: boolean;
  readonly workingDir?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** What a finished exec left: its exit code and combined output (truncated to 64 KiB). */
export interface ExecResult {
  readonly exitCode: number;
  readonly output: string;
}

async function drain(stream: Duplex): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const frame of demuxFrames(stream)) {
    if (size < 65_536) chunks.push(frame.data);
    size += frame.data.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 65_536);
}

/** Runs `command` in the container, waits for it to end and returns its exit code and output. */
export async function execInContainer(engine: Engine, containerId: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const env = Object.entries(options.environment ?? {}).map(([k, v]) => `${k}=${v}`);
  const id = await engine.createExec(
    containerId,
    {
      Cmd: [...command],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(options.user !== undefined ? { User: options.user } : {}),
      ...(options.privileged !== undefined ? { Privileged: options.privileged } : {}),
      ...(options.workingDir !== undefined ? { WorkingDir: options.workingDir } : {}),
      ...(env.length > 0 ? { Env: env } : {}),
    },
    options.signal,
  );
  const stream = await engine.startExec(id, { tty: false, stdin: false, ...(options.signal ? { signal: options.signal } : {}) });
  let output: string;
  try {
    output = await drain(stream);
  } finally {
    stream.destroy();
  }
  const info = await engine.inspectExec(id, options.signal);
  return { exitCode: info.ExitCode ?? -1, output };
}

/** A running replica of a service. */
export interface ReplicaRef {
  readonly id: string;
  readonly name: string;
}

/** The running containers of one service of the project (one-off containers excluded), by name. */
export async function listRunningReplicas(engine: Engine, project: string, service: string, signal?: AbortSignal): Promise<ReplicaRef[]> {
  const containers = await engine.listContainers(
    { all: false, filters: { label: [`${Label.project}=${project}`, `${Label.service}=${service}`] } },
    signal,
  );
  return containers
    .filter((c) => c.Labels?.[Label.oneoff] !== 'True')
    .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, '') }))
    .sort((a, b) => byCodePoint(a.name, b.name));
}
