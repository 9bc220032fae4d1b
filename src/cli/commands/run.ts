/**
 * `stack run SERVICE [COMMAND...]`: a one-off container of a service, as `docker compose run`.
 * The dependencies come up through the pipeline (prepareOneOff), then this command attaches,
 * starts the container, pipes stdin (a TTY when the terminal is one) and exits with the
 * command's code. `--rm` removes the container when it exits, Ctrl-C included.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { OneOffSession } from '../../pipeline/run.js';
import type { OneOffOptions } from '../../planner/one-off.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { checkServices, collect, operationHooks, parsePull } from '../options.js';
import { loadProject, openEngine } from './session.js';
import { pump } from './pump.js';

/** The flags of `run`. */
export interface RunFlags {
  rm?: boolean;
  detach?: boolean;
  name?: string;
  env: string[];
  envFromFile: string[];
  label: string[];
  entrypoint?: string;
  user?: string;
  workdir?: string;
  volume: string[];
  publish: string[];
  servicePorts?: boolean;
  useAliases?: boolean;
  deps?: boolean;
  interactive?: boolean;
  tty?: boolean;
  /** The legacy `--no-TTY` sets this to false (`-T, --no-tty` sets `tty` to false). */
  TTY?: boolean;
  build?: boolean;
  pull?: string;
  quiet?: boolean;
  quietPull?: boolean;
  quietBuild?: boolean;
  capAdd: string[];
  capDrop: string[];
  removeOrphans?: boolean;
}

function parseLabels(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new StackError('USAGE', `--label expects KEY=VALUE, got "${entry}"`);
    labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}

/** The run's flags as planner options; USAGE on conflicting or malformed ones. */
async function oneOffOptions(
  ctx: CliContext,
  model: StackModel,
  service: string,
  command: readonly string[],
  flags: RunFlags,
): Promise<OneOffOptions> {
  if (flags.tty === true && flags.TTY === false) throw new StackError('USAGE', '--tty and --no-tty cannot be combined');
  if (flags.servicePorts && flags.publish.length > 0)
    throw new StackError('USAGE', '--service-ports and --publish are incompatible');
  const { parseRunEntrypoint, parseRunPorts, parseRunVolumes, resolveRunEnvironment } =
    await import('../../loader/run-values.js');
  const stdinTTY = Boolean(process.stdin.isTTY);
  // Compose: a TTY by default when the terminal is one; stdin is kept open (-i) by default.
  const tty =
    flags.TTY === false || flags.tty === false ? false : flags.tty === true || (stdinTTY && Boolean(ctx.stdout.isTTY));
  const files = await Promise.all(
    flags.envFromFile.map(async (file) => {
      const path = resolve(ctx.cwd, file);
      try {
        return { path, text: await readFile(path, 'utf8') };
      } catch (error) {
        throw new StackError('USAGE', `--env-from-file: cannot read ${file}: ${(error as Error).message}`);
      }
    }),
  );
  const environment = resolveRunEnvironment(flags.env, files, ctx.env);
  return {
    service,
    ...(command.length > 0 ? { command } : {}),
    ...(flags.entrypoint !== undefined ? { entrypoint: parseRunEntrypoint(flags.entrypoint) } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    environment,
    labels: parseLabels(flags.label),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.workdir !== undefined ? { workingDir: flags.workdir } : {}),
    volumes: parseRunVolumes(flags.volume, model.name, model.workingDir, ctx.env),
    ports: parseRunPorts(flags.publish),
    servicePorts: flags.servicePorts === true,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    useAliases: flags.useAliases === true,
    tty,
    interactive: flags.interactive !== false && !flags.detach,
    autoRemove: flags.rm === true,
    slug: randomBytes(32).toString('hex'),
  };
}

