/**
 * The CLI frame: global options (Compose's, before the command), the context every command
 * gets, one top-level handler that separates expected failures (StackError → formatted
 * diagnostics, exit 1/2/130) from bugs (exit 1 with "this is a bug"), and lazy loading so
 * `stack config` never loads dockerode, listr2 or chokidar.
 */
import { Argument, Command, Option } from 'commander';
import { SHELLS, completionScript } from './completion.js';
import type { Shell } from './completion.js';
import { ExitCode, StackError, asInterrupted } from '../errors.js';
import { writeDiagnostics, writeError, writeMessage } from '../render/diagnostics.js';
import type { Terminal } from '../render/terminal.js';
import type { StackModel } from '../model.js';
import type { LoadOptions } from '../loader/load.js';
import type { CacheKind } from './model-cache.js';
import type { CliContext, CommandResult, GlobalOptions, ProgressMode, Runner } from './context.js';
import { registerConfig } from './config.js';
import { VERSION } from './version.js';
import { collect } from './options.js';
import { composeEnvironment, composeFiles, envTrue, parseAnsi } from './compose-env.js';
import type { AnsiMode } from './compose-env.js';

/** Commands that must start fast and never touch the engine: they skip loading the engine commands. */
export const LIGHT_COMMANDS: ReadonlySet<string> = new Set(['config', 'version', 'convert']);
/** Global options that take a value (used to find the command name before commander parses). */
const VALUE_OPTIONS = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--profile',
  '--env-file',
  '--project-directory',
  '--progress',
  '--parallel',
  '--ansi',
  '--target',
]);

/** Commands that only read: Ctrl-C has nothing in flight to finish, so it says nothing. */
const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'logs',
  'events',
  'stats',
  'ps',
  'top',
  'port',
  'images',
  'ls',
  'wait',
  'config',
  'convert',
  'version',
  'completion',
  'attach',
  'plan',
]);

const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'json', 'quiet'];

interface RawGlobals {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  profile: string[];
  envFile: string[];
  progress: ProgressMode;
  parallel?: string;
  ansi?: string;
  dryRun?: boolean;
  debug?: boolean;
  target?: string;
}

/** The first positional argument, skipping global options and their values. */
export function findCommandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

/**
 * Whether output may be coloured: a TTY, `NO_COLOR` unset or empty (no-color.org: only a
 * non-empty value disables colour), a terminal that is not `dumb`, and not CI (`CI` set and
 * not `false`: CI logs keep escape codes as text). `--ansi always` overrides all of these.
 */
export function colorAllowed(env: Readonly<Record<string, string | undefined>>, isTTY: boolean | undefined): boolean {
  const noColor = env['NO_COLOR'];
  const ci = env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== 'false';
  return Boolean(isTTY) && (noColor === undefined || noColor === '') && env['TERM'] !== 'dumb' && !ci;
}

function resolveProgress(
  mode: ProgressMode,
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  if (env['CI'] && env['CI'] !== 'false') return 'plain';
  return isTTY ? 'tty' : 'plain';
}

function parseParallel(value: string | undefined, origin = '--parallel'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new StackError('USAGE', `${origin} must be a positive integer, got "${value}"`);
  return n;
}

/** `--progress`, else COMPOSE_PROGRESS, else auto; `--ansi never` makes auto plain (no TTY drawing). */
function pickProgress(
  program: Command,
  env: Readonly<Record<string, string | undefined>>,
  ansi: AnsiMode,
): ProgressMode {
  const raw = program.opts<RawGlobals>().progress;
  if (program.getOptionValueSource('progress') !== 'default') return raw;
  const fromEnv = env['COMPOSE_PROGRESS'];
  if (fromEnv) {
    const mode = PROGRESS_MODES.find((m) => m === fromEnv);
    if (!mode)
      throw new StackError('USAGE', `COMPOSE_PROGRESS expects one of ${PROGRESS_MODES.join(', ')}, got "${fromEnv}"`);
    return mode === 'auto' && ansi === 'never' ? 'plain' : mode;
  }
  return ansi === 'never' ? 'plain' : raw;
}

/**
 * `-f -`: the stack file from stdin, written to a private temporary file (the loader reads
 * paths); relative paths in it resolve against the working directory, as in Compose.
 */
