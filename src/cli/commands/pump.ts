/**
 * The output side of an attached exec or one-off container: raw bytes with a TTY, else the
 * engine's multiplexed frames split to stdout and stderr. Resolves when the connection ends.
 */
import type { Duplex } from 'node:stream';
import { demuxFrames } from '../../engine/streams.js';
import type { CliContext } from '../context.js';

/** Copies the container's output to the terminal until the connection ends. */
export async function pump(ctx: CliContext, socket: Duplex, tty: boolean): Promise<void> {
  if (tty) {
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => ctx.stdout.write(chunk));
      socket.on('end', resolve);
      socket.on('close', resolve);
      socket.on('error', () => resolve());
    });
    return;
  }
  try {
    for await (const frame of demuxFrames(socket))
      (frame.stream === 'stderr' ? ctx.stderr : ctx.stdout).write(frame.data);
  } catch {
    // the connection closed: the exit code says how it went
  }
}
