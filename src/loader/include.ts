/**
 * `include:` as Compose (compose-go loader/include.go): each entry is loaded as its own
 * sub-project (its files merged, its includes and extends applied, its own project directory
 * and `.env`), its relative paths made absolute against that directory, and its resources
 * (services, networks, volumes, secrets, configs, models) imported under the including file.
 * A resource defined both by an include and locally (or by two includes) differently is
 * INCLUDE_CONFLICT, as Compose has reported it since include exists ("conflicts with imported
 * resource"; compose-go since late 2025 merges the local definition over it instead). Pure:
 * loading goes through `host`.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { rebase } from './extends.js';
import { isPlainMap } from './merge-rules.js';
import type { Locate, ParsedFile, Result } from './types.js';

/** A loaded (sub-)project: merged data with includes and extends applied. */
export interface LoadedProject {
  readonly data: Record<string, unknown>;
  readonly locate: Locate;
}

/** What include resolution needs from the loader. */
export interface IncludeHost {
  /** Loads `files` as a project with its own directory and environment; `chain` is the include path so far. */
  readonly loadProject: (
    files: readonly string[],
    workingDir: string,
    env: Readonly<Record<string, string>>,
    chain: readonly string[],
  ) => Result<LoadedProject | undefined>;
  /** Variables of an env file (absolute path); undefined when it cannot be read. */
  readonly readEnvFile: (path: string, env: Readonly<Record<string, string>>) => Record<string, string> | undefined;
  readonly isFile: (path: string) => boolean;
  /** The directory cycle messages are written relative to. */
  readonly rootDir: string;
}

/** Top-level sections an include imports. */
const IMPORTED = ['services', 'networks', 'volumes', 'secrets', 'configs', 'models'] as const;

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Top-level `secrets`/`configs` `file:` of a sub-project made absolute. */
function rebaseFiles(section: unknown, dir: string): void {
  if (!isPlainMap(section)) return;
  for (const item of Object.values(section)) {
    if (isPlainMap(item) && typeof item['file'] === 'string' && !isAbsolute(item['file']))
      item['file'] = resolve(dir, item['file']);
  }
}

/**
 * A bare `environment` key of an included service takes its value from the sub-project's
 * environment (compose-go resolves it before importing), not from the parent's.
 */
function resolveBareEnvironment(service: Record<string, unknown>, env: Readonly<Record<string, string>>): void {
  const environment = service['environment'];
  const has = (key: string): boolean => Object.hasOwn(env, key);
  if (Array.isArray(environment)) {
    service['environment'] = environment.map((entry: unknown) =>
      typeof entry === 'string' && !entry.includes('=') && has(entry) ? `${entry}=${env[entry]}` : entry,
    );
  } else if (isPlainMap(environment)) {
    for (const [key, value] of Object.entries(environment)) if (value === null && has(key)) environment[key] = env[key];
  }
}

/** The sub-project's resources, with relative paths made absolute against `dir`. */
function importedData(
  data: Record<string, unknown>,
  dir: string,
  env: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of IMPORTED) if (data[key] !== undefined && data[key] !== null) out[key] = data[key];
  const services = out['services'];
  if (isPlainMap(services)) {
    for (const service of Object.values(services)) {
      if (!isPlainMap(service)) continue;
      rebase(service, dir);
      resolveBareEnvironment(service, env);
    }
  }
  rebaseFiles(out['secrets'], dir);
  rebaseFiles(out['configs'], dir);
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Resources of `data` (from `main`) that `file` or an earlier include defines differently. */
function conflicts(
  file: ParsedFile,
  data: Record<string, unknown>,
  main: string,
  imported: Map<string, { readonly value: unknown; readonly from: string }>,
  includeAt: ReturnType<Locate>,
  rootDir: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const section of IMPORTED) {
    const theirs = data[section];
    if (!isPlainMap(theirs)) continue;
    const ours = isPlainMap(file.data[section]) ? file.data[section] : {};
    for (const [name, value] of Object.entries(theirs)) {
      const id = `${section}.${name}`;
      const from = relative(rootDir, main) || main;
      if (Object.hasOwn(ours, name) && !sameValue(ours[name], value)) {
        out.push(
          diagnostic(
            'INCLUDE_CONFLICT',
            `${id} is defined here and by the included ${from}`,
            file.locate([section, name], 'key'),
            'rename one of them, or remove one definition (Compose refuses the conflict too)',
          ),
        );
      }
      const earlier = imported.get(id);
      if (earlier && !sameValue(earlier.value, value)) {
        out.push(
          diagnostic(
            'INCLUDE_CONFLICT',
            `${id} is defined by both ${earlier.from} and ${from}`,
            includeAt,
            'rename one of them',
          ),
        );
      }
      imported.set(id, { value, from });
    }
  }
  return out;
}

