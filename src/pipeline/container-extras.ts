/**
 * What a container action does besides its one engine call, as Compose does it
 * (docker/compose pkg/compose/convergence.go, hook.go, secrets.go): secrets and configs
 * copied in after create with their mode and owner in the tar header, `post_start` hooks
 * through exec after a start, `pre_stop` hooks through exec before a stop, `pre_start` hooks in
 * containers of their own before the first start. Their output is streamed line by line to the
 * caller (attached `up` prints it) and its last lines go into a failure's message. The plan
 * carries the data; nothing here decides whether to run.
 */
import { readFileSync } from 'node:fs';
import { StackError } from '../errors.js';
import { execInContainer } from '../engine/archive.js';
import { readLogLines } from '../engine/logs.js';
import { LineSplitter } from '../engine/streams.js';
import type { Engine } from '../engine/types.js';
import type { HookSpec } from '../model.js';
import type { FileCopy } from '../planner/file-copies.js';
import type { Action } from '../planner/types.js';
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

/** One line a hook printed, streamed as it comes (attached `up` shows it in the log stream). */
export interface HookOutput {
  /** `web-1 ->` for a hook run in a container, `web pre_start[0] ->` for a pre_start hook (Compose's). */
  readonly source: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** The source Compose shows a container hook's output under: the name without `<project>-`, then `->`. */
export function hookSource(project: string, containerName: string): string {
  const name = containerName.replace(/^\//, '');
  return `${name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name} ->`;
}

/** Where a hook's output goes besides its error message. */
export interface HookContext {
  readonly signal?: AbortSignal;
  readonly onOutput?: (output: HookOutput) => void;
}

/**
 * The last lines of a hook's output for its error message, stderr preferred (it usually holds
 * the cause), as Compose keeps them (10 lines, 2 KiB).
 */
class OutputTail {
  private readonly lines = { stdout: [] as string[], stderr: [] as string[] };
  add(stream: 'stdout' | 'stderr', line: string): void {
    const kept = this.lines[stream];
    if (line.trim() === '') return;
    kept.push(line);
    if (kept.length > 10) kept.shift();
  }
  toString(): string {
    const lines = this.lines.stderr.length > 0 ? this.lines.stderr : this.lines.stdout;
    const text = lines.join('\n');
    return text === '' ? '' : `:\n${text.length > 2048 ? text.slice(-2048) : text}`;
  }
}

/** Splits output into lines per stream, hands each to `onOutput` as it is complete and to the tail. */
function outputSink(
  source: string,
  tail: OutputTail,
  onOutput: HookContext['onOutput'],
): { push(stream: 'stdout' | 'stderr', data: Buffer): void; end(): void } {
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const emit = (stream: 'stdout' | 'stderr', line: string): void => {
    tail.add(stream, line);
    onOutput?.({ source, stream, line });
  };
  return {
    push: (stream, data) => splitters[stream].push(data).forEach((line) => emit(stream, line)),
    end: () => (['stdout', 'stderr'] as const).forEach((st) => splitters[st].end().forEach((l) => emit(st, l))),
  };
}

/**
 * Runs `hooks` in order in the container (its name is `source` of the output lines); the first
 * that exits non-zero throws APPLY_FAILED naming the service, the hook and its exit code
 * (Compose fails the service the same way).
 */
export async function runHooks(
  engine: Engine,
  container: { readonly id: string; readonly source: string },
  service: string,
  kind: 'post_start' | 'pre_stop',
  hooks: readonly HookSpec[],
  context: HookContext = {},
): Promise<void> {
  const { signal } = context;
  for (const [i, hook] of hooks.entries()) {
    const tail = new OutputTail();
    const sink = outputSink(container.source, tail, context.onOutput);
    const result = await execInContainer(engine, container.id, hook.command, {
      privileged: hook.privileged,
      environment: hook.environment,
      ...(hook.user !== undefined ? { user: hook.user } : {}),
      ...(hook.workingDir !== undefined ? { workingDir: hook.workingDir } : {}),
      ...(signal ? { signal } : {}),
      onOutput: (stream, data) => sink.push(stream, data),
    });
    sink.end();
    if (result.exitCode !== 0) {
      throw new StackError(
        'APPLY_FAILED',
        `service "${service}": ${kind} hook #${i + 1} (${hook.command.join(' ')}) ` +
          `exited with code ${result.exitCode}${tail.toString()}`,
      );
    }
  }
}

/**
 * One `pre_start` hook (docker/compose pkg/compose/pre_start.go):
 *
 * ```
 * create ─▶ connect ─▶ register wait ─▶ start ─▶ follow output ─▶ exit 0: remove
 *                                                               └▶ exit N: keep it, APPLY_FAILED
 * ```
 * A failure before the hook ran (connect, start) or an interruption removes the container; a
 * hook that ran and failed keeps it for `docker logs`, as Compose does (the next `up` of the
 * service or `down` removes it).
 */
export async function runPreStart(
  engine: Engine,
  action: Pick<Extract<Action, { kind: 'run-pre-start' }>, 'name' | 'service' | 'index' | 'body' | 'connect'>,
  context: HookContext = {},
): Promise<void> {
  const { signal } = context;
  // No name: the engine names it, as Compose's are (a kept one never blocks the next run).
  const id = await engine.createContainer('', action.body, signal);
  const tail = new OutputTail();
  let exitCode: number;
  try {
    for (const [network, endpoint] of Object.entries(action.connect))
      await engine.connectNetwork(network, id, endpoint, signal);
    const exit = await engine.waitContainer(id, 'next-exit', signal);
    await engine.startContainer(id, signal);
    // Logs of a started container, from its first line, until it stops: streamed as they come.
    for await (const { stream, line } of readLogLines(engine, id, {
      follow: true,
      tail: 'all',
      tty: false,
      ...(signal ? { signal } : {}),
    })) {
      tail.add(stream, line);
      context.onOutput?.({ source: `${action.name} ->`, stream, line });
    }
    exitCode = await exit.exitCode;
  } catch (error) {
    await engine.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
    throw error;
  }
  if (exitCode !== 0)
    throw new StackError(
      'APPLY_FAILED',
      `service "${action.service}" pre_start[${action.index}] exited with code ${exitCode}${tail.toString()}\n` +
        `(hook container ${id.slice(0, 12)} kept for inspection: docker logs ${id.slice(0, 12)})`,
    );
  await engine.removeContainer(id, { volumes: true }, signal);
}
