/**
 * Which stack files to read and where the project lives: `-f` files in order, else the first
 * known file name in the working directory or a parent plus its `*.override.*` twin; the
 * project name by Compose precedence. Pure: file existence is passed in.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { diagnostic } from '../errors.js';
import type { Diagnostic, SourceLocation } from '../errors.js';
import type { Result } from './types.js';

/** File names searched, in order of preference. */
export const STACK_FILE_NAMES = [
  'stack.yaml',
  'stack.yml',
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
] as const;

/** Inputs of discovery. `exists` tells whether a regular file is at an absolute path. */
export interface DiscoverOptions {
  readonly cwd: string;
  readonly files?: readonly string[];
  readonly projectDirectory?: string;
  readonly exists: (path: string) => boolean;
}

/** The stack files (absolute, merge order) and the absolute project directory. */
export interface DiscoveredFiles {
  readonly files: readonly string[];
  readonly workingDir: string;
}

/** `stack.yaml` → `stack.override.yaml`. */
export function overrideName(file: string): string {
  const ext = extname(file);
  return file.slice(0, file.length - ext.length) + '.override' + ext;
}

/** Finds the stack files; NO_STACK_FILE when none is given or found. */
export function discoverFiles(options: DiscoverOptions): Result<DiscoveredFiles | undefined> {
  const projectDir =
    options.projectDirectory === undefined ? undefined : resolve(options.cwd, options.projectDirectory);
  if (options.files && options.files.length > 0) {
    const files = options.files.map((f) => resolve(options.cwd, f));
    return { value: { files, workingDir: projectDir ?? dirname(files[0]!) }, diagnostics: [] };
  }
  let dir = projectDir ?? resolve(options.cwd);
  for (;;) {
    for (const name of STACK_FILE_NAMES) {
      const file = resolve(dir, name);
      if (!options.exists(file)) continue;
      const override = overrideName(file);
      const files = options.exists(override) ? [file, override] : [file];
      return { value: { files, workingDir: projectDir ?? dir }, diagnostics: [] };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const names = STACK_FILE_NAMES.join(', ');
  return {
    value: undefined,
    diagnostics: [
      diagnostic(
        'NO_STACK_FILE',
        `no stack file (${names}) in ${projectDir ?? options.cwd} or a parent directory`,
        undefined,
        'pass one with -f',
      ),
    ],
  };
}

/** Lowercase, only [a-z0-9_-], starting with a letter or digit (Compose's rule). */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/**
 * A project name as Compose accepts it. The name becomes part of engine names, labels and the
 * lock file path, so nothing else may pass (a `/` or `..` would leave the lock directory).
 */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** True when `name` is usable as it is. */
export function isValidProjectName(name: string): boolean {
  return PROJECT_NAME_PATTERN.test(name);
}

/**
 * The error for a name the user typed (`-p`, STACK_PROJECT_NAME, COMPOSE_PROJECT_NAME) that is
 * not valid: Compose v2's wording, the origin, and the normalized name as the suggestion.
 */
export function invalidProjectName(name: string, origin: string, location?: SourceLocation): Diagnostic {
  const suggestion = normalizeProjectName(name);
  const how = origin === '-p' ? `-p ${suggestion}` : `${origin}=${suggestion}`;
  const hint = suggestion === '' ? 'set one with -p' : `did you mean ${suggestion}? (${how})`;
  const message =
    `invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, ` +
    `hyphens, and underscores as well as start with a letter or number (from ${origin})`;
  return diagnostic('INVALID_PROJECT_NAME', message, location, hint);
}

/** Where the project name may come from, in precedence order. */
export interface ProjectNameSources {
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Top-level `name:` of the merged files and where it was written. */
  readonly fileName?: unknown;
  readonly fileNameAt?: SourceLocation;
  readonly workingDir: string;
}

/** The name the user typed (`-p` > STACK_PROJECT_NAME > COMPOSE_PROJECT_NAME) and where from; undefined when none. */
export function explicitProjectName(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { readonly name: string; readonly origin: string } | undefined {
  const candidates: [string | undefined, string][] = [
    [flag, '-p'],
    [env['STACK_PROJECT_NAME'], 'STACK_PROJECT_NAME'],
    [env['COMPOSE_PROJECT_NAME'], 'COMPOSE_PROJECT_NAME'],
  ];
  const chosen = candidates.find(([value]) => value !== undefined && value !== '');
  return chosen ? { name: chosen[0]!, origin: chosen[1] } : undefined;
}

/**
 * `-p` > STACK_PROJECT_NAME / COMPOSE_PROJECT_NAME > `name:` > directory basename. A typed
 * name must already be valid (as Compose v2: refused, not changed, so `-p RSV` never acts on
 * `rsv` unasked); `name:` and the directory name are normalized.
 */
export function resolveProjectName(sources: ProjectNameSources): Result<string | undefined> {
  const explicit = explicitProjectName(sources.flag, sources.env);
  if (explicit) {
    if (isValidProjectName(explicit.name)) return { value: explicit.name, diagnostics: [] };
    return { value: undefined, diagnostics: [invalidProjectName(explicit.name, explicit.origin)] };
  }
  const candidates: [string | undefined, string, SourceLocation | undefined][] = [
    [typeof sources.fileName === 'string' ? sources.fileName : undefined, 'name', sources.fileNameAt],
    [basename(sources.workingDir), 'the project directory name', undefined],
  ];
  const chosen = candidates.find(([value]) => value !== undefined && value !== '');
  const [raw, origin, location] = chosen ?? ['', 'the project directory name', undefined];
  const name = normalizeProjectName(raw ?? '');
  const diagnostics: Diagnostic[] = [];
  if (name === '') {
    diagnostics.push(
      diagnostic(
        'INVALID_PROJECT_NAME',
        `the project name from ${origin} has no letters or digits left after normalizing to [a-z0-9_-]`,
        location,
        'set one with -p',
      ),
    );
    return { value: undefined, diagnostics };
  }
  return { value: name, diagnostics };
}
