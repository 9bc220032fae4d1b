/**
 * Contracts between the loader stages (parse → interpolate → validate → merge → extends →
 * profiles → normalize → rules). Raw data is plain JSON-like data built without prototypes
 * where it comes from user input.
 */
import type { Diagnostic, SourceLocation } from '../errors.js';

/** A JSON-pointer-like path into a document: keys and sequence indexes. */
export type Path = readonly (string | number)[];

/**
 * Finds where the value at `path` was written (for a merged value: the file that won).
 * `at: 'key'` points at the mapping key instead of its value (unknown-key diagnostics);
 * for a sequence item or the root it is the same as the value.
 */
export type Locate = (path: Path, at?: 'key' | 'value') => SourceLocation | undefined;

/** One parsed stack file. `data` is the root mapping. */
export interface ParsedFile {
  /** Absolute path. */
  readonly file: string;
  readonly source: string;
  readonly data: Record<string, unknown>;
  readonly locate: Locate;
  /** Paths whose value carried `!reset` / `!override` (override files). */
  readonly resets: readonly Path[];
  readonly overrides: readonly Path[];
}

/** What the normalizer needs besides the merged data. Env and file reading are passed in. */
export interface NormalizeContext {
  readonly projectName: string;
  /** Absolute project directory. */
  readonly workingDir: string;
  /** Variables for resolving bare `environment` keys and `.env` (shell env wins). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly locate: Locate;
  /**
   * Reads an env_file (absolute path): its variables, undefined when the file is missing. Syntax
   * problems go to `diagnostics`.
   */
  readonly readEnvFile: (path: string) => Record<string, string> | undefined;
  /**
   * Why a path named as a file of settings (env_file, a secret or config `file:`) is not a
   * regular file ("a directory", "a named pipe (FIFO)", ...); undefined for a regular or missing file.
   */
  readonly irregularFile?: (path: string) => string | undefined;
  /** sha256 of a file (absolute path), undefined when it cannot be read; the file becomes a source of the load. */
  readonly digestFile?: (path: string) => string | undefined;
  /** Services disabled by profiles (their raw data is still there for rules). */
  readonly disabledServices: readonly string[];
}

/** The result union used inside the core: data plus every diagnostic found. */
export interface Result<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}
