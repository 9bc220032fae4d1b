/**
 * Flags → options, once. `up`, `plan`, `watch` and the reload under `up --watch` all take their
 * planner, image and run options from here, so a reload runs what the first `up` ran
 * (`--scale`, `--force-recreate`, `--remove-orphans`, `-V`, `--no-start`, the lock file).
 */
import { StackError } from '../errors.js';
import { didYouMean } from '../loader/suggest.js';
import type { StackModel } from '../model.js';
import type { UpOptions } from '../planner/types.js';
import type { ImageOptions, OperationHooks, UpStackOptions } from '../pipeline/stack.js';
import type { CliContext } from './context.js';
import { writeMessage } from '../render/diagnostics.js';

/** The flags shared by `up`, `plan` and `watch` that shape the plan and the images. */
export interface PlanFlags {
  forceRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  renewAnonVolumes?: boolean;
  scale?: string[];
  start?: boolean;
  /** `--build` true, `--no-build` false, neither undefined. */
  build?: boolean;
  pull?: string;
  /** `--no-lock`: ignore the lock file. */
  lock?: boolean;
  /** `--quiet-pull`: no pull progress (and no build output, as in Compose). */
  quietPull?: boolean;
  /** `--quiet-build`: no build output. */
  quietBuild?: boolean;
}

const PULL_MODES = ['policy', 'always', 'missing', 'never', 'build'] as const;

/**
 * `--pull` → the image pull mode (Compose's: every service's pull_policy replaced by it;
 * `if_not_present` is `missing`); USAGE on anything else.
 */
export function parsePull(value: string | undefined): NonNullable<ImageOptions['pull']> {
  if (value === undefined) return 'policy';
  if (value === 'if_not_present') return 'missing';
  const mode = PULL_MODES.find((m) => m === value);
  if (!mode) throw new StackError('USAGE', `--pull expects one of ${PULL_MODES.join(', ')}, got "${value}"`);
  return mode;
}

/** `--scale web=3` → { web: 3 }; USAGE on a malformed entry. */
export function parseScale(entries: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const entry of entries) {
    const match = /^([^=]+)=(\d+)$/.exec(entry);
    if (!match) throw new StackError('USAGE', `--scale expects SERVICE=NUMBER, got "${entry}"`);
    scale[match[1]!] = Number(match[2]);
  }
  return scale;
}

/** `--wait-timeout 30` → 30; USAGE on a negative or non-number. */
export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new StackError('USAGE', `${flag} expects a number of seconds, got "${value}"`);
  return n;
}

/**
 * The value of a boolean flag that Compose spells `--flag=false` (`--sig-proxy`, `--orphans`):
 * true/1 or false/0; USAGE otherwise. Used as the parser of `--flag [bool]`.
 */
export function booleanFlag(flag: string): (value: string) => boolean {
  return (value) => {
    if (/^(true|1)$/i.test(value)) return true;
    if (/^(false|0)$/i.test(value)) return false;
    throw new StackError('USAGE', `${flag} expects true or false, got "${value}"`);
  };
}

/**
 * The named services and the services they depend on (`--include-deps`,
 * `--with-dependencies`); all when none is named.
 */
export async function withDependencies(model: StackModel, services: readonly string[]): Promise<string[]> {
  if (services.length === 0) return Object.keys(model.services).sort();
  const { buildGraph, selectServices } = await import('../planner/graph.js');
  return [...selectServices(buildGraph(model), services)].sort();
}

/** `--index 2` (a replica number) → 2; USAGE unless a whole number from 1. */
export function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new StackError('USAGE', `--index expects a positive integer, got "${value}"`);
  return n;
}

/** Repeatable commander option collector. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** USAGE naming the services the model does not have (and the ones it has). */
export function checkServices(model: StackModel, services: readonly string[], what = 'service'): void {
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length === 0) return;
  const known = Object.keys(model.services).sort();
  const hints = unknown.map((s) => didYouMean(s, known)).filter((h) => h !== undefined);
  throw new StackError(
    'USAGE',
    `no such ${what}: ${unknown.join(', ')} (services: ${known.join(', ')})` +
      (hints.length > 0 ? `; ${hints.join('; ')}` : ''),
  );
}

