/**
 * The values `stack run` takes on the command line in stack-file syntax (`-v`, `-p`,
 * `--entrypoint`, `--env-from-file`), normalized by the same code as the file's, so a `-v`
 * means what the same line under `volumes:` means. Problems are USAGE errors (exit 2).
 */
import { StackError } from '../errors.js';
import type { MountSpec, PortSpec } from '../model.js';
import { parseEnvFile } from './env.js';
import { splitShellWords } from './normalize/command.js';
import { Issues } from './normalize/helpers.js';
import { normalizePorts } from './normalize/ports.js';
import { normalizeVolumes } from './normalize/volumes.js';

function throwIssues(issues: Issues, flag: string): void {
  const errors = issues.list.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new StackError('USAGE', `${flag}: ${errors.map((d) => d.message).join('; ')}`);
}

/** `-v SRC:DST[:MODE]` as mounts; relative sources resolve against the project directory. */
export function parseRunVolumes(
  values: readonly string[],
  projectName: string,
  workingDir: string,
  env: Readonly<Record<string, string | undefined>>,
): MountSpec[] {
  const issues = new Issues(() => undefined);
  const ctx = {
    projectName,
    workingDir,
    env,
    locate: () => undefined,
    readEnvFile: () => undefined,
    disabledServices: [],
  };
  const mounts = normalizeVolumes([...values], ['volume'], ctx, issues);
  throwIssues(issues, '--volume');
  return mounts;
}

/** `-p [IP:][HOST:]CONTAINER[/PROTO]` as ports. */
export function parseRunPorts(values: readonly string[]): PortSpec[] {
  const issues = new Issues(() => undefined);
  const ports = normalizePorts([...values], ['publish'], issues);
  throwIssues(issues, '--publish');
  return ports;
}

/** `--entrypoint "sh -c"` → words, by shell rules as Compose splits it. */
export function parseRunEntrypoint(value: string): string[] {
  const split = splitShellWords(value);
  if ('error' in split) throw new StackError('USAGE', `--entrypoint: ${split.error}`);
  return split.words;
}

/**
 * `-e KEY=VAL` / `-e KEY` (the caller's value, dropped when unset), then the `--env-from-file`
 * files (read by the caller) for keys `-e` did not set (Compose's order).
 */
export function resolveRunEnvironment(
  entries: readonly string[],
  files: readonly { readonly path: string; readonly text: string }[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq === 0) throw new StackError('USAGE', `--env expects KEY[=VALUE], got "${entry}"`);
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    else if (env[entry] !== undefined) out[entry] = env[entry];
  }
  for (const file of files) {
    const parsed = parseEnvFile(file.path, file.text, { ...out });
    if (parsed.diagnostics.some((d) => d.severity === 'error'))
      throw new StackError(
        'USAGE',
        `--env-from-file: ${file.path}: ${parsed.diagnostics.map((d) => d.message).join('; ')}`,
      );
    for (const [k, v] of Object.entries(parsed.value)) if (!(k in out)) out[k] = v;
  }
  return { ...out };
}
