/**
 * Reading container output for `logs` and attached `up`: whether a container has a TTY (its
 * output is then not multiplexed) and its output as lines.
 */
import type { Engine, LogsOptions } from './types.js';
import { LineSplitter } from './streams.js';

/** One line of container output, without its newline. */
export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** Whether the container runs with a TTY; rejects when it is gone. */
export async function containerTty(engine: Engine, id: string, signal?: AbortSignal): Promise<boolean> {
  return (await engine.inspectContainer(id, signal)).Config.Tty === true;
}

/**
 * The container's output as lines (stdout and stderr split separately: a frame may end
 * mid-line). When the stream fails, the lines already received, unfinished ones included,
 * are yielded before the error is thrown: the last words of a dying container matter most.
 */
export async function* readLogLines(engine: Engine, id: string, options: LogsOptions): AsyncGenerator<LogLine> {
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  let failure: { error: unknown } | undefined;
  try {
    for await (const chunk of engine.containerLogs(id, options)) {
      for (const line of splitters[chunk.stream].push(chunk.data)) yield { stream: chunk.stream, line };
    }
  } catch (error) {
    failure = { error };
  }
  for (const line of splitters.stdout.end()) yield { stream: 'stdout', line };
  for (const line of splitters.stderr.end()) yield { stream: 'stderr', line };
  if (failure) throw failure.error;
}