async function stdinFiles(files: readonly string[]): Promise<string[]> {
  if (!files.includes('-')) return [...files];
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a module function, not a method
  const { join } = await import('node:path');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  const dir = mkdtempSync(join(tmpdir(), 'stack-stdin-'));
  const path = join(dir, 'stack.yaml');
  writeFileSync(path, Buffer.concat(chunks), { mode: 0o600 });
  process.once('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort: the OS cleans its temporary directory
    }
  });
  return files.map((f) => (f === '-' ? path : f));
}

function buildContext(
  program: Command,
  signal: AbortSignal,
  setInterruptBehavior: CliContext['setInterruptBehavior'],
): CliContext {
  const raw = program.opts<RawGlobals>();
  const cwd = process.cwd();
  // COMPOSE_* settings from the shell, else from the env files (flags win over both).
  const composed = composeEnvironment({
    cwd,
    env: process.env,
    envFiles: raw.envFile,
    ...(raw.projectDirectory !== undefined ? { projectDirectory: raw.projectDirectory } : {}),
  });
  const env = composed.env;
  const ansi = raw.ansi !== undefined ? parseAnsi(raw.ansi, '--ansi') : parseAnsi(env['COMPOSE_ANSI'], 'COMPOSE_ANSI');
  const stdout = process.stdout;
  // COMPOSE_STATUS_STDOUT: progress and status on stdout (errors stay on stderr, from the frame).
  const stderr = envTrue(env['COMPOSE_STATUS_STDOUT']) ? process.stdout : process.stderr;
  const parallel =
    raw.parallel !== undefined
      ? parseParallel(raw.parallel)
      : parseParallel(env['COMPOSE_PARALLEL_LIMIT'] || undefined, 'COMPOSE_PARALLEL_LIMIT');
  const globals: GlobalOptions = {
    file: raw.file.length > 0 ? raw.file : composeFiles(env),
    profile: raw.profile,
    envFile: composed.envFiles,
    progress: pickProgress(program, env, ansi),
    debug: Boolean(raw.debug),
    dryRun: Boolean(raw.dryRun),
    ...(raw.projectName !== undefined ? { projectName: raw.projectName } : {}),
    ...(raw.projectDirectory !== undefined ? { projectDirectory: raw.projectDirectory } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
    ...(raw.target !== undefined ? { target: raw.target } : {}),
  };
  const colorOn = (isTTY: boolean | undefined): boolean =>
    ansi === 'always' ? true : ansi === 'never' ? false : colorAllowed(env, isTTY);
  const color = colorOn(stderr.isTTY);
  const fromStdin = globals.file.includes('-');
  let files: Promise<string[]> | undefined;
  const loadOptions = {
    cwd,
    env,
    files: [...globals.file],
    profiles: [...globals.profile],
    envFiles: [...globals.envFile],
    ...(globals.projectName !== undefined ? { projectName: globals.projectName } : {}),
    ...(globals.projectDirectory !== undefined ? { projectDirectory: globals.projectDirectory } : {}),
    // `-f -`: paths in the file are relative to the working directory.
    ...(globals.projectDirectory === undefined && fromStdin ? { projectDirectory: cwd } : {}),
  };
  const resolvedFiles = async (): Promise<string[]> => (files ??= stdinFiles(globals.file));
  const fullOptions = async (options: { services?: readonly string[]; interpolate?: boolean }) => ({
    ...loadOptions,
    files: await resolvedFiles(),
    ...(options.services ? { services: [...options.services] } : {}),
    ...(options.interpolate === false ? { interpolate: false } : {}),
  });
  // An untrusted cache is said once per run, however many lookups (a peek, then a load) meet it.
  let cacheWarned = false;
  const cacheOptions = {
    warn: (message: string) => {
      if (!cacheWarned) writeMessage(context, 'warning', message);
      cacheWarned = true;
    },
  };
  const loadCached = async <T>(
    kind: CacheKind,
    load: (options: LoadOptions) => Promise<T>,
    options: { services?: readonly string[]; interpolate?: boolean } = {},
  ): Promise<T> => {
    // `-f -` reads a private temporary file named anew on each run: its entry could never be
    // found again, and writing one each run would push out the entries that can.
    if (fromStdin) return load(await fullOptions(options));
    const { loadResultThroughCache } = await import('./model-cache.js');
    return loadResultThroughCache(await fullOptions(options), kind, load, cacheOptions);
  };
  let warned = false;
  const context: CliContext = {
    globals,
    cwd,
    env,
    stdout,
    stderr,
    color,
    stdoutColor: colorOn(stdout.isTTY),
    progress: resolveProgress(globals.progress, env, Boolean(stdout.isTTY)),
    // A getter: process.stdin builds a stream on first use (fs streams, readline: ~10 ms of
    // every run), which only the commands that prompt or read stdin need.
    get interactive() {
      return Boolean(stderr.isTTY && process.stdin.isTTY) && !env['CI'];
    },
    signal,
    setInterruptBehavior,
    async loadModel(options = {}) {
      const { loadStack } = await import('../loader/load.js');
      return loadCached('model', (full) => loadStack(full), options);
    },
    loadCached: (kind, load) => loadCached(kind, load),
    async peekCached<T>(kind: CacheKind): Promise<T | undefined> {
      if (fromStdin) return undefined;
      const { peekResultInCache } = await import('./model-cache.js');
      return peekResultInCache<T>(await fullOptions({}), kind, cacheOptions);
    },
    async loadRawData() {
      const { loadRaw } = await import('../loader/load.js');
      const raw = await loadRaw({ ...loadOptions, files: await resolvedFiles(), interpolate: false });
      writeDiagnostics(context, raw.warnings, cwd);
      return raw.data;
    },
    printWarnings(model: StackModel) {
      if (warned || model.warnings.length === 0) return;
      warned = true;
      writeDiagnostics(context, model.warnings, cwd);
    },
  };
  return context;
}

/** The terminal of errors reported before (or without) a command context: `--progress` read from argv. */
function frameTerminal(argv: readonly string[], color: boolean): Terminal {
  const at = argv.findIndex((a) => a === '--progress' || a.startsWith('--progress='));
  const value = at === -1 ? undefined : argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  return { stderr: process.stderr, color, progress: value === 'json' ? 'json' : 'plain' };
}

/**
 * The commander program: the global options (Compose's, before the command), `config` and
 * `version`, and (unless `light`) the engine commands. `main` runs it; `stack completion` and
 * the tests read its commands and options, so help, completion and the README come from one place.
 */
export async function createProgram(run: Runner, options: { light?: boolean } = {}): Promise<Command> {
  const program = new Command('stack');
  program
    .description(
      'Declarative containers for your machine and your CI: Compose files, a visible plan, idempotent reconcile.',
    )
    .version(VERSION, '-v, --version', 'print the version')
    .option(
      '-f, --file <path>',
      'stack file (repeatable; merged in order; - reads stdin; env COMPOSE_FILE)',
      collect,
      [],
    )
    .option('-p, --project-name <name>', 'project name')
    .option('--project-directory <dir>', "project directory (default: the first file's directory)")
    .option('--profile <name>', 'enable a profile (repeatable; * enables all)', collect, [])
    .option('--env-file <path>', 'read variables from this file instead of .env (repeatable)', collect, [])
    .addOption(
      new Option('--progress <mode>', 'progress output (env COMPOSE_PROGRESS)')
        .choices(['auto', 'tty', 'plain', 'json', 'quiet'])
        .default('auto'),
    )
    .option('--parallel <n>', 'maximum concurrent engine calls (env COMPOSE_PARALLEL_LIMIT)')
    .addOption(
      new Option('--ansi <when>', 'control characters and colour (env COMPOSE_ANSI)').choices([
        'never',
        'always',
        'auto',
      ]),
    )
    .option('--dry-run', 'run the command against an engine that never writes: print the plan, change nothing')
    .option('--debug', 'print stack traces')
    .option(
      '--target <target>',
      'where the stack runs: local (this engine, default) or swarm (services on a Swarm manager)',
    )
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  // COMPOSE_REMOVE_ORPHANS: `--remove-orphans` by default on the commands that have it.
  program.hook('preAction', (_program, command) => {
    const has = command.options.some((o) => o.attributeName() === 'removeOrphans');
    if (!has || command.getOptionValueSource('removeOrphans') !== undefined) return;
    const raw = program.opts<RawGlobals>();
    const { env } = composeEnvironment({
      cwd: process.cwd(),
      env: process.env,
      envFiles: raw.envFile,
      ...(raw.projectDirectory !== undefined ? { projectDirectory: raw.projectDirectory } : {}),
    });
    if (envTrue(env['COMPOSE_REMOVE_ORPHANS'])) command.setOptionValueWithSource('removeOrphans', true, 'env');
  });
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    writeOut: (s) => process.stdout.write(s),
    // Usage errors in stack's own format (error[USAGE] …), as every other error.
    outputError: (s, write) => write(s.replace(/^error: /, 'error[USAGE] ')),
  });

  registerConfig(program, run);
  program
    .command('version')
    .description('show the stack version')
    .option('-f, --format <format>', 'pretty or json', 'pretty')
    .option('--short', 'print only the version number')
    .action((opts: { format: string; short?: boolean }) =>
      run(async (ctx) => {
        const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
        if (opts.short) {
          ctx.stdout.write(VERSION + '\n');
          return ExitCode.ok;
        }
        ctx.stdout.write(
          opts.format === 'json'
            ? JSON.stringify(info) + '\n'
            : `stack version ${VERSION} (node ${info.node}, ${info.platform})\n`,
        );
        return ExitCode.ok;
      }),
    );
  program
    .command('completion')
    .description('print a shell completion script (commands, flags, service names): source <(stack completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) =>
      run(async (ctx) => {
        // Not a light command: the program has its engine commands, which the script completes.
        ctx.stdout.write(completionScript(shell, program));
        return ExitCode.ok;
      }),
    );
  if (!options.light) {
    const { engineCommands } = await import('./commands/index.js');
    for (const register of engineCommands) register(program, run);
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  let behavior: Parameters<CliContext['setInterruptBehavior']>[0] | undefined;
  const onSigint = (signal: NodeJS.Signals): void => {
    // `attach --sig-proxy`: every signal goes to the container; the frame does nothing else.
    if (behavior?.forward) return behavior.forward(signal);
    interrupts += 1;
    if (interrupts === 1) {
      const command = findCommandName(argv);
      if (behavior) {
        if (behavior.message !== null) process.stderr.write(`\n${behavior.message}\n`);
      } else if (command === undefined || !READ_ONLY_COMMANDS.has(command)) {
        process.stderr.write('\nInterrupted: finishing in-flight actions (Ctrl-C again to exit at once)\n');
      }
      controller.abort(new StackError('INTERRUPTED', 'interrupted'));
    } else if (behavior?.onForce && interrupts === 2) {
      // Attached `up`: kill what it attached, then leave (at most 10 s: a hung engine must not keep us).
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      void Promise.race([behavior.onForce().catch(() => undefined), bound]).then(() =>
        process.exit(ExitCode.interrupted),
      );
    } else {
      process.exit(ExitCode.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let exitCode: number = ExitCode.ok;
  const debug = argv.includes('--debug');
  const color = colorAllowed(process.env, process.stderr.isTTY);
  const run: Runner = async (body) => {
    try {
      const ctx = buildContext(program, controller.signal, (b) => (behavior = b));
      // Compose marks every line of a dry run; stack says it once, before the plan or the report.
      if (ctx.globals.dryRun && (ctx.progress === 'plain' || ctx.progress === 'tty'))
        ctx.stderr.write('DRY-RUN MODE - nothing on the engine is changed\n');
      exitCode = await body(ctx);
    } catch (error) {
      exitCode = writeError(frameTerminal(argv, color), asInterrupted(error, controller.signal), {
        cwd: process.cwd(),
        debug,
      });
    }
  };
  const name = findCommandName(argv);
  // `run` reads `program` only when a command runs, after this line.
  const program = await createProgram(run, { light: name !== undefined && LIGHT_COMMANDS.has(name) });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
      return ExitCode.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return ExitCode.invalid;
    return writeError(frameTerminal(argv, color), asInterrupted(error, controller.signal), {
      cwd: process.cwd(),
      debug,
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return exitCode satisfies CommandResult;
}
