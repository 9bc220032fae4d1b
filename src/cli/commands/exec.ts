/**
 * `stack exec service command...`: run a command in a running container of a service; with
 * a TTY (`-it`) the terminal goes raw and follows window resizes. Exits with the command's code.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { StackError } from '../../errors.js';
import { openExec } from '../../pipeline/exec.js';
import type { ExecRequest, ExecSession } from '../../pipeline/exec.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { collect } from '../options.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';
import { pump } from './pump.js';

/** The flags of `exec`. */
export interface ExecFlags {
  detach?: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  index?: string;
  interactive?: boolean;
  tty?: boolean;
  /** The legacy `--no-TTY` sets this to false (`-T, --no-tty` sets `tty` to false). */
  TTY?: boolean;
  privileged?: boolean;
}

async function attach(ctx: CliContext, session: ExecSession, tty: boolean, interactive: boolean): Promise<number> {
  const stdin = process.stdin;
  const { socket } = session;
  const raw = tty && stdin.isTTY;
  const resize = (): void => {
    const out = ctx.stdout as { rows?: number; columns?: number };
    if (out.rows && out.columns) session.resize(out.rows, out.columns);
  };
  if (raw) {
    stdin.setRawMode(true);
    resize();
    process.stdout.on('resize', resize);
  }
  if (interactive) {
    stdin.pipe(socket);
    stdin.on('end', () => socket.end());
  }
  try {
    await pump(ctx, socket, tty);
  } finally {
    if (interactive) stdin.unpipe(socket);
    if (raw) {
      stdin.setRawMode(false);
      process.stdout.off('resize', resize);
    }
    stdin.pause();
  }
  return session.exitCode();
}

/**
 * `-e KEY=VALUE` as given; `-e KEY` takes the caller's value (as docker and Compose do), and is
 * left out when the caller has none.
 */
export function resolveEnvFlags(
  entries: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return entries.flatMap((entry) => {
    if (entry.includes('=')) return [entry];
    const value = env[entry];
    return value === undefined ? [] : [`${entry}=${value}`];
  });
}

/** Runs `exec`. */
export async function runExec(
  ctx: CliContext,
  service: string,
  command: readonly string[],
  flags: ExecFlags,
): Promise<CommandResult> {
  const index = flags.index === undefined ? 1 : Number(flags.index);
  if (!Number.isInteger(index) || index < 1)
    throw new StackError('USAGE', `--index expects a positive number, got "${flags.index}"`);
  const stdin = process.stdin;
  const tty =
    flags.TTY === false || flags.tty === false
      ? false
      : flags.tty === true || (flags.tty === undefined && Boolean(stdin.isTTY && ctx.stdout.isTTY));
  // Compose's -i defaults to true: stdin is attached whether or not it is a terminal, so
  // `stack exec -T db psql < dump.sql` feeds the dump (-d attaches nothing).
  const interactive = flags.interactive !== false;
  const target = await loadProjectOrName(ctx, [service]);
  const engine = await openEngine(ctx);
  const request: ExecRequest = {
    service,
    index,
    command,
    tty,
    interactive,
    detach: flags.detach === true,
    env: resolveEnvFlags(flags.env, ctx.env),
    privileged: flags.privileged === true,
    ...(flags.user ? { user: flags.user } : {}),
    ...(flags.workdir ? { workdir: flags.workdir } : {}),
  };
  const session = await openExec(engine, projectName(target), request, ctx.signal);
  if (request.detach) {
    session.socket.destroy();
    return 0;
  }
  return attach(ctx, session, tty, interactive);
}

export function registerExec(program: Command, run: Runner): void {
  program
    .command('exec')
    .description('run a command in a running service container')
    .argument('<service>', 'the service')
    .argument('<command...>', 'the command and its arguments')
    .option('-d, --detach', 'run the command in the background')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'working directory')
    .option('--index <n>', 'replica number of the service', '1')
    .option('-i, --interactive', 'keep stdin attached (the default, as in Compose)')
    .option('--no-interactive', 'do not attach stdin')
    .option('-t, --tty', 'allocate a TTY')
    .option('-T, --no-tty', 'disable TTY allocation')
    .addOption(new Option('--no-TTY', 'the legacy spelling of --no-tty').hideHelp())
    .option('--privileged', 'extended privileges')
    .passThroughOptions()
    .action((service: string, command: string[], flags: ExecFlags) =>
      run((ctx) => runExec(ctx, service, command, flags)),
    );
}
