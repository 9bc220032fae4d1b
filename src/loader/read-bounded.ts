/**
 * Reading a file the user names without trusting its size: `stat` lies for devices, FIFOs and
 * /proc files (`-f /dev/zero`, `extends: {file: /dev/zero}` would otherwise read forever).
 * Reads at most `maxBytes + 1` bytes through one descriptor, so process substitution
 * (`--env-file <(...)`) still works and memory stays bounded whatever the path is.
 */
import { closeSync, openSync, readSync, statSync, statfsSync } from 'node:fs';

/** `statfs(2)` magic numbers of the kernel's pseudo file systems (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS = new Map([
  [0x9fa0, '/proc'],
  [0x62656572, '/sys'],
]);

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

/**
 * Why `path` is no file of settings to read (an `env_file`, a secret or config `file:`): "a
 * directory", "a named pipe (FIFO)", "a device", "a socket", or "a file of the kernel's /proc
 * file system" (`/proc/self/environ` is the caller's whole environment, NUL-separated). Undefined
 * for a regular file, for `/dev/null` (empty, the usual "no file" placeholder) and for a path
 * that does not exist (the caller says "not found").
 */
export function irregularFile(path: string): string | undefined {
  if (path === '/dev/null') return undefined;
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined;
  }
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (!stats.isFile()) return 'not a regular file';
  try {
    const fs = PSEUDO_FILE_SYSTEMS.get(Number(statfsSync(path).type));
    if (fs !== undefined) return `a file of the kernel's ${fs} file system`;
  } catch {
    // statfs unsupported here: the file type above is all we know
  }
  return undefined;
}
