/**
 * `stack exec`: picks the running replica of a service and opens an exec in it. The terminal
 * side (raw mode, stdin, resizes, printing) stays with the command; this holds the decisions
 * (which container, which exec body) and the engine calls.
 */
import type { Duplex } from 'node:stream';
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { Engine } from '../engine/types.js';
import { listProjectContainers } from '../engine/observe.js';

/** What to run, and how (the `exec` flags, resolved). */
export interface ExecRequest {
  readonly service: string;
  /** Replica number (`--index`), 1-based. */
  readonly index: number;
  readonly command: readonly string[];
  readonly tty: boolean;
  /** Keep stdin open and attached. */
  readonly interactive: boolean;
  /** Run in the background: nothing is attached. */
  readonly detach: boolean;
  /** `KEY=VALUE` entries. */
  readonly env: readonly string[];
  readonly user?: string;
  readonly workdir?: string;
  readonly privileged: boolean;
}

/** A started exec: its connection, and what can be asked of it afterwards. */
export interface ExecSession {
  /** Hijacked connection: write stdin, read output (multiplexed unless tty). */
  readonly socket: Duplex;
  /** Follows the terminal size; a failure is ignored (the exec may have ended). */
  resize(rows: number, columns: number): void;
  /** The command's exit code, once it ended (0 when the engine does not know). */
  exitCode(): Promise<number>;
}

/** The create body of an exec for `request`. */
export function execBody(request: ExecRequest): Record<string, unknown> {
  return {
    AttachStdin: request.interactive && !request.detach,
    AttachStdout: !request.detach,
    AttachStderr: !request.detach,
    Tty: request.tty,
    Cmd: [...request.command],
    Env: [...request.env],
    Privileged: request.privileged,
    ...(request.user ? { User: request.user } : {}),
    ...(request.workdir ? { WorkingDir: request.workdir } : {}),
  };
}

/** The ID of the running replica `index` of `service`; APPLY_FAILED naming how to start it. */
export async function findRunningReplica(
  engine: Engine,
  project: string,
  service: string,
  index: number,
  signal?: AbortSignal,
): Promise<string> {
  const containers = await listProjectContainers(engine, project, { services: [service] }, signal);
  const container = containers.find(
    (c) => c.State === 'running' && (c.Labels ?? {})[Label.containerNumber] === String(index),
  );
  if (!container)
    throw new StackError(
      'APPLY_FAILED',
      `service "${service}" has no running container #${index}; start it with \`stack up -d ${service}\``,
    );
  return container.Id;
}

/** Creates and starts the exec in the service's replica. */
export async function openExec(
  engine: Engine,
  project: string,
  request: ExecRequest,
  signal?: AbortSignal,
): Promise<ExecSession> {
  const container = await findRunningReplica(engine, project, request.service, request.index, signal);
  const id = await engine.createExec(container, execBody(request), signal);
  const socket = await engine.startExec(id, { tty: request.tty, stdin: request.interactive && !request.detach });
  return {
    socket,
    resize: (rows, columns) => void engine.resizeExec(id, rows, columns).catch(() => undefined),
    exitCode: async () => (await engine.inspectExec(id)).ExitCode ?? 0,
  };
}
