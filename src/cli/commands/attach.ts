/**
 * `stack attach SERVICE`: this terminal's stdin, stdout and stderr joined to a running service
 * container (src/pipeline/service-attach.ts), as `docker compose attach`: stdin when the service
 * has `stdin_open` (not with `--no-stdin`), raw mode when it has a TTY, the detach keys
 * (default ctrl-p,ctrl-q) leave it running, signals go to the container (`--sig-proxy`, the
 * default, without a TTY), and the exit code is the container's once its output ends.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { booleanFlag } from '../options.js';
import { DEFAULT_DETACH_KEYS, detachFilter, parseDetachKeys } from './detach-keys.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { pump } from './pump.js';

/** The flags of `attach`. */
export interface AttachFlags {
  detachKeys?: string;
  index?: string;
  /** `--no-stdin` sets this to false. */
  stdin?: boolean;
  sigProxy?: boolean;
}

/** Signals forwarded besides SIGINT and SIGTERM (the frame's): what a terminal or a supervisor sends. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Runs `attach`. */
export async function runAttach(ctx: CliContext, service: string, flags: AttachFlags): Promise<CommandResult> {
  const index = flags.index === undefined || flags.index === '0' ? undefined : Number(flags.index);
  if (index !== undefined && (!Number.isInteger(index) || index < 1))
    throw new StackError('USAGE', `--index expects a positive number, got "${flags.index}"`);
  const { readDockerConfig } = await import('../../images/credentials.js');
  const detachKeys = flags.detachKeys || (await readDockerConfig(ctx.env)).detachKeys || DEFAULT_DETACH_KEYS;
  const sequence = parseDetachKeys(detachKeys);
  const target = await loadProjectOrName(ctx, [service]);
  const engine = await openEngine(ctx);
  const { attachService } = await import('../../pipeline/service-attach.js');
  // Ends the attach and the exit wait: Ctrl-C (without --sig-proxy) or the detach keys.
  const leave = new AbortController();
  const onAbort = (): void => leave.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const session = await attachService(
    engine,
    projectName(target),
    { service, ...(index !== undefined ? { index } : {}), noStdin: flags.stdin === false, detachKeys },
    leave.signal,
  );
  session.exitCode.catch(() => undefined);
  leave.signal.addEventListener('abort', () => session.socket.destroy(), { once: true });
  const stdin = process.stdin;
  if (session.tty && session.stdin && !stdin.isTTY) {
    leave.abort();
    throw new StackError(
      'USAGE',
      `the input device is not a TTY, and ${session.name} has one: attach from a terminal, or with --no-stdin`,
    );
  }
  let detached = false;
  const forward = (signal: NodeJS.Signals): void => session.kill(signal);
  const proxy = flags.sigProxy !== false && !session.tty;
  // Ctrl-C: to the container (--sig-proxy), else it only ends this attach (the container runs on).
  ctx.setInterruptBehavior(proxy ? { message: null, forward } : { message: null });
  if (proxy) for (const signal of FORWARDED) process.on(signal, forward);
  const raw = session.tty && session.stdin && stdin.isTTY;
  const resize = (): void => {
    const out = ctx.stdout as { rows?: number; columns?: number };
    if (out.rows && out.columns) session.resize(out.rows, out.columns);
  };
  if (session.tty && ctx.stdout.isTTY) {
    resize();
    process.stdout.on('resize', resize);
  }
  if (raw) stdin.setRawMode(true);
  const filter = detachFilter(sequence, () => {
    detached = true;
    leave.abort();
  });
  if (session.stdin) {
    stdin.pipe(filter).pipe(session.socket);
    stdin.on('end', () => session.socket.end());
  }
  try {
    await pump(ctx, session.socket, session.tty);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    for (const signal of FORWARDED) process.off(signal, forward);
    process.stdout.off('resize', resize);
    if (session.stdin) {
      stdin.unpipe(filter);
      filter.unpipe(session.socket);
    }
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
  if (detached) {
    // As docker attach: leaving with the detach keys is reported, and is not a success.
    ctx.stderr.write(`read escape sequence: detached from ${session.name}, which keeps running\n`);
    return ExitCode.failure;
  }
  if (ctx.signal.aborted) return ExitCode.interrupted;
  try {
    return await session.exitCode;
  } finally {
    leave.abort();
  }
}

export function registerAttach(program: Command, run: Runner): void {
  program
    .command('attach')
    .description("attach this terminal's stdin, stdout and stderr to a service's running container")
    .argument('<service>', 'the service')
    .option(
      '--detach-keys <keys>',
      'the key sequence that detaches, leaving the container running (default ctrl-p,ctrl-q)',
    )
    .option('--index <n>', 'replica number of the service (default: the first running one)')
    .option('--no-stdin', 'do not attach stdin')
    .addOption(
      new Option('--sig-proxy [bool]', 'forward received signals to the container (default true; --sig-proxy=false)')
        .argParser(booleanFlag('--sig-proxy'))
        .preset(true),
    )
    .action((service: string, flags: AttachFlags) => run((ctx) => runAttach(ctx, service, flags)));
}
