/**
 * `stack pull [services]`: pull the image of every named service that names one (`image:`),
 * whatever its pull_policy, with per-image progress. `--ignore-buildable` skips services that
 * have a build section; a failed pull of a buildable image is a warning (it can be built).
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { writeMessage } from '../../render/diagnostics.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `pull`. */
export interface PullFlags {
  ignoreBuildable?: boolean;
  quiet?: boolean;
}

/** Runs `pull`. */
export async function runPullCommand(ctx: CliContext, services: readonly string[], flags: PullFlags): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')}`);
  const named = services.length > 0 ? services : Object.keys(model.services).sort();
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
  let warnings: readonly string[] = [];
  try {
    const result = await ensureImages(engine, model, { images: [] }, {
      build: 'never',
      pull: 'always',
      services: pullable,
      pullFailureOfBuildableIsWarning: true,
      env: ctx.env,
      signal: ctx.signal,
      onEvent: (e) => progress.onEvent(e),
      ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
    });
    warnings = result.warnings;
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
    .action((services: string[], flags: PullFlags) => run((ctx) => runPullCommand(ctx, services, flags)));
}
