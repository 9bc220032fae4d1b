/**
 * `stack events [services...]`: the project's container events as they happen, in Compose's
 * text line or, with `--json`, Compose's object (`time`, `type`, `service`, `id`, `action`,
 * `attributes`). `--since`/`--until` take what `logs --since` takes.
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { projectEvents } from '../../pipeline/containers.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { parseLogTime } from './log-stream.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';

/** Nanoseconds since the epoch as Go marshals a UTC time.Time (RFC 3339, trailing zeros dropped). */
export function rfc3339Nano(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, fraction ? `.${fraction}Z` : 'Z');
}

/** Compose's text line: `2006-01-02 15:04:05.000000 container start <id> (name=…, image=…)`. */
function textLine(e: {
  timeNano: bigint;
  action: string;
  container: string;
  attributes: Readonly<Record<string, string>>;
}): string {
  const micros = (e.timeNano / 1000n) % 1_000_000n;
  const time = new Date(Number(e.timeNano / 1_000_000n))
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, `.${micros.toString().padStart(6, '0')}`);
  const attrs = Object.entries(e.attributes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${time} container ${e.action} ${e.container} (${attrs})\n`;
}

/** Runs `events` until Ctrl-C or `--until`. */
export async function runEvents(
  ctx: CliContext,
  services: readonly string[],
  flags: { json?: boolean; since?: string; until?: string },
): Promise<CommandResult> {
  const since = flags.since === undefined ? undefined : parseLogTime(flags.since, '--since');
  const until = flags.until === undefined ? undefined : parseLogTime(flags.until, '--until');
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const events = projectEvents(engine, projectName(target), {
    services,
    signal: ctx.signal,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  });
  for await (const e of events) {
    if (flags.json)
      ctx.stdout.write(
        JSON.stringify({
          time: rfc3339Nano(e.timeNano),
          type: 'container',
          service: e.service,
          id: e.container,
          action: e.action,
          attributes: e.attributes,
        }) + '\n',
      );
    else ctx.stdout.write(textLine(e) + '\n');
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

export function registerEvents(program: Command, run: Runner): void {
  program
    .command('events')
    .description("stream the project's container events")
    .argument('[services...]', 'only these services')
    .option('--json', 'one JSON object per line (time, type, service, id, action, attributes)')
    .option('--since <time>', 'events since this time (timestamp or duration, as logs --since)')
    .option('--until <time>', 'events until this time, then exit')
    .action((services: string[], flags: { json?: boolean; since?: string; until?: string }) =>
      run((ctx) => runEvents(ctx, services, flags)),
    );
}
