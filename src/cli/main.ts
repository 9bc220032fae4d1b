/**
 * The CLI frame: global options (Compose's, before the command), the context every command
 * gets, one top-level handler that separates expected failures (StackError → formatted
 * diagnostics, exit 1/2/130) from bugs (exit 1 with "this is a bug"), and lazy loading so
 * `stack config` never loads dockerode, listr2 or chokidar.
 */
import { Command, Option } from 'commander';
import { ExitCode, StackError, asInterrupted } from '../errors.js';
import { writeDiagnostics, writeError, writeMessage } from '../render/diagnostics.js';
import type { Terminal } from '../render/terminal.js';
import type { StackModel } from '../model.js';
import type { CliContext, CommandResult, GlobalOptions, ProgressMode, Runner } from './context.js';
import { registerConfig } from './config.js';
import { VERSION } from './version.js';
import { collect } from './options.js';

/** Commands that must start fast and never touch the engine: they skip loading the engine commands. */
export const LIGHT_COMMANDS: ReadonlySet<string> = new Set(['config', 'version', 'convert']);
/** Global options that take a value (used to find the command name before commander parses). */
const VALUE_OPTIONS = new Set(['-f', '--file', '-p', '--project-name', '--profile', '--env-file', '--project-directory', '--progress', '--parallel', '--target']);

interface RawGlobals {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  profile: string[];
  envFile: string[];
  progress: ProgressMode;
  parallel?: string;
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
 * non-empty value disables colour), and a terminal that is not `dumb`.
 */
export function colorAllowed(env: Readonly<Record<string, string | undefined>>, isTTY: boolean | undefined): boolean {
  const noColor = env['NO_COLOR'];
  return Boolean(isTTY) && (noColor === undefined || noColor === '') && env['TERM'] !== 'dumb';
}

function resolveProgress(mode: ProgressMode, env: Readonly<Record<string, string | undefined>>, isTTY: boolean): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  if (env['CI'] && env['CI'] !== 'false') return 'plain';
  return isTTY ? 'tty' : 'plain';
}

function parseParallel(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new StackError('USAGE', `--parallel must be a positive integer, got "${value}"`);
  return n;
}

function buildContext(program: Command, signal: AbortSignal): CliContext {
  const raw = program.opts<RawGlobals>();
  const env = process.env;
  const stdout = process.stdout;
  const stderr = process.stderr;
  const parallel = parseParallel(raw.parallel);
  const globals: GlobalOptions = {
    file: raw.file,
    profile: raw.profile,
    envFile: raw.envFile,
    progress: raw.progress,
    debug: Boolean(raw.debug),
    ...(raw.projectName !== undefined ? { projectName: raw.projectName } : {}),
    ...(raw.projectDirectory !== undefined ? { projectDirectory: raw.projectDirectory } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
    ...(raw.target !== undefined ? { target: raw.target } : {}),
  };
  const color = colorAllowed(env, stderr.isTTY);
  const cwd = process.cwd();
  const loadOptions = {
    cwd,
    env,
    files: [...globals.file],
    profiles: [...globals.profile],
    envFiles: [...globals.envFile],
    ...(globals.projectName !== undefined ? { projectName: globals.projectName } : {}),
    ...(globals.projectDirectory !== undefined ? { projectDirectory: globals.projectDirectory } : {}),
  };
  let warned = false;
  const context: CliContext = {
    globals,
    cwd,
    env,
    stdout,
    stderr,
    color,
    progress: resolveProgress(globals.progress, env, Boolean(stdout.isTTY)),
    interactive: Boolean(process.stdin.isTTY && stderr.isTTY) && !env['CI'],
    signal,
    async loadModel(options = {}) {
      const { loadStack } = await import('../loader/load.js');
      const { loadThroughCache } = await import('./model-cache.js');
      return loadThroughCache(
        {
          ...loadOptions,
          ...(options.services ? { services: [...options.services] } : {}),
          ...(options.interpolate === false ? { interpolate: false } : {}),
        },
        (full) => loadStack(full),
        { warn: (message) => writeMessage(context, 'warning', message) },
      );
    },
    async loadRawData() {
      const { loadRaw } = await import('../loader/load.js');
      const raw = await loadRaw({ ...loadOptions, interpolate: false });
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

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('\nInterrupted: finishing in-flight actions (Ctrl-C again to exit at once)\n');
      controller.abort(new StackError('INTERRUPTED', 'interrupted'));
    } else {
      process.exit(ExitCode.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let exitCode: number = ExitCode.ok;
  const program = new Command('stack');
  const debug = argv.includes('--debug');
  const color = colorAllowed(process.env, process.stderr.isTTY);
  program
    .description('Declarative containers for your machine and your CI: Compose files, a visible plan, idempotent reconcile.')
    .version(VERSION, '-v, --version', 'print the version')
    .option('-f, --file <path>', 'stack file (repeatable; merged in order)', collect, [])
    .option('-p, --project-name <name>', 'project name')
    .option('--project-directory <dir>', 'project directory (default: the first file\'s directory)')
    .option('--profile <name>', 'enable a profile (repeatable; * enables all)', collect, [])
    .option('--env-file <path>', 'read variables from this file instead of .env (repeatable)', collect, [])
    .addOption(new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'json', 'quiet']).default('auto'))
    .option('--parallel <n>', 'maximum concurrent engine calls')
    .option('--debug', 'print stack traces')
    .option('--target <target>', 'where the stack runs: local (this engine, default) or swarm (services on a Swarm manager)')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const run: Runner = async (body) => {
    try {
      exitCode = await body(buildContext(program, controller.signal));
    } catch (error) {
      exitCode = writeError(frameTerminal(argv, color), asInterrupted(error, controller.signal), { cwd: process.cwd(), debug });
    }
  };

  registerConfig(program, run);
  program
    .command('version')
    .description('show the stack version')
    .option('--format <format>', 'pretty or json', 'pretty')
    .action((opts: { format: string }) =>
      run(async (ctx) => {
        const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
        ctx.stdout.write(opts.format === 'json' ? JSON.stringify(info) + '\n' : `stack version ${VERSION} (node ${info.node}, ${info.platform})\n`);
        return ExitCode.ok;
      }),
    );

  const name = findCommandName(argv);
  if (name === undefined || !LIGHT_COMMANDS.has(name)) {
    const { engineCommands } = await import('./commands/index.js');
    for (const register of engineCommands) register(program, run);
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return ExitCode.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return ExitCode.invalid;
    return writeError(frameTerminal(argv, color), asInterrupted(error, controller.signal), { cwd: process.cwd(), debug });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return exitCode satisfies CommandResult;
}
