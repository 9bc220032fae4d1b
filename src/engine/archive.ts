/**
 * The named container calls watch-mode sync needs: upload a tar into a container and run a
 * command to completion (exec, for deletes and `sync+exec`). Each engine call is an Engine
 * method, so it gets the client's retry and deadline policy.
 */
import type { Duplex } from 'node:stream';
import type { Engine } from './types.js';
import { demuxFrames } from './streams.js';

/** Extracts `tar` at `path` inside the container (parents of entries are created). */
export function putArchive(
  engine: Engine,
  containerId: string,
  tar: Buffer,
  path = '/',
  signal?: AbortSignal,
): Promise<void> {
  return engine.putArchive(containerId, tar, path, signal);
}

/** Options of `execInContainer`, as in develop.watch `exec`. */
export interface ExecOptions {
  readonly user?: string;
  readonly privileged?: boolean;
  readonly workingDir?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Each piece of output as it arrives (hook output is streamed, not only kept). */
  readonly onOutput?: (stream: 'stdout' | 'stderr', data: Buffer) => void;
}

/** What a finished exec left: its exit code and combined output (truncated to 64 KiB). */
export interface ExecResult {
  readonly exitCode: number;
  readonly output: string;
}

async function drain(stream: Duplex, onOutput?: ExecOptions['onOutput']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const frame of demuxFrames(stream)) {
    onOutput?.(frame.stream, frame.data);
    if (size < 65_536) chunks.push(frame.data);
    size += frame.data.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 65_536);
}

/** Runs `command` in the container, waits for it to end and returns its exit code and output. */
export async function execInContainer(
  engine: Engine,
  containerId: string,
  command: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
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
  const stream = await engine.startExec(id, {
    tty: false,
    stdin: false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let output: string;
  try {
    output = await drain(stream, options.onOutput);
  } finally {
    stream.destroy();
  }
  const info = await engine.inspectExec(id, options.signal);
  return { exitCode: info.ExitCode ?? -1, output };
}
