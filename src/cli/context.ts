/**
 * What every command gets from the CLI frame: the global options (Compose's: before the
 * command), the environment, output streams and a lazy model loader. Commands return an
 * exit code or throw a StackError; only the frame (main.ts) calls process.exit.
 */
import type { Writable } from 'node:stream';
import type { StackModel } from '../model.js';
import type { LoadOptions } from '../loader/load.js';
import type { CacheKind } from './model-cache.js';

import type { ProgressMode } from '../render/terminal.js';

export type { ProgressMode };

/** Global options, valid before any command: `stack -f a.yaml -p demo --profile dev up -d`. */
export interface GlobalOptions {
  readonly file: readonly string[];
  readonly projectName?: string;
  readonly projectDirectory?: string;
  readonly profile: readonly string[];
  readonly envFile: readonly string[];
  readonly progress: ProgressMode;
  /** Bound on concurrent engine calls; undefined = the default chosen by benchmark. */
  readonly parallel?: number;
  readonly debug: boolean;
  /** `--target local|swarm` (else STACK_TARGET, else the file's `x-stack: {target}`). */
  readonly target?: string;
  /** `--dry-run`: every command runs against an engine that reads but never writes. */
  readonly dryRun: boolean;
}

export interface CliContext {
  readonly globals: GlobalOptions;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean };
  /** Colour allowed on stderr (TTY and no NO_COLOR, or `--ansi always`). */
  readonly color: boolean;
  /** Colour allowed on stdout (log lines): as `color`, judged on stdout (`--ansi always`: even piped). */
  readonly stdoutColor?: boolean;
  /** The progress mode after resolving `auto` (tty / plain from TTY and CI). */
  readonly progress: Exclude<ProgressMode, 'auto'>;
  /** True when a person can answer a prompt (stdin and stderr are TTYs, not CI). */
  readonly interactive: boolean;
  /**
   * Loads the stack (with the global -f/-p/--profile/--env-file options); `services` named on
   * the command line enable their profiles. Warnings are printed once by the frame.
   */
  loadModel(options?: { services?: readonly string[]; interpolate?: boolean }): Promise<StackModel>;
  /**
   * Another kind of load (the swarm target's: the model and what it reads of the raw files)
   * with loadModel's options, through the same cache. `load` must return plain JSON data.
   */
  loadCached<T>(kind: CacheKind, load: (options: LoadOptions) => Promise<T>): Promise<T>;
  /**
   * The result of that kind of load (loadCached's options) when the cache holds a valid entry
   * for it, else undefined: nothing is loaded or stored.
   */
  peekCached<T>(kind: CacheKind): Promise<T | undefined>;
  /** The merged stack files (extends applied), not interpolated and not normalized (`config --no-interpolate`). */
  loadRawData(): Promise<Record<string, unknown>>;
  /** Prints warnings/diagnostics in the standard format to stderr. */
  printWarnings(model: StackModel): void;
  /** An AbortSignal aborted on the first Ctrl-C (a second Ctrl-C exits at once). */
  readonly signal: AbortSignal;
  /**
   * What Ctrl-C means from now on (attached `up`): `message` replaces the frame's line on the
   * first one (null: none); `onForce` runs on the second before the exit (130), bounded in time;
   * `forward` takes every SIGINT/SIGTERM instead (nothing is aborted).
   */
  setInterruptBehavior(behavior: {
    readonly message: string | null;
    readonly onForce?: () => Promise<void>;
    /** Set: SIGINT and SIGTERM go here instead (`attach --sig-proxy` forwards them to the container). */
    readonly forward?: (signal: NodeJS.Signals) => void;
  }): void;
}

/** A command's outcome: the exit code (0 ok, 1 failure, 2 invalid, 130 interrupted). */
export type CommandResult = number;

/**
 * Commands register themselves on the commander program and hand their body to `run`, which
 * builds the context, catches StackErrors (formatted diagnostics, exit code) and sets the
 * process exit code. Example:
 *
 *   export function registerUp(program: Command, run: Runner): void {
 *     program.command('up').argument('[services...]').option('-d, --detach', '...')
 *       .action((services: string[], opts: UpFlags) => run((ctx) => runUp(ctx, services, opts)));
 *   }
 */
export type Runner = (body: (ctx: CliContext) => Promise<CommandResult>) => Promise<void>;
