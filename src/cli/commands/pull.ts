/**
 * `stack pull [services]`: pull the image of every named service that names one (`image:`),
 * whatever its pull_policy, with per-image progress. `--ignore-buildable` skips services that
 * have a build section; a failed pull of a buildable image is a warning (it can be built).
 */
import type { Command } from 'commander';
import { withDependencies } from '../options.js';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { writeMessage } from '../../render/diagnostics.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `pull`. */
export interface PullFlags {
  ignoreBuildable?: boolean;
  quiet?: boolean;
  /** Failed pulls are warnings; the others still run (exit 0). */
  ignorePullFailures?: boolean;
  /** Also pull the images of the named services' dependencies. */
  includeDeps?: boolean;
  /** `missing`: pull only images the engine lacks; `always` (default). */
  policy?: string;
}

/** Runs `pull`. */
export async function runPullCommand(
  ctx: CliContext,
  services: readonly string[],
  flags: PullFlags,
): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')}`);
  if (flags.policy !== undefined && flags.policy !== 'missing' && flags.policy !== 'always')
    throw new StackError('USAGE', `--policy expects missing or always, got "${flags.policy}"`);
  const named = flags.includeDeps || services.length === 0 ? await withDependencies(model, services) : [...services];
  // A build-only image (no `image:`) has nowhere to be pulled from; pull_policy: build never pulls.
  const pullable = named.filter((s) => {
    const spec = model.services[s]!;
    if (spec.image === undefined) return false;
    if (spec.build && (flags.ignoreBuildable || spec.pullPolicy === 'build')) return false;
    return true;
  });
  if (pullable.length === 0) return ExitCode.ok;
  const engine = await openEngine(ctx);
  const { ensureImages } = await import('../../images/ensure.js');
  const { createImageProgress } = await import('../../render/image-progress.js');
  const progress = createImageProgress({ mode: flags.quiet ? 'quiet' : ctx.progress, out: ctx.stderr });
  const warnings: string[] = [];
  const observed =
    flags.policy === 'missing'
      ? await (await import('../../engine/observe.js')).observeImages(engine, model, ctx.signal)
      : [];
  const pull = (only: readonly string[]) =>
    ensureImages(
      engine,
      model,
      { images: observed },
      {
        build: 'never',
        pull: flags.policy === 'missing' ? 'missing' : 'always',
        services: only,
        pullFailureOfBuildableIsWarning: true,
        env: ctx.env,
        signal: ctx.signal,
        onEvent: (e) => progress.onEvent(e),
        ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
      },
    );
  try {
    if (!flags.ignorePullFailures) {
      warnings.push(...(await pull(pullable)).warnings);
    } else {
      // One service at a time, so that one failure does not stop the others.
      for (const service of pullable) {
        try {
          warnings.push(...(await pull([service])).warnings);
        } catch (error) {
          if (!(error instanceof StackError) || error.code === 'INTERRUPTED') throw error;
          warnings.push(`service ${service}: ${error.message} (ignored: --ignore-pull-failures)`);
        }
      }
    }
  } finally {
    progress.end();
  }
  for (const warning of warnings) writeMessage(ctx, 'warning', warning);
  return ExitCode.ok;
}

/** Registers `stack pull`. */
export function registerPull(program: Command, run: Runner): void {
  program
    .command('pull')
    .description('pull the images of services')
    .argument('[services...]', 'only these services')
    .option('--ignore-buildable', 'skip services that have a build section')
    .option('-q, --quiet', 'pull without printing progress')
    .option('--ignore-pull-failures', 'pull what can be pulled; failures are warnings')
    .option('--include-deps', "also pull the images of the named services' dependencies")
    .option('--policy <policy>', 'missing (only images the engine lacks) or always (default)')
    .action((services: string[], flags: PullFlags) => run((ctx) => runPullCommand(ctx, services, flags)));
}
