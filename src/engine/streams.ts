/**
 * Engine byte streams: newline-delimited JSON (events, pull progress) and the stdout/stderr
 * framing of logs and exec. Engine chunks split mid-object and a proxy may inject a non-JSON
 * line: we buffer to the newline and report bad lines instead of throwing inside a data
 * handler (which would crash the process).
 */

/** Splits a byte stream into complete lines; keeps the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Feeds one chunk; returns the complete lines it finished (without the newline). */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const parts = (this.tail + text).split('\n');
    this.tail = parts.pop() ?? '';
    return parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)).filter((line) => line.length > 0);
  }

  /** The last line when the stream ended without a newline. */
  end(): string[] {
    const rest = this.tail + this.decoder.decode();
    this.tail = '';
    return rest.trim().length > 0 ? [rest] : [];
  }
}

/** One parsed NDJSON value, or the raw line when it was not JSON. */
export type NdjsonItem = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly line: string };

function parseLine(line: string): NdjsonItem {
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch {
    return { ok: false, line };
  }
}

/** Iterates the JSON values of an NDJSON byte stream; non-JSON lines come back as `{ ok: false }`. */
export async function* readNdjson(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<NdjsonItem> {
  const splitter = new LineSplitter();
  for await (const chunk of stream) {
    for (const line of splitter.push(chunk)) yield parseLine(line);
  }
  for (const line of splitter.end()) yield parseLine(line);
}

/**
 * Demultiplexes the engine's stdout/stderr framing (8-byte header: stream type, 3 zero bytes,
 * big-endian length) of a non-TTY attach/logs/exec stream. Frames may span chunks.
 */
export async function* demuxFrames(
  stream: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ stream: 'stdout' | 'stderr'; data: Buffer }> {
  let buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 8) {
      const type = buffer[0];
      const length = buffer.readUInt32BE(4);
      if (buffer.length < 8 + length) break;
      const data = buffer.subarray(8, 8 + length);
      buffer = buffer.subarray(8 + length);
      yield { stream: type === 2 ? 'stderr' : 'stdout', data };
    }
  }
  if (buffer.length > 0) yield { stream: 'stdout', data: buffer };
}
