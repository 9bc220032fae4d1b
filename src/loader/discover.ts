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
export const STACK_FILE_NAMES = ['stack.yaml', 'stack.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

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
  const projectDir = options.projectDirectory === undefined ? undefined : resolve(options.cwd, options.projectDirectory);
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
    diagnostics: [diagnostic('NO_STACK_FILE', `no stack file (${names}) in ${projectDir ?? options.cwd} or a parent directory`, undefined, 'pass one with -f')],
  };
}

/** Lowercase, only [a-z0-9_-], starting with a letter or digit (Compose's rule). */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
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

/** `-p` > STACK_PROJECT_NAME / COMPOSE_PROJECT_NAME > `name:` > directory basename. */
export function resolveProjectName(sources: ProjectNameSources): Result<string | undefined> {
  const candidates: [string | undefined, string, SourceLocation | undefined][] = [
    [sources.flag, '-p', undefined],
    [sources.env['STACK_PROJECT_NAME'], 'STACK_PROJECT_NAME', undefined],
    [sources.env['COMPOSE_PROJECT_NAME'], 'COMPOSE_PROJECT_NAME', undefined],
    [typeof sources.fileName === 'string' ? sources.fileName : undefined, 'name', sources.fileNameAt],
    [basename(sources.workingDir), 'the project directory name', undefined],
  ];
  const chosen = candidates.find(([value]) => value !== undefined && value !== '');
  const [raw, origin, location] = chosen ?? ['', 'the project directory name', undefined];
  const name = normalizeProjectName(raw ?? '');
  const diagnostics: Diagnostic[] = [];
  if (name === '') {
    diagnostics.push(diagnostic('INVALID_PROJECT_NAME', `the project name from ${origin} has no letters or digits left after normalizing to [a-z0-9_-]`, location, 'set one with -p'));
    return { value: undefined, diagnostics };
  }
  return { value: name, diagnostics };
}
