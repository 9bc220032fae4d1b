/**
 * `stack cp SERVICE:SRC DEST` / `stack cp SRC SERVICE:DEST`: copies between a service
 * container and the host (src/pipeline/copy.ts). From a service: its replica `--index`
 * (default 1). To a service: every replica, or only `--index`. `-` as the source reads a tar
 * archive from stdin into a directory; `-` as the destination writes one to stdout.
 */
import type { Command } from 'commander';
import { ExitCode, StackError } from '../../errors.js';
import { Label } from '../../labels.js';
import { listProjectContainers } from '../../engine/observe.js';
import { archiveFromContainer, copyFromContainer, copyToContainer, extractIntoContainer } from '../../pipeline/copy.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { loadProjectOrName, openEngine, projectName } from './session.js';

/** The flags of `cp`. */
export interface CpFlags {
  archive?: boolean;
  followLink?: boolean;
  index?: string;
  all?: boolean;
}

/** `web:/etc/hosts` → { service, path }; a host path (no colon before the first slash) → undefined. */
export function splitServicePath(arg: string): { service: string; path: string } | undefined {
  const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.*)$/.exec(arg);
  return match ? { service: match[1]!, path: match[2]! } : undefined;
}

/** Runs `cp`. */
export async function runCp(
  ctx: CliContext,
  source: string,
  destination: string,
  flags: CpFlags,
): Promise<CommandResult> {
  const from = splitServicePath(source);
  const to = splitServicePath(destination);
  if ((from && to) || (!from && !to))
    throw new StackError('USAGE', 'cp copies between a service and the host: SERVICE:SRC DEST or SRC SERVICE:DEST');
  const index = flags.index === undefined ? undefined : Number(flags.index);
  if (index !== undefined && (!Number.isInteger(index) || index < 1))
    throw new StackError('USAGE', `--index expects a positive integer, got "${flags.index}"`);
  const service = (from ?? to)!.service;
  const target = await loadProjectOrName(ctx, [service]);
  const engine = await openEngine(ctx);
  const replicas = (
    await listProjectContainers(engine, projectName(target), { services: [service] }, ctx.signal)
  ).filter((c) => index === undefined || Number((c.Labels ?? {})[Label.containerNumber]) === index);
  if (replicas.length === 0)
    throw new StackError(
      'APPLY_FAILED',
      `service "${service}" has no container${index !== undefined ? ` number ${index}` : ''}: run \`stack up\` first`,
    );
  if (from) {
    const first =
      replicas.find((c) => Number((c.Labels ?? {})[Label.containerNumber]) === (index ?? 1)) ?? replicas[0]!;
    // `-`: the tar stream to stdout, as docker cp writes it.
    if (destination === '-') await archiveFromContainer(engine, first.Id, from.path, ctx.stdout, ctx.signal);
    else await copyFromContainer(engine, first.Id, from.path, destination, ctx.signal);
  } else if (source === '-') {
    // `-`: a tar archive on stdin, extracted into the destination directory of each replica.
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    const tar = Buffer.concat(chunks);
    for (const c of replicas) await extractIntoContainer(engine, c.Id, tar, to!.path, ctx.signal);
  } else {
    for (const c of replicas)
      await copyToContainer(engine, c.Id, source, to!.path, {
        ...(flags.archive ? { archive: true } : {}),
        ...(flags.followLink ? { followLink: true } : {}),
        signal: ctx.signal,
      });
  }
  return ExitCode.ok;
}

export function registerCp(program: Command, run: Runner): void {
  program
    .command('cp')
    .description('copy files between a service container and the host')
    .argument('<source>', 'SERVICE:SRC_PATH, a host path, or - (a tar archive on stdin)')
    .argument('<destination>', 'a host path, SERVICE:DEST_PATH, or - (a tar archive on stdout)')
    .option('-a, --archive', 'keep uid/gid of the copied files')
    .option('-L, --follow-link', 'follow symbolic links in the source path')
    .option('--index <n>', 'the replica to copy from or to (to: all replicas by default)')
    .option('--all', 'copy to all replicas (the default; kept for Compose compatibility)')
    .action((source: string, destination: string, flags: CpFlags) =>
      run((ctx) => runCp(ctx, source, destination, flags)),
    );
}
