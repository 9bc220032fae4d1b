/**
 * The build context, packed by stack itself: walk the context directory, keep the paths that
 * `.dockerignore` does not exclude (matched relative to the context), always keep the
 * Dockerfile and `.dockerignore`, and stream them as a tar with tar-fs. A Dockerfile that is
 * inline (`dockerfile_inline`) or outside the context is written into the tar under a name
 * derived from its content, so the engine's build cache sees the same bytes every time.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { StackError } from '../errors.js';
import { createContextFilter, parseDockerignore } from './dockerignore.js';
import type { ContextFilter } from './dockerignore.js';

/** What to pack. */
export interface ContextSource {
  /** Absolute context directory. */
  readonly contextDir: string;
  /** Dockerfile path, relative to the context or absolute; default `Dockerfile`. */
  readonly dockerfile?: string;
  /** Dockerfile text (`dockerfile_inline`); wins over `dockerfile`. */
  readonly dockerfileInline?: string;
}

/** A context ready to send: the listed paths and the Dockerfile name the engine must use. */
export interface PreparedContext {
  /** Context-relative posix paths packed from disk, in tar order. */
  readonly entries: readonly string[];
  /** The `dockerfile` query parameter: a path inside the tar. */
  readonly dockerfile: string;
  /** Extra generated file (inline or out-of-context Dockerfile), if any. */
  readonly generated?: { readonly name: string; readonly content: string };
  /** Opens a fresh tar stream of the context. */
  open(): Readable;
}

const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

/**
 * The context-relative paths to pack (directories before their contents, names sorted), with
 * `.dockerignore` applied and `always` kept regardless.
 */
export async function listContextEntries(
  contextDir: string,
  filter: ContextFilter,
  always: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const out: string[] = [];
  async function walk(relDir: string): Promise<void> {
    const names = (await readdir(relDir === '' ? contextDir : join(contextDir, relDir))).sort();
    for (const name of names) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const stats = await lstat(join(contextDir, rel));
      const excluded = filter.excludes(rel) && !always.has(rel);
      if (stats.isDirectory()) {
        if (!excluded) out.push(rel);
        if (!excluded || filter.mustDescend(rel) || [...always].some((a) => a.startsWith(`${rel}/`))) await walk(rel);
      } else if (!excluded && (stats.isFile() || stats.isSymbolicLink())) {
        out.push(rel);
      }
    }
  }
  await walk('');
  return out;
}

async function readIgnorePatterns(contextDir: string): Promise<string[]> {
  try {
    return parseDockerignore(await readFile(join(contextDir, '.dockerignore'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function generatedName(content: string): string {
  return `.stack-dockerfile-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
}

/** Lists the context and returns a way to stream it. Throws BUILD_FAILED when the context or Dockerfile is missing. */
export async function prepareContext(source: ContextSource): Promise<PreparedContext> {
  // tar-fs (and its stream stack) only when a build happens: loading it cost every `up` ~40 ms.
  const { pack } = await import('tar-fs');
  const contextDir = resolve(source.contextDir);
  try {
    if (!(await lstat(contextDir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new StackError('BUILD_FAILED', `build context ${contextDir} is not a directory`);
  }
  let generated: { name: string; content: string } | undefined;
  let dockerfile: string;
  if (source.dockerfileInline !== undefined) {
    generated = { name: generatedName(source.dockerfileInline), content: source.dockerfileInline };
    dockerfile = generated.name;
  } else {
    const absolute = isAbsolute(source.dockerfile ?? 'Dockerfile')
      ? resolve(source.dockerfile!)
      : resolve(contextDir, source.dockerfile ?? 'Dockerfile');
    const rel = toPosix(relative(contextDir, absolute));
    let content: string;
    try {
      content = await readFile(absolute, 'utf8');
    } catch {
      throw new StackError('BUILD_FAILED', `Dockerfile ${absolute} not found`);
    }
    if (rel.startsWith('../') || isAbsolute(rel)) {
      generated = { name: generatedName(content), content };
      dockerfile = generated.name;
    } else {
      dockerfile = rel;
    }
  }
  const patterns = await readIgnorePatterns(contextDir);
  const always = new Set(['.dockerignore', ...(generated ? [] : [dockerfile])]);
  const listed = await listContextEntries(contextDir, createContextFilter(patterns), always);
  const entries = generated ? listed.filter((e) => e !== generated.name) : listed;
  const extra = generated;
  return {
    entries,
    dockerfile,
    ...(extra ? { generated: extra } : {}),
    open(): Readable {
      // tar-fs packs into a streamx stream; a Node Readable over it is what the engine client
      // pipes into the request (and what a signal or an error can destroy).
      const packed = pack(contextDir, {
        entries: [...entries],
        // Every entry is listed explicitly: never let tar-fs add a directory's children itself.
        ignore: () => true,
        map: (header) => ({ ...header, uid: 0, gid: 0 }),
        finalize: extra === undefined,
        finish: (tar) => {
          if (!extra) return;
          tar.entry({ name: extra.name, mode: 0o644, mtime: new Date(0) }, extra.content);
          tar.finalize();
        },
      });
      return Readable.from(packed, { objectMode: false });
    },
  };
}
