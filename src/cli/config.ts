/**
 * `stack config`: load, validate and print the resolved stack (Compose long syntax), or one
 * of its lists. Never touches the engine; loads neither dockerode, listr2 nor chokidar.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { stringify } from 'yaml';
import { ExitCode } from '../errors.js';
import type { StackModel } from '../model.js';
import { toComposeConfig } from '../schema/serialize.js';
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

/** The list a `--services`/`--volumes`/... flag asks for, or undefined for the full config. */
function listFor(model: StackModel, flags: ConfigFlags): string[] | undefined {
  if (flags.services) return Object.keys(model.services).sort();
  if (flags.volumes) return Object.keys(model.volumes).sort();
  if (flags.networks) return Object.keys(model.networks).sort();
  if (flags.profiles) return [...model.profiles];
  if (flags.images) return [...new Set(Object.keys(model.services).sort().map((s) => serviceImage(model, s)))];
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
        // Without interpolation values like "${PORT}:80" cannot be normalized: print the merged
        // files as written (extends applied), like `docker-compose config --no-interpolate`.
        if (!flags.interpolate && !flags.profiles && !flags.images) {
          const raw = await ctx.loadRawData();
          if (flags.quiet) return ExitCode.ok;
          const keysOf = (key: string): string[] => Object.keys((raw[key] ?? {}) as Record<string, unknown>).sort();
          const list = flags.services ? keysOf('services') : flags.volumes ? keysOf('volumes') : flags.networks ? keysOf('networks') : undefined;
          if (list) {
            ctx.stdout.write(list.map((item) => item + '\n').join(''));
            return ExitCode.ok;
          }
          const all = (raw['services'] ?? {}) as Record<string, unknown>;
          const config = { ...raw, services: services.length > 0 ? Object.fromEntries(Object.entries(all).filter(([name]) => services.includes(name))) : all };
          ctx.stdout.write(flags.format === 'json' ? JSON.stringify(config, null, 2) + '\n' : stringify(config, { lineWidth: 0 }));
          return ExitCode.ok;
        }
        const model = await ctx.loadModel({ services, interpolate: flags.interpolate });
        ctx.printWarnings(model);
        if (flags.quiet) return ExitCode.ok;
        const list = listFor(model, flags);
        if (list) {
          ctx.stdout.write(list.map((item) => item + '\n').join(''));
          return ExitCode.ok;
        }
        const config = toComposeConfig(model);
        if (services.length > 0) {
          const all = config['services'] as Record<string, unknown>;
          config['services'] = Object.fromEntries(Object.entries(all).filter(([name]) => services.includes(name)));
        }
        ctx.stdout.write(flags.format === 'json' ? JSON.stringify(config, null, 2) + '\n' : stringify(config, { lineWidth: 0 }));
        return ExitCode.ok;
      }),
    );
}
