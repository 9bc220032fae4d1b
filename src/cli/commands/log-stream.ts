/**
 * Service-prefixed log lines (`web-1  | ...`), one colour per service, for `logs` and attached
 * `up`. Plain lines, never listr2: log streaming is not progress.
 */
import { StackError } from '../../errors.js';
import { Label } from '../../labels.js';
import type { Engine, EngineContainer } from '../../engine/types.js';
import { containerTty, readLogLines } from '../../engine/logs.js';
import type { CliContext } from '../context.js';
import type { AttachedContainer, AttachedExit } from '../../pipeline/attach.js';
import { primaryName } from '../../engine/observe.js';
import { parseDurationNs } from '../../duration.js';

/** A container whose output we print. */
export interface LogSource {
  readonly id: string;
  readonly name: string;
  /** The prefix: `<service>-<n>` or the container name. */
  readonly prefix: string;
  readonly tty: boolean;
}

/** Options of `streamLogs`. */
export interface StreamLogsOptions {
  readonly follow: boolean;
  readonly tail?: number | 'all';
  /** Unix seconds (see `parseLogTime`). */
  readonly since?: number;
  /** Only lines before this time, unix seconds (`--until`). */
  readonly until?: number;
  readonly timestamps: boolean;
  readonly signal?: AbortSignal;
  /** Print without prefixes (`--no-log-prefix`). */
  readonly noPrefix?: boolean;
  /** false: monochrome (`--no-color`). */
  readonly color?: boolean;
}

/** A log stream that ended with an engine error (not an interruption). */
export interface LogFailure {
  readonly source: LogSource;
  readonly error: Error;
}

/** `2020-01-01`, `2020-01-01T10:00`, `2020-01-01T10:00:00.5Z`, `...+02:00`: local time without a zone, as Docker. */
function parseTimestamp(value: string): number | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/.exec(
      value,
    );
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const ms = Number((frac + '000').slice(0, 3));
  let time: number;
  if (zone === undefined) {
    time = new Date(...parts, ms).getTime();
  } else {
    time = Date.UTC(...parts, ms);
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    }
  }
  // Reject out-of-range fields (2020-13-01, 2020-02-30, 25:00) instead of letting Date roll them over.
  const check = new Date(zone === undefined ? time : Date.UTC(...parts, ms));
  const fields =
    zone === undefined
      ? [
          check.getFullYear(),
          check.getMonth(),
          check.getDate(),
          check.getHours(),
          check.getMinutes(),
          check.getSeconds(),
        ]
      : [
          check.getUTCFullYear(),
          check.getUTCMonth(),
          check.getUTCDate(),
          check.getUTCHours(),
          check.getUTCMinutes(),
          check.getUTCSeconds(),
        ];
  if (fields.some((f, i) => f !== parts[i])) return undefined;
  return time;
}

/**
 * `--since` values as the engine wants them: unix seconds. Accepts a Go duration
 * relative to `nowMs` (`10m`, `1h30m`), an RFC 3339 timestamp or a date (`2020-01-01`), or unix
 * seconds (`1700000000`, `1700000000.5`). Anything else is a USAGE error.
 */
export function parseLogTime(value: string, flag: string, nowMs: number = Date.now()): number {
  const trimmed = value.trim();
  let ms: number | undefined;
  if (/^\d+(?:\.\d{1,9})?$/.test(trimmed)) return Number(trimmed);
  const ns = parseDurationNs(trimmed);
  ms = ns === undefined ? undefined : ns / 1e6;
  if (ms !== undefined) ms = nowMs - ms;
  else ms = parseTimestamp(trimmed);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new StackError(
      'USAGE',
      `${flag} expects a duration (10m, 1h30m), an RFC 3339 timestamp or date ` +
        `(2020-01-01T00:00:00Z, 2020-01-01) or unix seconds, got "${value}"`,
    );
  }
  return Math.max(0, ms / 1000);
}