/**
 * The included sub-projects of `file`, as pseudo-files to merge before it (the first include
 * last, so that it wins over later ones as in compose-go, and the including file over all).
 * `workingDir` and `env` are the including project's.
 */
export function resolveIncludes(
  file: ParsedFile,
  workingDir: string,
  env: Readonly<Record<string, string>>,
  chain: readonly string[],
  host: IncludeHost,
): Result<ParsedFile[]> {
  const entries = file.data['include'];
  delete file.data['include'];
  if (!Array.isArray(entries)) return { value: [], diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const out: ParsedFile[] = [];
  const imported = new Map<string, { readonly value: unknown; readonly from: string }>();
  entries.forEach((entry: unknown, i) => {
    const at = (...rest: (string | number)[]): ReturnType<Locate> =>
      file.locate(['include', i, ...rest]) ?? file.locate(['include', i]);
    const long = isPlainMap(entry) ? entry : undefined;
    const paths = stringList(long ? long['path'] : entry).map((p) => resolve(workingDir, p));
    if (paths.length === 0) return;
    const main = paths[0]!;
    const missing = paths.find((p) => !host.isFile(p));
    if (missing !== undefined) {
      diagnostics.push(
        diagnostic(
          'INCLUDE_NOT_FOUND',
          `include: cannot read ${missing}`,
          at('path'),
          'check the path: it is relative to the project directory of the including file',
        ),
      );
      return;
    }
    const current = [...chain, file.file];
    if (current.includes(main)) {
      const names = [...current.slice(current.indexOf(main)), main].map((f) => relative(host.rootDir, f) || f);
      diagnostics.push(
        diagnostic('INCLUDE_CYCLE', `include cycle: ${names.join(' -> ')}`, at('path'), 'remove one of the includes'),
      );
      return;
    }
    const projectDirectory =
      long && typeof long['project_directory'] === 'string'
        ? resolve(workingDir, long['project_directory'])
        : dirname(main);
    const envFiles =
      long && long['env_file'] !== undefined
        ? stringList(long['env_file'])
            .filter((f) => f !== '/dev/null')
            .map((f) => resolve(workingDir, f))
        : [resolve(projectDirectory, '.env')].filter((f) => host.isFile(f));
    // The including project's variables win over the included `.env` (compose-go Mapping.Merge).
    let subEnv: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, env);
    const fromFiles = Object.create(null) as Record<string, string>;
    for (const envFile of envFiles) {
      const vars = host.isFile(envFile) ? host.readEnvFile(envFile, subEnv) : undefined;
      if (!vars) {
        diagnostics.push(diagnostic('ENV_FILE_NOT_FOUND', `include: cannot read env file ${envFile}`, at('env_file')));
        continue;
      }
      Object.assign(fromFiles, vars);
      subEnv = Object.assign(Object.create(null) as Record<string, string>, fromFiles, env);
    }
    const loaded = host.loadProject(paths, projectDirectory, subEnv, current);
    diagnostics.push(...loaded.diagnostics);
    if (!loaded.value) return;
    const data = importedData(loaded.value.data, projectDirectory, subEnv);
    diagnostics.push(...conflicts(file, data, main, imported, at('path'), host.rootDir));
    out.unshift({ file: main, source: '', data, locate: loaded.value.locate, resets: [], overrides: [] });
  });
  return { value: out, diagnostics };
}
