/**
 * `stack rm | wait | top | port | images`: Compose's per-container commands. Flags → the
 * pipeline's container functions (src/pipeline/containers.ts) → Compose's output.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { changeServiceStates, commandScope } from '../../pipeline/lifecycle.js';
import {
  findPublicPort,
  listContainerImages,
  listProcesses,
  listRemovable,
  removeContainers,
  waitForContainers,
} from '../../pipeline/containers.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { formatTable } from './ps.js';
import { parseIndex } from '../options.js';
import { confirm, loadProjectOrName, lockProject, openEngine, projectName } from './session.js';

/** The flags of `rm`. */
export interface RmFlags {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

/**
 * `rm`: removes the stopped containers of the services (`-s` stops them first). As Compose it
 * asks first ("Going to remove …"); `-f` does not ask. Without a person to answer and without
 * `-f` it refuses (exit 2) rather than remove unasked.
 */
export async function runRm(ctx: CliContext, services: readonly string[], flags: RmFlags): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const project = projectName(target);
  // With the engine: stops a killed run left in flight land first, and `-s` records its own.
  const lock = await lockProject(
    ctx,
    project,
    `stack rm${services.length > 0 ? ' ' + services.join(' ') : ''}`,
    engine,
  );
  try {
    if (flags.stop) {
      const failed = await changeServiceStates(engine, target, 'stop', {
        services,
        signal: ctx.signal,
        beforeStop: (grace) => lock.recordStop(grace),
        onDone: (name) => done(ctx, name, 'Stopped'),
      });
      if (failed.length > 0)
        throw new StackError(
          'APPLY_FAILED',
          `stop failed:\n${failed.map((f) => `  service:${f.service} (${f.container}): ${f.message}`).join('\n')}`,
        );
    }
    // As Compose: without names, the services of the loaded files (not the project's other files).
    const removable = await listRemovable(engine, project, commandScope(target, services) ?? [], ctx.signal);
    if (removable.length === 0) {
      ctx.stderr.write('No stopped containers\n');
      return ExitCode.ok;
    }
    const message = `Going to remove ${removable.map((c) => c.name).join(', ')}`;
    if (flags.force) {
      ctx.stdout.write(message + '\n');
    } else {
      if (!ctx.interactive)
        throw new StackError('CONFIRMATION_REQUIRED', `${message}: re-run with -f to remove without a prompt`);
      if (!(await confirm(ctx, `${message}\nAre you sure? [y/N] `))) return ExitCode.ok;
    }
    const failed = await removeContainers(engine, removable, {
      ...(flags.volumes ? { volumes: true } : {}),
      ...(flags.force ? { force: true } : {}),
      onDone: (name) => done(ctx, name, 'Removed'),
    });
    if (failed.length > 0)
      throw new StackError(
        'APPLY_FAILED',
        `rm failed:\n${failed.map((f) => `  ${f.container}: ${f.message}`).join('\n')}`,
      );
  } finally {
    lock.release();
  }
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

function done(ctx: CliContext, name: string, what: string): void {
  if (ctx.progress !== 'quiet') ctx.stderr.write(` Container ${name}  ${what}\n`);
}

/** `wait`: blocks until the services' containers stop; exits with the last one's exit code. */
export async function runWait(
  ctx: CliContext,
  services: readonly string[],
  flags: { downProject?: boolean },
): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const project = projectName(target);
  const code = await waitForContainers(engine, project, services, {
    signal: ctx.signal,
    onExit: (c, status) => ctx.stdout.write(`container "${c.id}" exited with status code ${status}\n`),
  });
  if (flags.downProject) {
    const { downStack } = await import('../../pipeline/stack.js');
    const { operationHooks } = await import('../options.js');
    await downStack(
      engine,
      target,
      { removeOrphans: true },
      await operationHooks(ctx, { command: 'stack wait --down-project' }),
    );
  }
  return code;
}

/** `top`: the processes of each running container, in Compose's table (SERVICE, #, then ps's columns, CMD last). */
export async function runTop(ctx: CliContext, services: readonly string[]): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const containers = (await listProcesses(engine, projectName(target), services, ctx.signal)).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const titles: string[] = [];
  for (const c of containers) for (const t of c.top.Titles) if (!titles.includes(t) && t !== 'CMD') titles.push(t);
  const hasCmd = containers.some((c) => c.top.Titles.includes('CMD'));
  const header = ['SERVICE', '#', ...titles, ...(hasCmd ? ['CMD'] : [])];
  const rows: string[][] = [];
  for (const c of containers) {
    for (const proc of c.top.Processes) {
      const cell = (title: string): string => {
        const i = c.top.Titles.indexOf(title);
        return i === -1 ? '-' : (proc[i] ?? '');
      };
      rows.push([c.service, String(c.replica), ...header.slice(2).map(cell)]);
    }
  }
  if (rows.length > 0) ctx.stdout.write(formatTable(header, rows));
  return ExitCode.ok;
}

