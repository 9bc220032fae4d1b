/**
 * `stack config`: load, validate and print the resolved stack (Compose long syntax), or one
 * of its lists. Never touches the engine; loads neither dockerode, listr2 nor chokidar.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { stringify } from 'yaml';
import { ExitCode, StackError } from '../errors.js';
import type { StackModel } from '../model.js';
import { toComposeConfig } from '../loader/serialize.js';
import { emitYaml } from '../loader/emit-yaml.js';
import type { CliContext, Runner } from './context.js';

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
  /** `--hash "*"` or `--hash web,db`: one `service hash` line each. */
  hash?: string;
  variables?: boolean;
  environment?: boolean;
  /** Images pinned to the digests their registries serve now (asked through the engine). */
  resolveImageDigests?: boolean;
  /** Only the pinned images, as an override file (implies resolveImageDigests). */
  lockImageDigests?: boolean;
}

/** One `${…}` of the stack files, as `config --variables` lists it. */
export interface TemplateVariable {
  readonly name: string;
  readonly required: boolean;
  readonly defaultValue: string;
  readonly alternateValue: string;
}

/** Calls `on` for each `$NAME` / `${NAME…}` of `text`, nested ones in defaults included. */
function scanTemplate(text: string, on: (variable: TemplateVariable) => void): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    const next = text[i + 1];
    if (next === '$') {
      i++;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
      }
      const body = text.slice(i + 2, j - 1);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
      if (m) {
        const op = m[2] ?? '';
        const arg = m[3] ?? '';
        on({
          name: m[1]!,
          required: op.endsWith('?'),
          defaultValue: op.endsWith('-') ? arg : '',
          alternateValue: op.endsWith('+') ? arg : '',
        });
        scanTemplate(arg, on);
      }
      i = j - 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (m) {
      on({ name: m[0], required: false, defaultValue: '', alternateValue: '' });
      i += m[0].length;
    }
  }
}

/**
 * The variables the (uninterpolated) files use, by name, as compose-go extracts them:
 * `:-`/`-` give a default, `:+`/`+` an alternate value, `:?`/`?` make it required; `$$` is
 * an escaped dollar.
 */
export function extractVariables(data: unknown): TemplateVariable[] {
  const found = new Map<string, TemplateVariable>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      scanTemplate(value, (variable) => {
        if (!found.has(variable.name) || variable.required || variable.defaultValue || variable.alternateValue)
          found.set(variable.name, variable);
      });
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        visit(key);
        visit(item);
      }
    }
  };
  visit(data);
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/**
 * `--resolve-image-digests`: every service's `image:` pinned to the digest its registry serves
 * now (`name:tag@sha256:…`, as Compose); `--lock-image-digests`: only those, as an override file
 * (`services: {web: {image: …}}`). The one part of `config` that asks the engine (loaded lazily).
 */
async function pinConfigImages(
  ctx: CliContext,
  config: Record<string, unknown>,
  lockOnly: boolean,
): Promise<Record<string, unknown>> {
  const services = (config['services'] ?? {}) as Record<string, Record<string, unknown>>;
  const images = Object.values(services)
    .map((service) => service['image'])
    .filter((image): image is string => typeof image === 'string');
  const { openEngine } = await import('./commands/session.js');
  const { pinImageDigests } = await import('../images/digests.js');
  const pinned = await pinImageDigests(await openEngine(ctx), images, { env: ctx.env, signal: ctx.signal });
  const withPins = Object.fromEntries(
    Object.entries(services).map(([name, service]) => {
      const image = service['image'];
      return [name, typeof image === 'string' ? { ...service, image: pinned.get(image) ?? image } : service];
    }),
  );
  if (!lockOnly) return { ...config, services: withPins };
  const locked = Object.entries(withPins).filter(([, service]) => typeof service['image'] === 'string');
  return { services: Object.fromEntries(locked.map(([name, service]) => [name, { image: service['image'] }])) };
}

/** Whether `config` prints the whole resolved configuration (no flag asks for a part of it). */
function wholeConfig(flags: ConfigFlags): boolean {
  const parts = [flags.quiet, flags.services, flags.volumes, flags.networks, flags.profiles, flags.images];
  return (
    !parts.some(Boolean) &&
    !flags.environment &&
    flags.hash === undefined &&
    flags.interpolate &&
    !flags.resolveImageDigests &&
    !flags.lockImageDigests
  );
}

