/**
 * Compose's `COMPOSE_*` variables, read as Compose reads them: from the shell, else from the
 * env files (`--env-file`, else `COMPOSE_ENV_FILES`, else `.env` in the project directory or
 * the working directory, unless `COMPOSE_DISABLE_ENV_FILE`); a flag wins over both. stack's
 * own `STACK_*` names stay aliases where they exist (STACK_PROJECT_NAME, STACK_PROFILES).
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StackError } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Compose's boolean parsing (strconv.ParseBool): 1, t, true … as true. */
export function envTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|t|true)$/i.test(value.trim());
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The `COMPOSE_*` (and `STACK_*`) entries of an env file. A light line parser: these are
 * plain `KEY=value` settings; the loader parses the same files fully for interpolation.
 */
function readSettings(file: string): Record<string, string> {
  const settings: Record<string, string> = {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return settings;
  }
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?((?:COMPOSE|STACK)_[A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    settings[match[1]!] = value;
  }
  return settings;
}

/** Inputs of `composeEnvironment`: the working directory, the shell and the typed flags. */
export interface ComposeEnvInput {
  readonly cwd: string;
  readonly env: Env;
  readonly envFiles: readonly string[];
  readonly projectDirectory?: string;
}

/**
 * The environment the CLI works with: the shell, plus the `COMPOSE_*`/`STACK_*` settings of
 * the env files where the shell does not set them (the shell wins, as in Compose), plus the
 * env files to hand the loader (`COMPOSE_ENV_FILES` when no `--env-file`).
 */
export function composeEnvironment(input: ComposeEnvInput): {
  env: Record<string, string | undefined>;
  envFiles: string[];
} {
  const shell = input.env;
  const envFiles =
    input.envFiles.length > 0
      ? [...input.envFiles]
      : (shell['COMPOSE_ENV_FILES'] ?? '')
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean);
  let files: string[];
  if (envFiles.length > 0) files = envFiles.map((f) => resolve(input.cwd, f));
  else if (envTrue(shell['COMPOSE_DISABLE_ENV_FILE'])) files = [];
  else files = [resolve(input.cwd, input.projectDirectory ?? '.', '.env')].filter(isFile);
  const fromFiles: Record<string, string> = {};
  for (const file of files) Object.assign(fromFiles, readSettings(file));
  const env: Record<string, string | undefined> = { ...shell };
  for (const [key, value] of Object.entries(fromFiles)) if (env[key] === undefined) env[key] = value;
  return { env, envFiles };
}

/** `COMPOSE_FILE` split on `COMPOSE_PATH_SEPARATOR` (`:` here, `;` on Windows); [] when unset. */
export function composeFiles(env: Env): string[] {
  const value = env['COMPOSE_FILE'];
  if (!value) return [];
  const separator = env['COMPOSE_PATH_SEPARATOR'] || (process.platform === 'win32' ? ';' : ':');
  return value.split(separator).filter(Boolean);
}

/** The ANSI mode: `--ansi`, else `COMPOSE_ANSI`, else auto. */
export type AnsiMode = 'never' | 'always' | 'auto';

/** Checks a `--ansi` / `COMPOSE_ANSI` value. */
export function parseAnsi(value: string | undefined, origin: string): AnsiMode {
  if (value === undefined || value === '') return 'auto';
  if (value === 'never' || value === 'always' || value === 'auto') return value;
  throw new StackError('USAGE', `${origin} expects never, always or auto, got "${value}"`);
}
