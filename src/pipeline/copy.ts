/**
 * `cp`: files between a service container and the host through the engine's archive API
 * (GET/PUT /containers/{id}/archive), with docker cp's rules for where a copy lands:
 *
 *   container → host: DEST an existing directory → DEST/<basename of SRC>; else SRC becomes DEST
 *   host → container: DEST an existing directory (or ending in /) → DEST/<basename of SRC>;
 *                     else SRC becomes DEST (its parent must exist)
 *
 * Without `-a` the copied files belong to root in the container, as with docker cp.
 */
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { StackError } from '../errors.js';
import { EngineCallError } from '../engine/errors.js';
import type { Engine } from '../engine/types.js';

async function archiveOf(
  engine: Engine,
  container: string,
  path: string,
  signal?: AbortSignal,
): Promise<Readable | undefined> {
  try {
    return await engine.getArchive(container, path, signal);
  } catch (error) {
    if (error instanceof EngineCallError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/** The engine's tar stream of `src`, or APPLY_FAILED naming the path when the container has none. */
async function archiveOrFail(engine: Engine, container: string, src: string, signal?: AbortSignal): Promise<Readable> {
  const stream = await archiveOf(engine, container, src, signal);
  if (!stream) throw new StackError('APPLY_FAILED', `no such file or directory in the container: ${src}`);
  return stream;
}

/** Whether `path` is a directory in the container (undefined: it does not exist). */
async function containerPathIsDirectory(
  engine: Engine,
  container: string,
  path: string,
  signal?: AbortSignal,
): Promise<boolean | undefined> {
  const stream = await archiveOf(engine, container, path, signal);
  if (!stream) return undefined;
  // The first tar header says: typeflag '5' is a directory (a PAX header before it is skipped).
  let buffered = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      buffered = Buffer.concat([buffered, Buffer.from(chunk)]);
      while (buffered.length >= 512) {
        const flag = String.fromCharCode(buffered[156] ?? 0);
        if (flag !== 'x' && flag !== 'g') return flag === '5';
        const size = parseInt(buffered.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
        const skip = 512 + Math.ceil(size / 512) * 512;
        if (buffered.length < skip) break;
        buffered = buffered.subarray(skip);
      }
    }
    return false;
  } finally {
    stream.destroy();
  }
}

/** Copies `src` from the container to `dest` on the host. */
export async function copyFromContainer(
  engine: Engine,
  container: string,
  src: string,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  const stream = await archiveOrFail(engine, container, src, signal);
  const { extract } = await import('tar-fs');
  const target = resolve(dest);
  if (existsSync(target) && statSync(target).isDirectory()) {
    await pipeline(stream, extract(target));
    return;
  }
  // Extract beside the destination, then move the one top entry into place.
  const scratch = mkdtempSync(join(dirname(target), '.stack-cp-'));
  try {
    await pipeline(stream, extract(scratch));
    const name = posix.basename(src.replace(/\/+$/, '')) || '.';
    renameSync(join(scratch, name), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Copies `src` on the host to `dest` in the container; `archive` keeps the files' uid/gid. */
export async function copyToContainer(
  engine: Engine,
  container: string,
  src: string,
  dest: string,
  options: { archive?: boolean; followLink?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const source = resolve(src);
  if (!existsSync(source)) throw new StackError('USAGE', `no such file or directory: ${src}`);
  const isDirectory =
    dest.endsWith('/') || (await containerPathIsDirectory(engine, container, dest, options.signal)) === true;
  const into = isDirectory ? dest : posix.dirname(dest);
  const from = basename(source);
  const as = isDirectory ? from : posix.basename(dest);
  const { pack } = await import('tar-fs');
  const packed = pack(dirname(source), {
    entries: [from],
    dereference: options.followLink === true,
    map: (header) => {
      header.name = as + header.name.slice(from.length);
      if (!options.archive) {
        header.uid = 0;
        header.gid = 0;
      }
      return header;
    },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of packed as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  try {
    await engine.putArchive(container, Buffer.concat(chunks), into, options.signal);
  } catch (error) {
    if (error instanceof EngineCallError && error.statusCode === 404)
      throw new StackError('APPLY_FAILED', `no such directory in the container: ${into} (${error.engineMessage})`, {
        cause: error,
      });
    throw error;
  }
}

/** `cp SERVICE:SRC -`: `src` as the engine's tar stream, written to `out` as it comes. */
export async function archiveFromContainer(
  engine: Engine,
  container: string,
  src: string,
  out: Writable,
  signal?: AbortSignal,
): Promise<void> {
  const stream = await archiveOrFail(engine, container, src, signal);
  await pipeline(stream, out, { end: false });
}

/** `cp - SERVICE:DEST`: a tar archive (read from stdin) extracted into the directory `dest`. */
export async function extractIntoContainer(
  engine: Engine,
  container: string,
  tar: Buffer,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  if ((await containerPathIsDirectory(engine, container, dest, signal)) !== true)
    throw new StackError(
      'APPLY_FAILED',
      `destination ${dest} must be an existing directory in the container (cp - extracts a tar archive into it)`,
    );
  await engine.putArchive(container, tar, dest, signal);
}
