/**
 * `stack push [services]`: pushes the images of services that have both `build:` and
 * `image:` (src/images/push.ts); `--ignore-push-failures` reports failures as warnings.
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { pushImages, pushTargets } from '../../images/push.js';
import { writeMessage } from '../../render/diagnostics.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { checkServices, withDependencies } from '../options.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `push`. */
export interface PushFlags {
  ignorePushFailures?: boolean;
  includeDeps?: boolean;
  quiet?: boolean;
}

/** Runs `push`. */
export async function runPush(ctx: CliContext, services: readonly string[], flags: PushFlags): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  checkServices(model, services);
  // --include-deps: the named services' dependencies too (Compose pushes only the named ones otherwise).
  const targets = pushTargets(model, flags.includeDeps ? await withDependencies(model, services) : services);
  if (targets.length === 0) return ExitCode.ok;
  const engine = await openEngine(ctx);
  const failures = await pushImages(engine, targets, {
    env: ctx.env,
    signal: ctx.signal,
    ...(flags.ignorePushFailures ? { ignoreFailures: true } : {}),
    onDone: (ref) => {
      if (!flags.quiet && ctx.progress !== 'quiet') ctx.stderr.write(` Image ${ref}  Pushed\n`);
    },
  });
  for (const f of failures) writeMessage(ctx, 'warning', `${f.message} (ignored: --ignore-push-failures)`);
  return ExitCode.ok;
}

export function registerPush(program: Command, run: Runner): void {
  program
    .command('push')
    .description('push the images of services that have build: and image:')
    .argument('[services...]', 'only these services')
    .option('--ignore-push-failures', 'push what can be pushed; failures are warnings')
    .option('--include-deps', "also push the images of the named services' dependencies")
    .option('-q, --quiet', 'push without printing progress')
    .action((services: string[], flags: PushFlags) => run((ctx) => runPush(ctx, services, flags)));
}
