/**
 * Reading a file the user names without trusting its size: `stat` lies for devices, FIFOs and
 * /proc files (`-f /dev/zero`, `extends: {file: /dev/zero}` would otherwise read forever).
 * Reads at most `maxBytes + 1` bytes through one descriptor, so process substitution
 * (`--env-file <(...)`) still works and memory stays bounded whatever the path is.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The file's bytes, or `undefined` when it holds more than `maxBytes`. Errno errors propagate. */
export function readBounded(path: string, maxBytes: number): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) return undefined;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