/** The configuration as `--format` asks. */
function formatConfig(config: Record<string, unknown>, format: ConfigFlags['format']): string {
  return format === 'json'
    ? JSON.stringify(config, null, 2) + '\n'
    : (emitYaml(config) ?? stringify(config, { lineWidth: 0 }));
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
    .option('--hash <services>', 'print a hash of each service\'s resolved configuration ("*" for all, or a,b)')
    .option('--variables', 'print the variables the stack files use, with their defaults')
    .option('--environment', 'print the environment used for interpolation (KEY=VALUE)')
    .option('-o, --output <path>', 'write the output to this file instead of stdout')
    .option('--resolve-image-digests', 'pin image tags to the digests their registries serve (asks the engine)')
    .option('--lock-image-digests', 'print an override file that pins every image to its digest')
    .argument('[services...]', 'only these services (and enable their profiles)')
    .action((services: string[], flags: ConfigFlags) =>
      run(async (ctx) => {
        // Validates, selects profiles and checks the rules either way; without interpolation
        // values that are still templates (like "${PORT}:80") are left unchecked.
        const write = async (text: string): Promise<number> => {
          if (flags.output === undefined) ctx.stdout.write(text);
          else (await import('node:fs')).writeFileSync(flags.output, text);
          return ExitCode.ok;
        };
        if (flags.variables) {
          const variables = extractVariables(await ctx.loadRawData());
          const rows = variables.map((v) => [v.name, String(v.required), v.defaultValue, v.alternateValue]);
          const table = [['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE'], ...rows];
          const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
          return write(
            table
              .map(
                (r) =>
                  r
                    .map((c, i) => c.padEnd(widths[i] ?? 0))
                    .join('   ')
                    .trimEnd() + '\n',
              )
              .join(''),
          );
        }
        // On Swarm the whole config is the service specs as they would be sent (images by
        // digest); the flags that print a part of the file (or its environment) read the file.
        const swarm = await import('./commands/swarm.js');
        const chosen = wholeConfig(flags) ? await swarm.loadForTarget(ctx, services) : undefined;
        if (chosen?.target === 'swarm')
          return write(formatConfig(await swarm.swarmConfig(ctx, services, chosen.loaded), flags.format));
        const model = chosen?.model ?? (await ctx.loadModel({ services, interpolate: flags.interpolate }));
        if (flags.environment) {
          // As the loader builds it: the env files (--env-file, else .env in the project
          // directory), each visible to the next, the shell winning.
          const { readFileSync, existsSync } = await import('node:fs');
          // eslint-disable-next-line @typescript-eslint/unbound-method -- a module function, not a method
          const { resolve } = await import('node:path');
          const { mergeEnvironment, parseEnvFile } = await import('../loader/env.js');
          const files =
            ctx.globals.envFile.length > 0
              ? ctx.globals.envFile.map((f) => resolve(ctx.cwd, f))
              : [resolve(model.workingDir, '.env')].filter((f) => existsSync(f));
          const parsed: Record<string, string>[] = [];
          for (const file of files)
            parsed.push(parseEnvFile(file, readFileSync(file, 'utf8'), mergeEnvironment(ctx.env, ...parsed)).value);
          const env = mergeEnvironment(ctx.env, ...parsed);
          return write(
            Object.keys(env)
              .sort()
              .map((k) => `${k}=${env[k]}\n`)
              .join(''),
          );
        }
        if (flags.hash !== undefined) {
          const { createHash } = await import('node:crypto');
          const { canonicalJson } = await import('../planner/hash.js');
          const config = toComposeConfig(model)['services'] as Record<string, unknown>;
          const wanted =
            flags.hash === '*' ? Object.keys(model.services).sort() : flags.hash.split(',').map((s) => s.trim());
          const unknown = wanted.filter((s) => !(s in config));
          if (unknown.length > 0) throw new StackError('USAGE', `no such service: ${unknown.join(', ')}`);
          return write(
            wanted.map((s) => `${s} ${createHash('sha256').update(canonicalJson(config[s])).digest('hex')}\n`).join(''),
          );
        }
        const list = listFor(model, flags, services);
        if (flags.quiet || list) await swarm.printTargetWarnings(ctx, model, { validate: true });
        if (flags.quiet) return ExitCode.ok;
        if (list) {
          return write(list.map((item) => item + '\n').join(''));
        }
        let config: Record<string, unknown>;
        if (flags.interpolate) {
          await swarm.printTargetWarnings(ctx, model);
          config = toComposeConfig(model);
        } else {
          // Print the merged files as written (extends applied), like
          // `docker-compose config --no-interpolate`; loadRawData prints the file warnings.
          const raw = await ctx.loadRawData();
          const all = (raw['services'] ?? {}) as Record<string, unknown>;
          config = {
            ...raw,
            services: Object.fromEntries(Object.entries(all).filter(([name]) => name in model.services)),
          };
        }
        if (services.length > 0) {
          const all = config['services'] as Record<string, unknown>;
          config['services'] = Object.fromEntries(Object.entries(all).filter(([name]) => services.includes(name)));
        }
        if (flags.resolveImageDigests || flags.lockImageDigests) {
          if (!flags.interpolate)
            throw new StackError('USAGE', 'image digests are resolved after interpolation: drop --no-interpolate');
          config = await pinConfigImages(ctx, config, flags.lockImageDigests === true);
        }
        return write(formatConfig(config, flags.format));
      }),
    );
}
