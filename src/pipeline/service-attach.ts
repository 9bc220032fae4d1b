/**
 * `stack attach SERVICE`: the running container of a service (replica `--index`, else the
 * lowest number, one-off containers last), its exit wait registered first, then the engine's
 * attach stream, as `docker compose attach` (docker attach) does:
 *
 *   list running → wait(not-running) → inspect (running, not paused or restarting) → attach
 *
 * The terminal side (stdin, raw mode, detach keys, signals) belongs to the command.
 */
import type { Duplex } from 'node:stream';
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { Engine } from '../engine/types.js';
import { listProjectContainers, primaryName } from '../engine/observe.js';

/** What to attach to, and how. */
export interface AttachRequest {
  readonly service: string;
  /** Replica number (`--index`); undefined: the first running one. */
  readonly index?: number;
  /** `--no-stdin`: stdin is not attached even when the container keeps it open. */
  readonly noStdin: boolean;
  /** The detach sequence as the engine reads it (`ctrl-p,ctrl-q`). */
  readonly detachKeys: string;
}

/** An attached container. */
export interface AttachSession {
  readonly id: string;
  readonly name: string;
  /** Hijacked connection: output (multiplexed unless tty), stdin when `stdin`. */
  readonly socket: Duplex;
  readonly tty: boolean;
  /** Stdin is attached (the container has `stdin_open` and `--no-stdin` was not given). */
  readonly stdin: boolean;
  /** The container's exit code once it stops (registered before the attach). */
  readonly exitCode: Promise<number>;
  /** Sends a signal to the container (`--sig-proxy`); a failure is ignored (it may have ended). */
  kill(signal: string): void;
  /** Follows the terminal size; a failure is ignored. */
  resize(rows: number, columns: number): void;
}

/** The running container `attach` picks; APPLY_FAILED as Compose words it when there is none. */
export async function findAttachTarget(
  engine: Engine,
  project: string,
  request: Pick<AttachRequest, 'service' | 'index'>,
  signal?: AbortSignal,
): Promise<{ id: string; name: string }> {
  const { service, index } = request;
  const number = (labels: Readonly<Record<string, string>> | null | undefined): number =>
    Number((labels ?? {})[Label.containerNumber] ?? 0);
  const oneOff = (labels: Readonly<Record<string, string>> | null | undefined): boolean =>
    (labels ?? {})[Label.oneoff] === 'True';
  const running = (
    await listProjectContainers(engine, project, { services: [service], running: true, oneoffs: true }, signal)
  )
    .filter((c) => index === undefined || number(c.Labels) === index)
    .sort((a, b) => Number(oneOff(a.Labels)) - Number(oneOff(b.Labels)) || number(a.Labels) - number(b.Labels));
  const first = running[0];
  if (!first)
    throw new StackError(
      'APPLY_FAILED',
      `service "${service}" is not running${index !== undefined ? ` container #${index}` : ''}; ` +
        `start it with \`stack up -d ${service}\``,
    );
  return { id: first.Id, name: primaryName(first.Names) || first.Id };
}

/** Opens the attach; see the file comment. */
export async function attachService(
  engine: Engine,
  project: string,
  request: AttachRequest,
  signal?: AbortSignal,
): Promise<AttachSession> {
  const { id, name } = await findAttachTarget(engine, project, request, signal);
  // Registered before the attach, so an exit right after it is never missed.
  const wait = await engine.waitContainer(id, 'not-running', signal);
  const inspected = await engine.inspectContainer(id, signal);
  const status = inspected.State.Status;
  if (status === 'paused')
    throw new StackError('APPLY_FAILED', `cannot attach to ${name}: it is paused; \`stack unpause\` it first`);
  if (status === 'restarting')
    throw new StackError('APPLY_FAILED', `cannot attach to ${name}: it is restarting; wait until it is running`);
  if (!inspected.State.Running)
    throw new StackError('APPLY_FAILED', `cannot attach to ${name}: it is stopped; start it first`);
  const tty = inspected.Config.Tty === true;
  const stdin = !request.noStdin && inspected.Config['OpenStdin'] === true;
  const socket = await engine.attachContainer(id, {
    stdin,
    detachKeys: request.detachKeys,
    ...(signal ? { signal } : {}),
  });
  return {
    id,
    name,
    socket,
    tty,
    stdin,
    exitCode: wait.exitCode,
    kill: (sig) => void engine.killContainer(id, sig).catch(() => undefined),
    resize: (rows, columns) => void engine.resizeContainer(id, rows, columns).catch(() => undefined),
  };
}