const COLOURS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

/** The log prefix of a listed container: `<service>-<number>`, else its name. */
export function prefixOf(c: EngineContainer): string {
  const labels = c.Labels ?? {};
  const service = labels[Label.service];
  const number = labels[Label.containerNumber];
  if (service && number) return `${service}-${number}`;
  return primaryName(c.Names) || c.Id.slice(0, 12);
}

/** Paints a service's prefix in its colour (stable per service within one printer); `color: false` never does. */
function painter(ctx: CliContext, color?: boolean): (service: string, text: string) => string {
  const services: string[] = [];
  return (service, text) => {
    // Log lines go to stdout: its own colour decision (`--ansi always` colours them even piped).
    if (color === false || ctx.stdoutColor !== true) return text;
    if (!services.includes(service)) services.push(service);
    const colour = COLOURS[services.indexOf(service) % COLOURS.length] ?? '36';
    return `\u001b[${colour}m${text}\u001b[0m`;
  };
}

/**
 * Streams one source's output until it ends (or the signal aborts); resolves to the engine
 * error that ended it, if any.
 */
async function streamOne(
  ctx: CliContext,
  engine: Engine,
  source: LogSource,
  head: string,
  options: StreamLogsOptions,
): Promise<LogFailure | undefined> {
  let failure: LogFailure | undefined;
  try {
    const lines = readLogLines(engine, source.id, {
      follow: options.follow,
      timestamps: options.timestamps,
      tty: source.tty,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const { line } of lines) ctx.stdout.write(`${head}${line}\n`);
  } catch (error) {
    if (!options.signal?.aborted)
      failure = { source, error: error instanceof Error ? error : new Error(String(error)) };
  }
  return failure;
}

/** Prints a failed stream the way attached `up` reports it (the run goes on). */
function reportFailure(ctx: CliContext, failure: LogFailure | undefined): void {
  if (failure) ctx.stderr.write(`${failure.source.prefix}: logs ended: ${failure.error.message}\n`);
}

/** The error `logs` exits with when a stream ended with an engine error: names each container. */
export function logFailuresError(failures: readonly LogFailure[]): StackError {
  const lines = failures.map((f) => `  ${f.source.name || f.source.prefix} (${f.source.prefix}): ${f.error.message}`);
  return new StackError(
    'ENGINE_ERROR',
    `reading logs failed for ${failures.length === 1 ? 'a container' : `${failures.length} containers`}:\n` +
      lines.join('\n'),
  );
}

const serviceOf = (prefix: string): string => prefix.replace(/-\d+$/, '');

/**
 * Streams the output of every source until each ends (or the signal aborts). Resolves to the
 * streams that ended with an engine error; the caller decides whether that fails the run.
 */
export async function streamLogs(
  ctx: CliContext,
  engine: Engine,
  sources: readonly LogSource[],
  options: StreamLogsOptions,
): Promise<LogFailure[]> {
  const width = Math.max(0, ...sources.map((s) => s.prefix.length));
  const paint = painter(ctx, options.color);
  for (const service of [...new Set(sources.map((s) => serviceOf(s.prefix)))].sort()) paint(service, '');
  const results = await Promise.all(
    sources.map((source) =>
      streamOne(
        ctx,
        engine,
        source,
        options.noPrefix ? '' : `${paint(serviceOf(source.prefix), source.prefix.padEnd(width))}  | `,
        options,
      ),
    ),
  );
  return results.filter((f): f is LogFailure => f !== undefined);
}

/** Log sources for listed containers; a TTY container's output is not multiplexed. */
export async function sourcesOf(engine: Engine, containers: readonly EngineContainer[]): Promise<LogSource[]> {
  return Promise.all(
    containers.map(async (c) => {
      let tty = false;
      try {
        tty = await containerTty(engine, c.Id);
      } catch {
        // gone: its stream will say so
      }
      return { id: c.Id, name: primaryName(c.Names), prefix: prefixOf(c), tty };
    }),
  );
}

/** Where a container's first stream begins (`logs --since/--tail`, attached `up`'s start). */
export interface FollowFrom {
  /** Unix seconds. */
  readonly since?: number;
  readonly tail?: number | 'all';
}

/** Follows containers' logs as they (re)start: one stream per running container, prefixed and painted. */
export interface LogFollower {
  /**
   * Follows `source`: its first stream from `from` (absent: from its beginning), every later
   * one (a restart) from just after the last line printed, so no run's output is lost or shown
   * twice however fast the container restarts.
   */
  follow(source: LogSource, from?: FollowFrom): void;
  /**
   * A status line in the log stream (`web-1 exited with code 5`), in the service's colour.
   * For a followed container it comes after the run's output: it waits for the first line
   * written after `timeNano` (the event's time), or the end of the last stream (one is opened
   * from the last line printed when none is).
   */
  status(source: Pick<LogSource, 'prefix' | 'id'>, text: string, timeNano?: number): void;
  /** Resolves once every stream has ended. */
  settled(): Promise<void>;
}

/**
 * The `onStart` of `superviseAttached` for a follower: each container (re)started is followed,
 * from `since` when given (the containers found at the start), else from its beginning or where
 * its last stream stopped. A container gone already is skipped.
 */
export function followStarts(
  engine: Engine,
  follower: LogFollower,
): (container: AttachedContainer, since?: number) => void {
  return (c, since) =>
    void containerTty(engine, c.id).then(
      (tty) => follower.follow({ id: c.id, name: c.name, prefix: c.prefix, tty }, since === undefined ? {} : { since }),
      () => undefined,
    );
}

/** `<container> exited with code N [(restarting)]`, as Compose words an exit in the log stream. */
export function reportExit(follower: LogFollower, exit: AttachedExit): void {
  follower.status(exit, `exited with code ${exit.exitCode}${exit.restarting ? ' (restarting)' : ''}`, exit.timeNano);
}

/**
 * `2026-01-02T03:04:05.123456789Z` (the engine's fixed-width log timestamp) as the engine's
 * `since` parameter, `seconds.nanoseconds`; undefined when it is not one.
 */
export function sinceOfTimestamp(timestamp: string): string | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]!}${match[3]!}`) / 1000;
  return Number.isFinite(seconds) ? `${seconds}.${(match[2] ?? '').padEnd(9, '0')}` : undefined;
}

/** What the follower knows of one container. */
interface Followed {
  /** The container, as last followed (a status line may read its last lines again). */
  source: LogSource;
  active: boolean;
  /** Started again while its stream was still draining: follow again once it ends. */
  again: boolean;
  /** The engine timestamp of the last line printed. */
  cursor?: string;
  /** Where a later stream begins when no line was printed yet (unix seconds). */
  floor?: number;
  /**
   * Status lines waiting for a later line or the current stream's end (`stamp`: the event's
   * time as a log timestamp).
   */
  statuses: { readonly line: string; readonly stamp?: string }[];
}

/** Nanoseconds since the epoch as the engine's fixed-width log timestamp (to about a microsecond). */
function stampOfNs(ns: number): string {
  const ms = Math.floor(ns / 1e6);
  const rest = String(Math.max(0, Math.round(ns - ms * 1e6)))
    .padStart(6, '0')
    .slice(0, 6);
  return `${new Date(ms).toISOString().slice(0, -1)}${rest}Z`;
}

/**
 * A follower for attached `up`, `up --watch` and `logs -f`: `--no-log-prefix`, `--timestamps`,
 * `--no-color` and `--until` (every stream, later ones too) as Compose. Lines are read with
 * the engine's timestamps, which give each container a cursor: a stream opened after a
 * restart begins at the last line printed and skips it.
 */
export function createLogFollower(
  ctx: CliContext,
  engine: Engine,
  options: {
    width: number;
    noPrefix?: boolean;
    timestamps?: boolean;
    color?: boolean;
    until?: number;
    signal: AbortSignal;
  },
): LogFollower {
  const paint = painter(ctx, options.color);
  const known = new Map<string, Followed>();
  const streams: Promise<void>[] = [];
  const head = (prefix: string): string =>
    options.noPrefix ? '' : `${paint(serviceOf(prefix), prefix.padEnd(options.width))}  | `;
  const pump = async (source: LogSource, state: Followed, from: FollowFrom | undefined): Promise<void> => {
    const since = state.cursor !== undefined ? sinceOfTimestamp(state.cursor) : (from?.since ?? state.floor);
    const prefix = head(source.prefix);
    try {
      const lines = readLogLines(engine, source.id, {
        follow: true,
        timestamps: true,
        tty: source.tty,
        signal: options.signal,
        ...(since !== undefined ? { since } : {}),
        ...(options.until !== undefined ? { until: options.until } : {}),
        ...(from?.tail !== undefined ? { tail: from.tail } : {}),
      });
      for await (const { line } of lines) {
        const space = line.indexOf(' ');
        const stamp = space === -1 ? '' : line.slice(0, space);
        if (stamp !== '' && state.cursor !== undefined && stamp <= state.cursor) continue;
        if (stamp !== '') state.cursor = stamp;
        while (state.statuses[0]?.stamp !== undefined && state.statuses[0].stamp < stamp)
          ctx.stdout.write(state.statuses.shift()!.line);
        ctx.stdout.write(`${prefix}${options.timestamps || stamp === '' ? line : line.slice(space + 1)}\n`);
      }
    } catch (error) {
      if (!options.signal.aborted)
        reportFailure(ctx, { source, error: error instanceof Error ? error : new Error(String(error)) });
    }
  };
  // One stream at a time per container. Status lines wait in `statuses` until a later line is
  // printed or no stream is left to come: a stream that ends while the container was started
  // again hands them to the next one, which reads that run's output first.
  const open = (state: Followed, from: FollowFrom | undefined): void => {
    state.active = true;
    streams.push(
      pump(state.source, state, from).then(() => {
        state.active = false;
        if (state.again && !options.signal.aborted) {
          state.again = false;
          open(state, undefined);
          return;
        }
        state.again = false;
        for (const { line } of state.statuses.splice(0)) ctx.stdout.write(line);
      }),
    );
  };
  const follower: LogFollower = {
    follow(source, from) {
      if (options.signal.aborted) return;
      let state = known.get(source.id);
      if (state?.active) {
        state.again = true;
        return;
      }
      const first = state === undefined;
      if (!state) {
        const tailOnly = from?.since === undefined && from?.tail !== undefined && from.tail !== 'all';
        state = { source, active: false, again: false, statuses: [] };
        if (tailOnly) state.floor = Date.now() / 1000;
        if (from?.since !== undefined) state.floor = from.since;
        known.set(source.id, state);
      }
      state.source = source;
      open(state, first ? from : undefined);
    },
    status(source, text, timeNano) {
      const line = `${paint(serviceOf(source.prefix), `${source.prefix} ${text}`)}\n`;
      const state = known.get(source.id);
      if (!state || (!state.active && options.signal.aborted)) {
        ctx.stdout.write(line);
        return;
      }
      state.statuses.push({ line, ...(timeNano ? { stamp: stampOfNs(timeNano) } : {}) });
      // No stream open: the run that exited may have printed after the last one ended (its start
      // is still being looked up, or it restarted faster than a stream opens). Read from the
      // cursor first, so the status comes after that run's output.
      if (!state.active) open(state, undefined);
    },
    async settled() {
      // Streams started while waiting (a restart's) are awaited too.
      for (let seen = 0; seen < streams.length; seen = streams.length) await Promise.all(streams.slice(seen));
    },
  };
  return follower;
}
