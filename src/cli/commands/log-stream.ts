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

/** Paints a service's prefix in its colour (stable per service within one printer). */
function painter(ctx: CliContext): (service: string, text: string) => string {
  const services: string[] = [];
  return (service, text) => {
    if (!ctx.color) return text;
    if (!services.includes(service)) services.push(service);
    const colour = COLOURS[services.indexOf(service) % COLOURS.length] ?? '36';
    return `\u001b[${colour}m${text}\u001b[0m`;
  };
}

/** Streams one source's output until it ends (or the signal aborts). */
async function streamOne(ctx: CliContext, engine: Engine, source: LogSource, head: string, options: StreamLogsOptions): Promise<void> {
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
}

const serviceOf = (prefix: string): string => prefix.replace(/-\d+$/, '');

/** Streams the output of every source until each ends (or the signal aborts). */
export async function streamLogs(ctx: CliContext, engine: Engine, sources: readonly LogSource[], options: StreamLogsOptions): Promise<void> {
  const width = Math.max(0, ...sources.map((s) => s.prefix.length));
  const paint = painter(ctx);
  for (const service of [...new Set(sources.map((s) => serviceOf(s.prefix)))].sort()) paint(service, '');
  await Promise.all(
    sources.map((source) => streamOne(ctx, engine, source, options.noPrefix ? '' : `${paint(serviceOf(source.prefix), source.prefix.padEnd(width))}  | `, options)),
  );
}

/**
 * Follows the logs of a project's containers as they come and go (`up --watch`): the sources
 * given at first, then every container of the project (of `services`, when given) that starts
 * later, from the moment it starts: a recreated service's new container is followed too.
 * Resolves when `signal` aborts and every stream has ended.
 */
export async function followProjectLogs(
  ctx: CliContext,
  engine: Engine,
  project: string,
  initial: readonly LogSource[],
  options: { readonly since: number; readonly services: readonly string[]; readonly signal: AbortSignal },
): Promise<void> {
  const { ContainerWatcher } = await import('../../reconciler/wait.js');
  const paint = painter(ctx);
  const width = Math.max(0, ...initial.map((s) => s.prefix.length));
  const followed = new Set<string>();
  const streams: Promise<void>[] = [];
  const follow = (source: LogSource, since: number): void => {
    if (followed.has(source.id) || options.signal.aborted) return;
    followed.add(source.id);
    const head = `${paint(serviceOf(source.prefix), source.prefix.padEnd(width))}  | `;
    streams.push(streamOne(ctx, engine, source, head, { follow: true, since, timestamps: false, signal: options.signal }));
  };
  const watcher = new ContainerWatcher(engine, project, options.signal);
  const unsubscribe = watcher.subscribe((event) => {
    if (event.Action !== 'start') return;
    const labels = event.Actor.Attributes;
    const service = labels[Label.service];
    if (service === undefined || labels[Label.oneoff] === 'True') return;
    if (options.services.length > 0 && !options.services.includes(service)) return;
    const number = labels[Label.containerNumber];
    const prefix = number ? `${service}-${number}` : (labels['name'] ?? event.Actor.ID.slice(0, 12));
    void engine
      .inspectContainer(event.Actor.ID)
      .then((info) => follow({ id: event.Actor.ID, name: labels['name'] ?? '', prefix, tty: info.Config.Tty === true }, Math.max(0, event.time - 1)))
      .catch(() => undefined);
  });
  try {
    await watcher.open();
    for (const source of initial) follow(source, options.since);
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      else options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    unsubscribe();
    watcher.close();
  }
  await Promise.all(streams);
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
