/**
 * What a container action does besides its one engine call, as Compose does it
 * (docker/compose pkg/compose/convergence.go, hook.go, secrets.go): secrets and configs
 * copied in after create with their mode and owner in the tar header, `post_start` hooks
 * through exec after a start, `pre_stop` hooks through exec before a stop. The plan carries
 * the data; nothing here decides whether to run.
 */
import { readFileSync } from 'node:fs';
import { StackError } from '../errors.js';
import { execInContainer } from '../engine/archive.js';
import type { Engine } from '../engine/types.js';
import type { HookSpec } from '../model.js';
import type { FileCopy } from '../planner/file-copies.js';
import { buildTar } from '../watch/tar.js';

/** Writes `files` into the (created, not yet started) container. */
export async function copyFiles(
  engine: Engine,
  containerId: string,
  files: readonly FileCopy[],
  signal?: AbortSignal,
): Promise<void> {
  const entries = files.map((f) => ({
    type: 'file' as const,
    name: f.target.replace(/^\/+/, ''),
    content: f.file !== undefined ? readFileSync(f.file) : Buffer.from(f.content ?? '', 'utf8'),
    mode: f.mode,
    mtime: Date.now(),
    ...(f.uid !== undefined ? { uid: f.uid } : {}),
    ...(f.gid !== undefined ? { gid: f.gid } : {}),
  }));
  const owned = files.some((f) => f.uid !== undefined || f.gid !== undefined);
  await engine.putArchive(containerId, buildTar(entries), '/', signal, { copyUIDGID: owned });
}

/** The last lines of a hook's output, for its error message. */
function tail(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-5).join('\n');
  return lines === '' ? '' : `:\n${lines}`;
}

/**
 * Runs `hooks` in order in the container; the first that exits non-zero throws APPLY_FAILED
 * naming the service, the hook and its exit code (Compose fails the service the same way).
 */
export async function runHooks(
  engine: Engine,
  containerId: string,
  service: string,
  kind: 'post_start' | 'pre_stop',
  hooks: readonly HookSpec[],
  signal?: AbortSignal,
): Promise<void> {
  for (const [i, hook] of hooks.entries()) {
    const result = await execInContainer(engine, containerId, hook.command, {
      privileged: hook.privileged,
      environment: hook.environment,
      ...(hook.user !== undefined ? { user: hook.user } : {}),
      ...(hook.workingDir !== undefined ? { workingDir: hook.workingDir } : {}),
      ...(signal ? { signal } : {}),
    });
    if (result.exitCode !== 0) {
      throw new StackError(
        'APPLY_FAILED',
        `service "${service}": ${kind} hook #${i + 1} (${hook.command.join(' ')}) exited with code ${result.exitCode}${tail(result.output)}`,
      );
    }
  }
}