/** The flags of `up`/`plan`/`watch` as the options of `upStack`/`planStack`, checked once. */
export function upStackOptions(services: readonly string[], flags: PlanFlags, model?: StackModel): UpStackOptions {
  if (flags.forceRecreate && flags.recreate === false)
    throw new StackError('USAGE', '--force-recreate and --no-recreate cannot be combined');
  if (flags.alwaysRecreateDeps && flags.recreate === false)
    throw new StackError('USAGE', '--always-recreate-deps and --no-recreate cannot be combined');
  if (flags.pull === 'build' && flags.build === false)
    throw new StackError('USAGE', '--pull build and --no-build cannot be combined');
  const scale = parseScale(flags.scale ?? []);
  if (model) {
    checkServices(model, services);
    checkServices(model, Object.keys(scale), 'service in --scale');
  }
  const plan: UpOptions = {
    ...(services.length > 0 ? { services } : {}),
    ...(flags.forceRecreate ? { forceRecreate: true } : {}),
    ...(flags.alwaysRecreateDeps ? { alwaysRecreateDeps: true } : {}),
    ...(flags.recreate === false ? { noRecreate: true } : {}),
    ...(flags.deps === false ? { noDeps: true } : {}),
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(flags.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    // Destructive actions are planned, then confirmed (prompt, or --yes when not interactive).
    allowDestructive: true,
    ...(flags.start === false ? { noStart: true } : {}),
  };
  const images: ImageOptions = {
    build: flags.build === true ? 'always' : flags.build === false ? 'never' : 'auto',
    pull: parsePull(flags.pull),
    ...(flags.lock === false ? { lockFile: false } : {}),
  };
  return { plan, images };
}

/**
 * The hooks of a pipeline run from the CLI context: progress renderers for the mode, the
 * prompt for destructive actions, warnings and notices on stderr, the lock's wait message.
 */
export async function operationHooks(
  ctx: CliContext,
  options: {
    yes?: boolean;
    command: string;
    waitTimeoutMs?: number;
    quiet?: Pick<PlanFlags, 'quietPull' | 'quietBuild'>;
  },
): Promise<OperationHooks> {
  const { createProgress } = await import('../render/progress.js');
  const { confirmDestructive } = await import('./commands/session.js');
  const { describeHolder } = await import('../pipeline/lock.js');
  const printed = new Set<string>();
  const { envTrue } = await import('./compose-env.js');
  // COMPOSE_IGNORE_ORPHANS: no word about orphan containers.
  const ignoreOrphans = envTrue(ctx.env['COMPOSE_IGNORE_ORPHANS']);
  const renderPlan = ctx.globals.dryRun ? (await import('../planner/render.js')).renderPlan : undefined;
  return {
    signal: ctx.signal,
    env: ctx.env,
    cwd: ctx.cwd,
    command: options.command,
    yes: options.yes === true,
    confirm: (destructive) => confirmDestructive(ctx, destructive),
    progress: () => createProgress(ctx),
    imageProgress: async () => {
      const { createImageProgress } = await import('../render/image-progress.js');
      const progress = createImageProgress({ mode: ctx.progress, out: ctx.stderr });
      // --quiet-pull: no layer progress, and (as Compose) no build output; --quiet-build: no build output.
      const quietPull = options.quiet?.quietPull === true;
      const quietBuild = quietPull || options.quiet?.quietBuild === true;
      return {
        onEvent: (event) => {
          if ((quietPull && event.type === 'pull-progress') || (quietBuild && event.type === 'build-line')) return;
          progress.onEvent(event);
        },
        end: () => progress.end(),
      };
    },
    onWarning: (message) => writeMessage(ctx, 'warning', message),
    onNotice: (message) => writeMessage(ctx, 'notice', message),
    // A re-planned run (after a conflict) repeats its notes: each is printed once.
    onPlan: (plan) => {
      if (renderPlan) {
        // The plan handed over is the planner's (project and orphans at run time).
        const text = renderPlan({ version: 1, project: '', orphans: [], ...plan }, 'text');
        ctx.stdout.write(text.endsWith('\n') ? text : text + '\n');
      }
      for (const note of plan.notes.filter(
        (n) => !printed.has(n) && !(ignoreOrphans && n.startsWith('orphan containers kept')),
      )) {
        printed.add(note);
        writeMessage(ctx, 'note', note);
      }
    },
    onLockWait: (holder) => ctx.stderr.write(`waiting for lock held by ${describeHolder(holder)}\n`),
    ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
    ...(ctx.globals.dryRun ? { dryRun: true } : {}),
    ...(options.waitTimeoutMs !== undefined ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
  };
}
