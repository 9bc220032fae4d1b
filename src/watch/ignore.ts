/**
 * What a develop.watch rule never reacts to: `.git/`, `node_modules`, editor temp files, the
 * build context's `.dockerignore`, and the rule's own `ignore` patterns; `include` narrows
 * the rest. chokidar 4 takes this as a FUNCTION (a bare string pattern does nothing there), and
 * a directory it reports as ignored is never descended into, which is what keeps large trees
 * cheap. Patterns use .dockerignore syntax, relative to the rule's path (the build context
 * for `.dockerignore`).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

interface DockerIgnore {
  add(patterns: string | readonly string[]): DockerIgnore;
  ignores(path: string): boolean;
}
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: {
  ignorecase?: boolean;
}) => DockerIgnore;

/** Directory names never watched nor descended into, wherever they appear under a rule's path. */
export const ALWAYS_IGNORED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

// Why each: these files appear and vanish around every save and would trigger a sync of junk.
const EDITOR_TEMP: readonly RegExp[] = [
  /^\..+\.sw[a-px]$/, // vim swap files: .x.swp, .x.swx, .x.swo ...
  /~$/, // vim / kate / emacs backups: x~
  /^4913$/, // vim's probe file for write permission
  /^#.*#$/, // emacs auto-save: #x#
  /^\.#/, // emacs lock files: .#x
  /___jb_(tmp|old)___$/, // JetBrains safe-write temp files
  /^\..+\.kate-swp$/, // kate swap files
];

/** True for editor temp, swap, backup and lock files (by basename). */
export function isEditorTempFile(name: string): boolean {
  return EDITOR_TEMP.some((re) => re.test(name));
}

/** `.dockerignore` patterns and the directory they are relative to (the build context). */
export interface ContextIgnore {
  readonly contextDir: string;
  readonly patterns: readonly string[];
}

/** Options of `createPathFilter`. */
export interface PathFilterOptions {
  /** The rule's path (absolute; a directory or a single file). */
  readonly root: string;
  /** The rule's `ignore` patterns, relative to root. */
  readonly ignore?: readonly string[];
  /** The rule's `include` patterns, relative to root; empty = everything not ignored. */
  readonly include?: readonly string[];
  readonly context?: ContextIgnore;
}

/** The two questions a watcher asks about a path. */
export interface PathFilter {
  /** For chokidar's `ignored`: true = do not watch this path (nor descend into it). */
  readonly ignored: (path: string, stats?: Stats) => boolean;
  /** For events: true when a change at this (absolute) path concerns the rule. */
  readonly accepts: (path: string) => boolean;
}

/** A path relative to `dir` in `/` form, or undefined when it is outside `dir`. */
export function relativeInside(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** The literal directory prefix of a pattern (up to the first glob character). */
function literalPrefix(pattern: string): string {
  const clean = pattern.replace(/^\/+/, '');
  const glob = clean.search(/[*?[\\]/);
  return glob === -1 ? clean : clean.slice(0, glob);
}

/**
 * A compiled pattern list. `couldReinclude(dir)` is true when a `!` exception might match
 * something inside `dir`, so that directory must still be walked.
 */
class PatternSet {
  private readonly matcher: DockerIgnore;
  private readonly exceptions: readonly string[];
  readonly empty: boolean;

  constructor(patterns: readonly string[]) {
    const lines = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
    this.empty = lines.length === 0;
    this.matcher = dockerignore().add(lines);
    this.exceptions = lines.filter((p) => p.startsWith('!')).map((p) => literalPrefix(p.slice(1)));
  }

  matches(rel: string): boolean {
    return !this.empty && rel !== '' && this.matcher.ignores(rel);
  }

  couldReinclude(dir: string): boolean {
    return this.exceptions.some((prefix) => prefix === '' || prefix.startsWith(`${dir}/`) || dir.startsWith(prefix));
  }
}

/** Builds the ignore function for chokidar and the accept test for events of one rule. */
export function createPathFilter(options: PathFilterOptions): PathFilter {
  const root = options.root;
  const ruleIgnore = new PatternSet(options.ignore ?? []);
  const include = new PatternSet(options.include ?? []);
  const context = options.context
    ? { dir: options.context.contextDir, set: new PatternSet(options.context.patterns) }
    : undefined;

  // `prune`: the caller may skip a whole directory (no exception could bring a child back).
  const excluded = (path: string, prune: boolean): boolean => {
    const rel = relativeInside(root, path);
    if (rel === undefined || rel === '') return false;
    const segments = rel.split('/');
    if (segments.some((s) => ALWAYS_IGNORED_DIRS.has(s))) return true;
    if (isEditorTempFile(segments[segments.length - 1] ?? '')) return true;
    if (ruleIgnore.matches(rel) && !(prune && ruleIgnore.couldReinclude(rel))) return true;
    if (context) {
      const crel = relativeInside(context.dir, path);
      if (crel !== undefined && context.set.matches(crel) && !(prune && context.set.couldReinclude(crel))) return true;
    }
    return false;
  };

  return {
    ignored: (path, stats) => excluded(path, stats === undefined || stats.isDirectory()),
    accepts: (path) => {
      if (excluded(path, false)) return false;
      if (include.empty) return true;
      const rel = relativeInside(root, path);
      return rel !== undefined && (rel === '' || include.matches(rel));
    },
  };
}

/**
 * The build context's ignore patterns: `<Dockerfile>.dockerignore` next to the Dockerfile
 * when present (as BuildKit does), else `<context>/.dockerignore`; none when neither exists.
 */
export async function readDockerignore(contextDir: string, dockerfile?: string): Promise<string[]> {
  const candidates = dockerfile ? [join(contextDir, `${dockerfile}.dockerignore`)] : [];
  candidates.push(join(contextDir, '.dockerignore'));
  for (const file of candidates) {
    try {
      return (await readFile(file, 'utf8')).split(/\r?\n/);
    } catch {
      // absent: try the next
    }
  }
  return [];
}
