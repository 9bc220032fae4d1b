/**
 * `stack build [services]`: build every named service that has a build section (all of them
 * by default), with `--no-cache`, `--pull` and `--build-arg K=V` (a bare `K` takes the value
 * from the environment). A build shared by several services runs once.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { collect, withDependencies } from '../options.js';
import { writeMessage } from '../../render/diagnostics.js';
import { loadProject, openEngine } from './session.js';
import type { StackModel } from '../../model.js';

/** The flags of `build`. */
export interface BuildFlags {
  cache?: boolean;
  pull?: boolean;
  buildArg: string[];
  quiet?: boolean;
  /** Also build the services the named ones depend on. */
  withDependencies?: boolean;
  /** Push the built images (services with `image:`) afterwards. */
  push?: boolean;
  /** Print the build definitions (Compose's bake JSON shape) and build nothing. */
  print?: boolean;
}

/** The builds as `docker compose build --print` shows them: a bake file (group + targets). */
export function bakeDefinition(
  model: StackModel,
  services: readonly string[],
  buildArgs: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const targets: Record<string, unknown> = {};
  for (const name of services) {
    const spec = model.services[name]!;
    const build = spec.build!;
    const args = Object.fromEntries(
      Object.entries({ ...build.args, ...buildArgs }).filter((e): e is [string, string] => e[1] !== null),
    );
    targets[name] = {
      context: build.context,
      dockerfile: build.dockerfile ?? 'Dockerfile',
      ...(Object.keys(args).length > 0 ? { args } : {}),
      ...(Object.keys(build.labels).length > 0 ? { labels: build.labels } : {}),
      tags: [spec.image ?? `${model.name}-${name}`, ...build.tags],
      ...(build.target !== undefined ? { target: build.target } : {}),
      ...(build.network !== undefined ? { network: build.network } : {}),
    };
  }
  return { group: { default: { targets: Object.keys(targets) } }, target: targets };
}

/** `--build-arg K=V` / `--build-arg K` (from the environment) → a map; USAGE on an empty key. */
export function parseBuildArgs(
  entries: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const key = eq === -1 ? entry : entry.slice(0, eq);
    if (key === '') throw new StackError('USAGE', `--build-arg expects KEY=VALUE, got "${entry}"`);
    const value = eq === -1 ? env[key] : entry.slice(eq + 1);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Runs `build`. */
export async function runBuildCommand(
  ctx: CliContext,
  services: readonly string[],
  flags: BuildFlags,
): Promise<CommandResult> {
  const model = await loadProject(ctx, services);
  const unknown = services.filter((s) => !model.services[s]);
  if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')}`);
  const named =
    flags.withDependencies || services.length === 0 ? await withDependencies(model, services) : [...services];
  const buildable = named.filter((s) => model.services[s]!.build !== undefined);
  for (const s of named)
    if (!model.services[s]!.build && services.length > 0)
      writeMessage(ctx, 'warning', `service ${s} has no build section; skipped`);
  if (buildable.length === 0) {
    ctx.stderr.write('nothing to build: no selected service has a build section\n');
    return ExitCode.ok;
  }
  const buildArgs = parseBuildArgs(flags.buildArg, ctx.env);
  if (flags.print) {
    ctx.stdout.write(JSON.stringify(bakeDefinition(model, buildable, buildArgs), null, 2) + '\n');
    return ExitCode.ok;
  }
  const engine = await openEngine(ctx);
  const { ensureImages } = await import('../../images/ensure.js');
  const { createImageProgress } = await import('../../render/image-progress.js');
  const progress = createImageProgress({ mode: flags.quiet ? 'quiet' : ctx.progress, out: ctx.stderr });
  try {
    const result = await ensureImages(
      engine,
      model,
      { images: [] },
      {
        build: 'always',
        services: buildable,
        env: ctx.env,
        signal: ctx.signal,
        onEvent: (e) => progress.onEvent(e),
        ...(flags.cache === false ? { noCache: true } : {}),
        ...(flags.pull ? { pullBase: true } : {}),
        ...(Object.keys(buildArgs).length > 0 ? { buildArgs } : {}),
        ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
      },
    );
    if (flags.quiet) for (const b of result.built) ctx.stdout.write(`${b.imageId}\n`);
  } finally {
    progress.end();
  }
  if (flags.push) {
    const { pushImages, pushTargets } = await import('../../images/push.js');
    await pushImages(engine, pushTargets(model, buildable), {
      env: ctx.env,
      signal: ctx.signal,
      onDone: (ref) => {
        if (!flags.quiet && ctx.progress !== 'quiet') ctx.stderr.write(` Image ${ref}  Pushed\n`);
      },
    });
  }
  return ExitCode.ok;
}

/** Registers `stack build`. */
export function registerBuild(program: Command, run: Runner): void {
  program
    .command('build')
    .description('build the images of services with a build section')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'do not use the build cache')
    .option('--pull', 'always try to pull a newer version of the base images')
    .option(
      '--build-arg <key=value>',
      'set a build argument (repeatable; KEY alone takes it from the environment)',
      collect,
      [],
    )
    .option('-q, --quiet', 'print only the image IDs')
    .option('--with-dependencies', 'also build the services the named ones depend on')
    .option('--push', 'push the built images (services with image:)')
    .option('--print', 'print the build definitions as JSON (a bake file) and build nothing')
    .action((services: string[], flags: BuildFlags) => run((ctx) => runBuildCommand(ctx, services, flags)));
}
