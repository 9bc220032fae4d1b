/**
 * Service-prefixed log lines (`web-1  | ...`), one colour per service, for `logs` and attached
 * `up`. Plain lines, never listr2: log streaming is not progress.
 */
import { Label } from '../../labels.js';
import type { Engine, EngineContainer } from '../../reconciler/engine-types.js';
import { LineSplitter } from '../../reconciler/streams.js';
import type { CliContext } from '../context.js';

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
  readonly since?: number | string;
  readonly timestamps: boolean;
  readonly signal?: AbortSignal;
  /** Print without prefixes (`--no-log-prefix`). */
  readonly noPrefix?: boolean;
}

const COLOURS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

/** The log prefix of a listed container: `<service>-<number>`, else its name. */
export function prefixOf(c: EngineContainer): string {
  const labels = c.Labels ?? {};
  const service = labels[Label.service];
  const number = labels[Label.containerNumber];
  if (service && number) return `${service}-${number}`;
  return (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
}

/** Streams the output of every source until each ends (or the signal aborts). */
export async function streamLogs(ctx: CliContext, engine: Engine, sources: readonly LogSource[], options: StreamLogsOptions): Promise<void> {
  const width = Math.max(0, ...sources.map((s) => s.prefix.length));
  const services = [...new Set(sources.map((s) => s.prefix.replace(/-\d+$/, '')))].sort();
  const paint = (service: string, text: string): string => {
    if (!ctx.color) return text;
    const colour = COLOURS[services.indexOf(service) % COLOURS.length] ?? '36';
    return `\u001b[${colour}m${text}\u001b[0m`;
  };
  await Promise.all(
    sources.map(async (source) => {
      const head = options.noPrefix ? '' : `${paint(source.prefix.replace(/-\d+$/, ''), source.prefix.padEnd(width))}  | `;
      const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
      const write = (line: string): void => {
        ctx.stdout.write(`${head}${line}\n`);
      };
      try {
        const stream = engine.containerLogs(source.id, {
          follow: options.follow,
          timestamps: options.timestamps,
          tty: source.tty,
          ...(options.tail !== undefined ? { tail: options.tail } : {}),
          ...(options.since !== undefined ? { since: options.since } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        for await (const chunk of stream) for (const line of splitters[chunk.stream].push(chunk.data)) write(line);
      } catch (error) {
        if (!options.signal?.aborted) ctx.stderr.write(`${source.prefix}: logs ended: ${(error as Error).message}\n`);
      }
      for (const line of [...splitters.stdout.end(), ...splitters.stderr.end()]) write(line);
    }),
  );
}

/** Log sources for listed containers; a TTY container's output is not multiplexed. */
export async function sourcesOf(engine: Engine, containers: readonly EngineContainer[]): Promise<LogSource[]> {
  return Promise.all(
    containers.map(async (c) => {
      let tty = false;
      try {
        tty = (await engine.inspectContainer(c.Id)).Config.Tty === true;
      } catch {
        // gone: its stream will say so
      }
      return { id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), prefix: prefixOf(c), tty };
    }),
  );
}