/** `port SERVICE PRIVATE_PORT`: prints `IP:PORT` of the public binding. */
export async function runPort(
  ctx: CliContext,
  service: string,
  privatePort: string,
  flags: { protocol: string; index: string },
): Promise<CommandResult> {
  const port = Number(privatePort);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new StackError('USAGE', `PRIVATE_PORT must be a port number, got "${privatePort}"`);
  const index = parseIndex(flags.index);
  const target = await loadProjectOrName(ctx, [service]);
  const engine = await openEngine(ctx);
  const found = await findPublicPort(engine, projectName(target), service, port, {
    protocol: flags.protocol,
    index,
    signal: ctx.signal,
  });
  ctx.stdout.write(`${found.ip}:${found.port}\n`);
  return ExitCode.ok;
}

/** Bytes as Docker prints them (decimal units, three significant digits): `4.26MB`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

/** `images`: the images the project's containers use (table, `--format json`, `-q` IDs). */
export async function runImages(
  ctx: CliContext,
  services: readonly string[],
  flags: { format: string; quiet?: boolean },
): Promise<CommandResult> {
  const target = await loadProjectOrName(ctx, services);
  const engine = await openEngine(ctx);
  const images = (await listContainerImages(engine, projectName(target), services, ctx.signal)).sort((a, b) =>
    a.container < b.container ? -1 : a.container > b.container ? 1 : 0,
  );
  const split = (ref: string): { repository: string; tag: string } => {
    const at = ref.lastIndexOf(':');
    return at > ref.lastIndexOf('/')
      ? { repository: ref.slice(0, at), tag: ref.slice(at + 1) }
      : { repository: ref, tag: 'latest' };
  };
  const tagged = (i: (typeof images)[number]): string =>
    (i.image?.RepoTags ?? []).find((t) => t === i.reference || t === `${i.reference}:latest`) ??
    i.image?.RepoTags?.[0] ??
    i.reference;
  if (flags.quiet) {
    ctx.stdout.write(
      [...new Set(images.map((i) => i.imageId.replace(/^sha256:/, '')))].map((id) => id + '\n').join(''),
    );
  } else if (flags.format === 'json') {
    const list = images.map((i) => ({
      ID: i.imageId,
      ContainerName: i.container,
      ...(() => {
        const { repository, tag } = split(tagged(i));
        return { Repository: repository, Tag: tag };
      })(),
      Platform: i.image?.Os ? `${i.image.Os}/${i.image.Architecture ?? ''}` : '',
      Size: i.image?.Size ?? 0,
      ...(i.image?.Created ? { Created: i.image.Created } : {}),
    }));
    ctx.stdout.write(JSON.stringify(list) + '\n');
  } else {
    const rows = images.map((i) => {
      const { repository, tag } = split(tagged(i));
      return [
        i.container,
        repository,
        tag,
        i.imageId.replace(/^sha256:/, '').slice(0, 12),
        humanSize(i.image?.Size ?? 0),
      ];
    });
    ctx.stdout.write(formatTable(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], rows));
  }
  return ExitCode.ok;
}

export function registerRm(program: Command, run: Runner): void {
  program
    .command('rm')
    .description('remove stopped service containers')
    .argument('[services...]', 'only these services')
    .option('-f, --force', 'do not ask to confirm removal')
    .option('-s, --stop', 'stop the containers first, if required')
    .option('-v, --volumes', 'remove anonymous volumes attached to the containers')
    .action((services: string[], flags: RmFlags) => run((ctx) => runRm(ctx, services, flags)));
}

export function registerWait(program: Command, run: Runner): void {
  program
    .command('wait')
    .description("block until the containers of the services stop; exit with the last one's exit code")
    .argument('<services...>', 'the services to wait for')
    .option('--down-project', 'remove the project when the containers have stopped')
    .action((services: string[], flags: { downProject?: boolean }) => run((ctx) => runWait(ctx, services, flags)));
}

export function registerTop(program: Command, run: Runner): void {
  program
    .command('top')
    .description('display the running processes')
    .argument('[services...]', 'only these services')
    .action((services: string[]) => run((ctx) => runTop(ctx, services)));
}

export function registerPort(program: Command, run: Runner): void {
  program
    .command('port')
    .description('print the public address of a port binding')
    .argument('<service>', 'the service')
    .argument('<private_port>', 'the container port')
    .option('--index <n>', 'index of the container if the service has replicas', '1')
    .addOption(new Option('--protocol <protocol>', 'tcp or udp').choices(['tcp', 'udp']).default('tcp'))
    .action((service: string, port: string, flags: { protocol: string; index: string }) =>
      run((ctx) => runPort(ctx, service, port, flags)),
    );
}

export function registerImages(program: Command, run: Runner): void {
  program
    .command('images')
    .description("list the images used by the project's containers")
    .argument('[services...]', 'only these services')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only print image IDs')
    .action((services: string[], flags: { format: string; quiet?: boolean }) =>
      run((ctx) => runImages(ctx, services, flags)),
    );
}
