/**
 * Engine errors, classified by what happened (connection code, HTTP status), never by the
 * text of a message, plus API version negotiation. No dockerode import: plain data in, StackError out.
 */
import { StackError, diagnostic } from '../errors.js';

/** The newest Engine API version stack has been tested against. */
export const TESTED_MAX_API = '1.47';
/** The oldest Engine API version stack supports (Docker 20.10). */
export const MIN_API = '1.41';

/** An engine call the engine refused: ENGINE_ERROR with the HTTP status and the engine's message. */
export class EngineCallError extends StackError {
  readonly statusCode: number;
  /** The engine's own message (`json.message`), without our prefix. */
  readonly engineMessage: string;

  constructor(statusCode: number, what: string, engineMessage: string, cause?: unknown) {
    super('ENGINE_ERROR', `${what}: ${engineMessage || `HTTP ${statusCode}`}`, { cause });
    this.name = 'EngineCallError';
    this.statusCode = statusCode;
    this.engineMessage = engineMessage;
  }
}

function compareVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

/**
 * A well-formed server version no newer than TESTED_MAX_API: we then speak the server's own
 * version, which it cannot refuse, so its minimum need not be asked.
 */
export function isTestedApiVersion(serverMax: string | undefined): boolean {
  return serverMax !== undefined && /^\d+\.\d+$/.test(serverMax) && compareVersions(serverMax, TESTED_MAX_API) <= 0;
}

/** min(TESTED_MAX_API, server max), or undefined when the server is older than MIN_API. */
export function negotiateApiVersion(serverMax: string | undefined, serverMin?: string): string | undefined {
  if (serverMax === undefined || !/^\d+\.\d+$/.test(serverMax)) return MIN_API;
  if (compareVersions(serverMax, MIN_API) < 0) return undefined;
  const chosen = compareVersions(serverMax, TESTED_MAX_API) < 0 ? serverMax : TESTED_MAX_API;
  // A newer engine may refuse old versions (Engine 29 needs >= 1.44): never go below its minimum.
  if (serverMin && /^\d+\.\d+$/.test(serverMin) && compareVersions(chosen, serverMin) < 0) return serverMin;
  return chosen;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const TRANSIENT = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ENOENT', 'ETIMEDOUT']);

/** The engine's message in a refusal's body: its JSON `message`, or the text it sent instead. */
function engineMessageOf(json: unknown): string {
  if (typeof json === 'string') return json.trim();
  const message = (json as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

/**
 * A 503 that is the engine's settled answer, not a passing state: a swarm call (nodes,
 * services, ...) sent to an engine that is no swarm manager (a worker, or no swarm at all).
 * Asking again cannot change it, so the refusal is reported at once.
 */
const NOT_A_MANAGER = /^This node is not a swarm manager\b/;

/**
 * A failure worth retrying for a read: the engine answered 5xx, or the connection was reset
 * or refused (dockerd restarting). Never an abort, never a 4xx (the engine meant it), never
 * the 503 of a swarm call to a non-manager (NOT_A_MANAGER).
 */
export function isTransientFailure(error: unknown): boolean {
  const e = error as
    { name?: string; code?: string; statusCode?: number; message?: string; json?: unknown } | undefined;
  if (!e || e.name === 'AbortError' || e.code === 'ABORT_ERR') return false;
  if (e.statusCode === 503 && NOT_A_MANAGER.test(engineMessageOf(e.json))) return false;
  if (typeof e.statusCode === 'number') return e.statusCode >= 500;
  if (e.code !== undefined) return TRANSIENT.has(e.code);
  return /socket hang up/i.test(e.message ?? '');
}

/** Turns whatever the modem rejected with into a StackError (abort errors pass through). */
export function toEngineError(error: unknown, endpoint: string, what: string): unknown {
  if (error instanceof StackError) return error;
  const e = error as { name?: string; code?: string; statusCode?: number; json?: unknown; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return error;
  if (typeof e?.statusCode === 'number') return new EngineCallError(e.statusCode, what, engineMessageOf(e.json), error);
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    const message = `permission denied while connecting to the Docker engine at ${endpoint}`;
    return new StackError('ENGINE_PERMISSION', message, {
      cause: error,
      diagnostics: [
        diagnostic(
          'ENGINE_PERMISSION',
          message,
          undefined,
          'add your user to the "docker" group (sudo usermod -aG docker $USER, then log in again), ' +
            'or use a rootless engine',
        ),
      ],
    });
  }
  if (e?.code !== undefined && UNREACHABLE.has(e.code)) {
    const message = `cannot connect to the Docker engine at ${endpoint}: is dockerd running?`;
    return new StackError('ENGINE_UNREACHABLE', message, {
      cause: error,
      diagnostics: [
        diagnostic(
          'ENGINE_UNREACHABLE',
          message,
          undefined,
          'start the engine (e.g. sudo systemctl start docker) or point DOCKER_HOST at it',
        ),
      ],
    });
  }
  return new StackError('ENGINE_ERROR', `${what}: ${e?.message ?? String(error)}`, { cause: error });
}

/**
 * A write whose outcome is unknown: the engine did not answer within the write deadline, or
 * the connection broke after the request was sent. The engine may have acted. Never retried:
 * the caller observes again and plans from what is really there.
 */
export class AmbiguousWriteError extends StackError {
  constructor(what: string, detail: string, cause?: unknown) {
    super(
      'ENGINE_WRITE_AMBIGUOUS',
      `${what}: ${detail}; the engine may have acted (stack observes again, never retries blindly)`,
      { cause },
    );
    this.name = 'AmbiguousWriteError';
  }
}

/** Connection failures that, on a write already sent, leave its outcome unknown. */
const BROKEN_AFTER_SEND = new Set(['ECONNRESET', 'EPIPE']);

/** Whether a raw failure of a write (before toEngineError) is a connection broken after sending. */
export function isBrokenAfterSend(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return (
    e !== undefined &&
    ((e.code !== undefined && BROKEN_AFTER_SEND.has(e.code)) || /socket hang up/i.test(e.message ?? ''))
  );
}

/** The HTTP status of an engine refusal, if that is what `error` is. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof EngineCallError ? error.statusCode : undefined;
}
