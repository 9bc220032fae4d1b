/**
 * `stack lock`: get every service's image as `up` would (pull_policy; `--pull` pulls them all
 * first) and write their digests into the lock file next to the first stack file
 * (docs/lock-file.md). `--check` touches nothing: it
 * asks the registry what each reference points at now and exits 1 (LOCK_FILE_STALE) when the
 * lock no longer matches the stack or the registry.
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import type { CliContext, CommandResult, Runner } from '../context.js';
import { writeMessage } from '../../render/diagnostics.js';
import { loadProject, openEngine } from './session.js';

/** The flags of `lock`. */
export interface LockFlags {
  check?: boolean;
  pull?: boolean;
}

/** Runs `lock`. */
export async function runLockCommand(ctx: CliContext, flags: LockFlags): Promise<CommandResult> {
  const model = await loadProject(ctx);
  const images = await import('../../images/index.js');
  const { readDockerConfig } = await import('../../images/credentials.js');
  const path = images.lockFilePath(model);
  const engine = await openEngine(ctx);
  const config = await readDockerConfig(ctx.env);

  if (flags.check) {
    const existing = await images.readLockFile(path);
    const stale = (lines: readonly string[]): number => {
      ctx.stderr.write(
        `error[LOCK_FILE_STALE] ${path} is stale:\n${lines.map((l) => `  ${l}`).join('\n')}\n` +
          '  hint: run `stack lock` and commit the result\n',
      );
      return ExitCode.failure;
    };
    if (!existing) return stale([`no lock file at ${path}`]);
    const { lock, notes } = await images.resolveLock(engine, model, {
      source: 'registry',
      config,
      env: ctx.env,
      signal: ctx.signal,
    });
    for (const note of notes) writeMessage(ctx, 'note', note);
    const drift = images.compareLocks(existing, lock);
    if (drift.length > 0) return stale(drift.map((d) => d.message));
    ctx.stderr.write(`${path} is up to date\n`);
    return ExitCode.ok;
  }

  const progress = images.createImageProgress({ mode: ctx.progress, out: ctx.stderr });
  try {
    const observed = await images.listModelImages(engine, model, ctx.signal);
    await images.ensureImages(
      engine,
      model,
      { images: observed },
      {
        ...(flags.pull ? { pull: 'always' as const } : {}),
        env: ctx.env,
        signal: ctx.signal,
        onEvent: (e) => progress.onEvent(e),
        ...(ctx.globals.parallel !== undefined ? { parallel: ctx.globals.parallel } : {}),
      },
    );
  } finally {
    progress.end();
  }
  const { lock } = await images.resolveLock(engine, model, {
    source: 'local',
    config,
    env: ctx.env,
    signal: ctx.signal,
  });
  await images.writeLockFile(path, lock);
  const entries = Object.values(lock.services);
  const pinned = entries.filter((e) => e.digest && !e.build).length;
  ctx.stderr.write(
    `wrote ${path}: ${entries.length} service${entries.length === 1 ? '' : 's'}, ${pinned} pinned to a digest\n`,
  );
  return ExitCode.ok;
}

/** Registers `stack lock`. */
export function registerLock(program: Command, run: Runner): void {
  program
    .command('lock')
    .description('write the image digest of every service into the lock file next to the stack file')
    .option('--check', 'exit 1 when the lock file is stale (compares with the registry; changes nothing)')
    .option('--pull', 'pull every image first, so the lock records what the tags point at now')
    .action((flags: LockFlags) => run((ctx) => runLockCommand(ctx, flags)));
}
