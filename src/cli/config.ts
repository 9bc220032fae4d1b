/**
 * `stack config`: load, validate and print the resolved stack (Compose long syntax), or one
 * of its lists. Never touches the engine; loads neither dockerode, listr2 nor chokidar.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { stringify } from 'yaml';
import { ExitCode } from '../errors.js';
import type { StackModel } from '../model.js';
import { toComposeConfig } from '../loader/serialize.js';
import type { Runner } from './context.js';

interface ConfigFlags {
  format: 'yaml' | 'json';
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  interpolate: boolean;
  output?: string;
}

/** The image a service runs: `image:` or, for a build without one, `<project>-<service>`. */
export function serviceImage(model: StackModel, service: string): string {
  const spec = model.services[service];
  return spec?.image ?? `${model.name}-${service}`;
}

/**
 * The list a `--services`/`--volumes`/... flag asks for, or undefined for the full config.
 * Services named on the command line narrow `--services` and `--images` as they narrow the
 * printed config (the named services only).
 */
function listFor(model: StackModel, flags: ConfigFlags, named: readonly string[]): string[] | undefined {
  const services = Object.keys(model.services)
    .filter((s) => named.length === 0 || named.includes(s))
    .sort();
  if (flags.services) return services;
  if (flags.volumes) return Object.keys(model.volumes).sort();
  if (flags.networks) return Object.keys(model.networks).sort();
  if (flags.profiles) return [...model.profiles];
  if (flags.images) return [...new Set(services.map((s) => serviceImage(model, s)))];
  return undefined;
}

export function registerConfig(program: Command, run: Runner): void {
  program
    .command('config')
    .alias('convert')
    .description('validate the stack file(s) and print the resolved configuration')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('-q, --quiet', 'only validate; print nothing')
    .option('--services', 'print the service names, one per line')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('--no-interpolate', 'do not interpolate environment variables')
    .argument('[services...]', 'only these services (and enable their profiles)')
    .action((services: string[], flags: ConfigFlags) =>
      run(async (ctx) => {
        // Validates, selects profiles and checks the rules either way; without interpolation
        // values that are still templates (like "${PORT}:80") are left unchecked.
        const model = await ctx.loadModel({ services, interpolate: flags.interpolate });
        const swarm = await import('./commands/swarm.js');
        // On Swarm the full config is the service specs as they would be sent (images by digest).
        if (swarm.swarmTarget(ctx, model) && !flags.quiet && listFor(model, flags, services) === undefined) return swarm.swarmConfig(ctx);
        const list = listFor(model, flags, services);
        if (flags.quiet || list) ctx.printWarnings(model);
        if (flags.quiet) return ExitCode.ok;
        if (list) {
          ctx.stdout.write(list.map((item) => item + '\n').join(''));
          return ExitCode.ok;
        }
        let config: Record<string, unknown>;
        if (flags.interpolate) {
          ctx.printWarnings(model);
          config = toComposeConfig(model);
        } else {
          // Print the merged files as written (extends applied), like
          // `docker-compose config --no-interpolate`; loadRawData prints the file warnings.
          const raw = await ctx.loadRawData();
          const all = (raw['services'] ?? {}) as Record<string, unknown>;
          config = { ...raw, services: Object.fromEntries(Object.entries(all).filter(([name]) => name in model.services)) };
        }
        if (services.length > 0) {
          const all = config['services'] as Record<string, unknown>;
          config['services'] = Object.fromEntries(Object.entries(all).filter(([name]) => services.includes(name)));
        }
        ctx.stdout.write(flags.format === 'json' ? JSON.stringify(config, null, 2) + '\n' : stringify(config, { lineWidth: 0 }));
        return ExitCode.ok;
      }),
    );
}
