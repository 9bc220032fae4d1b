/**
 * `.dockerignore` as the Docker CLI reads it: one pattern per line, `#` comments, blank lines
 * skipped, a leading `/` meaning the context root, `!` re-including, `**` any depth. Paths are
 * matched relative to the context with `/` separators (dockerode's own filter sees absolute
 * paths and so ignores nothing; that is why stack packs the context itself).
 */
import { createRequire } from 'node:module';

interface Ignore {
  add(patterns: string | readonly string[]): Ignore;
  ignores(path: string): boolean;
}
type CreateIgnore = (options?: { ignorecase?: boolean }) => Ignore;
let loaded: CreateIgnore | undefined;
/** @balena/dockerignore, required the first time a filter is built (not on every `up`). */
function dockerignore(): Ignore {
  loaded ??= createRequire(import.meta.url)('@balena/dockerignore') as CreateIgnore;
  return loaded();
}

/** Parses the text of a .dockerignore file into patterns (comments and blank lines dropped). */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    let body = negated ? line.slice(1).trim() : line;
    // Docker cleans each pattern (filepath.Clean) and treats a leading slash as the context root.
    body = body
      .replace(/\/+/g, '/')
      .replace(/^\/+/, '')
      .replace(/\/$/, '')
      .replace(/^(\.\/)+/, '');
    if (body === '' || body === '.') continue;
    patterns.push(negated ? `!${body}` : body);
  }
  return patterns;
}

/** Decides which context-relative paths go into the build context. */
export interface ContextFilter {
  /** True when `relPath` (posix, relative to the context) is excluded by the patterns. */
  excludes(relPath: string): boolean;
  /**
   * True when an excluded directory must still be walked because an exception (`!pattern`)
   * could re-include something below it.
   */
  mustDescend(relDir: string): boolean;
}

/** A filter over `patterns` (as returned by parseDockerignore). */
export function createContextFilter(patterns: readonly string[]): ContextFilter {
  const ignore = dockerignore().add([...patterns]);
  const exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return {
    excludes: (relPath) => relPath !== '' && ignore.ignores(relPath),
    mustDescend(relDir) {
      // Like Docker: walk an excluded directory only when an exception could match inside it
      // (its literal prefix is this directory, or it starts with a wildcard).
      return exceptions.some((pattern) => {
        const literal = pattern.split(/[*?[\\]/)[0] ?? '';
        return literal === '' || literal.startsWith(`${relDir}/`) || `${relDir}/`.startsWith(literal);
      });
    },
  };
}