/** Runs `run`. */
export async function runRun(
  ctx: CliContext,
  service: string,
  command: readonly string[],
  flags: RunFlags,
): Promise<CommandResult> {
  const pull = flags.pull === undefined ? undefined : parsePull(flags.pull);
  const model = await loadProject(ctx, [service]);
  checkServices(model, [service]);
  const oneOff = await oneOffOptions(ctx, model, service, command, flags);
  const engine = await openEngine(ctx);
  // -q: no progress of the dependencies, pulls or builds (the container's own output stays).
  const progressCtx: CliContext = flags.quiet ? { ...ctx, progress: 'quiet' } : ctx;
  const hooks = await operationHooks(progressCtx, { command: `stack run ${service}`, quiet: flags });
  const { attachOneOff, prepareOneOff, startOneOff } = await import('../../pipeline/run.js');
  const prepared = await prepareOneOff(
    engine,
    model,
    {
      oneOff,
      ...(flags.deps === false ? { noDeps: true } : {}),
      ...(flags.removeOrphans ? { removeOrphans: true } : {}),
      images: { build: flags.build ? 'always' : 'auto', ...(pull ? { pull } : {}) },
    },
    hooks,
  );
  if (flags.detach) {
    await startOneOff(engine, prepared.id, ctx.signal);
    ctx.stdout.write(`${prepared.id}\n`);
    return ExitCode.ok;
  }
  return attachAndRun(
    ctx,
    await attachOneOff(engine, prepared.id, {
      interactive: oneOff.interactive,
      autoRemove: oneOff.autoRemove === true,
      ...(model.services[service] ? { service: model.services[service] } : {}),
    }),
    oneOff,
  );
}

/**
 * attach → register the exit wait → start → pipe until the container exits. Ctrl-C stops it
 * (and, with `--rm`, removes it) and exits 130.
 */
async function attachAndRun(ctx: CliContext, session: OneOffSession, o: OneOffOptions): Promise<CommandResult> {
  const stdin = process.stdin;
  const { socket } = session;
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
    void session.stop();
  };
  if (ctx.signal.aborted) onInterrupt();
  else ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  const raw = o.tty && stdin.isTTY;
  const resize = (): void => {
    const out = ctx.stdout as { rows?: number; columns?: number };
    if (out.rows && out.columns) session.resize(out.rows, out.columns);
  };
  try {
    await session.start(ctx.signal);
    if (raw) {
      stdin.setRawMode(true);
      resize();
      process.stdout.on('resize', resize);
    }
    if (o.interactive) {
      stdin.pipe(socket);
      stdin.on('end', () => socket.end());
    }
    await pump(ctx, socket, o.tty);
    const code = await session.exitCode;
    await session.cleanup();
    return interrupted ? ExitCode.interrupted : code;
  } catch (error) {
    await session.cleanup();
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', onInterrupt);
    if (o.interactive) stdin.unpipe(socket);
    if (raw) {
      stdin.setRawMode(false);
      process.stdout.off('resize', resize);
    }
    stdin.pause();
    socket.destroy();
  }
}

export function registerRun(program: Command, run: Runner): void {
  program
    .command('run')
    .description('run a one-off command in a new container of a service')
    .argument('<service>', 'the service')
    .argument('[command...]', "the command and its arguments (default: the service's)")
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--name <name>', 'name of the container')
    .option(
      '-e, --env <KEY[=VALUE]>',
      'set an environment variable; KEY alone takes your value (repeatable)',
      collect,
      [],
    )
    .option('--env-from-file <path>', 'set environment variables from a file (repeatable)', collect, [])
    .option('-l, --label <KEY=VALUE>', 'add or override a label (repeatable)', collect, [])
    .option('--entrypoint <command>', 'override the entrypoint of the image')
    .option('-u, --user <user>', 'run as this user or uid')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-v, --volume <volume>', 'bind mount a volume (repeatable)', collect, [])
    .option('-p, --publish <port>', 'publish a port (repeatable)', collect, [])
    .option('-P, --service-ports', "publish the service's ports")
    .option('--use-aliases', "use the service's network aliases")
    .option('--no-deps', 'do not start the services it depends on')
    .option('-i, --interactive', 'keep stdin open (the default)')
    .option('-t, --tty', 'allocate a TTY (default: when stdin and stdout are terminals)')
    .option('-T, --no-tty', 'disable TTY allocation')
    .addOption(new Option('--no-TTY', 'the legacy spelling of --no-tty').hideHelp())
    .option('--build', 'build the image before starting')
    .option('--pull <policy>', 'pull images: policy (default), always, missing, never, build')
    .option('-q, --quiet', "print no progress (only the container's output)")
    .option('--quiet-pull', 'pull without printing progress')
    .option('--quiet-build', 'build without printing the build output')
    .option('--cap-add <cap>', 'add a Linux capability (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability (repeatable)', collect, [])
    .option('--remove-orphans', 'remove containers of services no longer in the stack file')
    .passThroughOptions()
    .action((service: string, command: string[], flags: RunFlags) =>
      run((ctx) => runRun(ctx, service, command, flags)),
    );
}
