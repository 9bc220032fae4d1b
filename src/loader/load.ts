/**
 * loadStack: files + env → StackModel. The only module of src/schema that reads files.
 *
 *   discover → .env → read → parse → project name (for COMPOSE_PROJECT_NAME) → interpolate
 *     → validate (each file) → include (sub-projects, recursively) → merge → extends
 *     → profiles → project name (checked, positioned) → normalize → rules → model
 *
 * Every stage adds diagnostics; a stage whose input has errors does not run, and all
 * problems found so far are thrown together once (throwIfErrors).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { irregularFile, readBounded } from './read-bounded.js';
import { dirname, resolve } from 'node:path';
import { diagnostic, throwIfErrors } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import type { StackModel } from '../model.js';
import { discoverFiles, resolveProjectName } from './discover.js';
import { mergeEnvironment, parseEnvFile } from './env.js';
import { applyExtends } from './extends.js';
import { resolveIncludes } from './include.js';
import type { IncludeHost } from './include.js';
import { interpolateData, interpolateString } from './interpolate.js';
import { mergeFiles } from './merge.js';
import { decodeStackSource, parseStackFile, YAML_LIMITS } from './parse.js';
import { selectProfiles } from './profiles.js';
import type { LoaderStages } from './stages.js';
import { dropAtVariables, templateSyntaxErrors, variablePositions } from './variables.js';
import type { Locate, NormalizeContext, ParsedFile, Result } from './types.js';

/** Inputs of loadStack; mirrors the global CLI options. Paths are relative to `cwd`. */
export interface LoadOptions {
  readonly cwd: string;
  /** The shell environment (wins over `.env` and `--env-file`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly files?: readonly string[];
  readonly projectName?: string;
  readonly projectDirectory?: string;
  readonly envFiles?: readonly string[];
  readonly profiles?: readonly string[];
  /** Services named on the command line (they enable their profiles). */
  readonly services?: readonly string[];
  /** false: keep `${...}` as written (`stack config --no-interpolate`). Default true. */
  readonly interpolate?: boolean;
  /** Told every input the load depends on (the CLI's model cache); changes nothing. */
  readonly trace?: LoadTracer;
}

/**
 * Observes what a load depends on: every path probed or read and every variable looked up.
 * A load is a pure function of its options and these, so the CLI may reuse its result while
 * none of them changed (src/cli/model-cache.ts).
 */
export interface LoadTracer {
  /** `path` was checked for being a regular file. */
  probed(path: string): void;
  /** `path` was read (whatever the outcome). */
  read(path: string): void;
  /** Returns `env` as seen by the load, reporting the variables it looks up. */
  watchEnv<T extends Record<string, string>>(env: T): T;
}

/** The merged stack before normalization (what `stack config --no-interpolate` may print). */
export interface RawStack {
  readonly data: Record<string, unknown>;
  readonly locate: Locate;
  readonly configFiles: readonly string[];
  readonly workingDir: string;
  /** Shell env over `.env` / `--env-file` values. */
  readonly env: Readonly<Record<string, string>>;
  readonly sourceFiles: readonly string[];
  readonly warnings: readonly Diagnostic[];
}

function isFile(path: string, trace?: LoadTracer): boolean {
  trace?.probed(path);
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readBytes(file: string, trace?: LoadTracer): Result<Uint8Array | undefined> {
  trace?.read(file);
  try {
    // Refuse before reading when stat knows; read bounded when it does not (devices, FIFOs).
    const bytes = statSync(file).size > YAML_LIMITS.maxBytes ? undefined : readBounded(file, YAML_LIMITS.maxBytes);
    if (!bytes) {
      return {
        value: undefined,
        diagnostics: [
          diagnostic('YAML_TOO_LARGE', `the file is larger than ${YAML_LIMITS.maxBytes} bytes`, {
            file,
            line: 1,
            col: 1,
          }),
        ],
      };
    }
    return { value: bytes, diagnostics: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    return { value: undefined, diagnostics: [diagnostic(code, `cannot read ${file}`)] };
  }
}

/** Reads and parses one stack file (not interpolated yet: the project name comes first). */
function readStackFile(file: string, trace?: LoadTracer): Result<ParsedFile | undefined> {
  const bytes = readBytes(file, trace);
  if (!bytes.value) return { value: undefined, diagnostics: bytes.diagnostics };
  const text = decodeStackSource(file, bytes.value);
  if (text.value === undefined) return { value: undefined, diagnostics: text.diagnostics };
  return parseStackFile(file, text.value);
}

/** Interpolates and validates a parsed stack file. */
function finishStackFile(
  parsed: ParsedFile,
  env: Readonly<Record<string, string>>,
  options: LoadOptions,
  stages: LoaderStages,
): Result<ParsedFile | undefined> {
  const diagnostics: Diagnostic[] = [];
  let data = parsed.data;
  const interpolate = options.interpolate !== false;
  if (interpolate) {
    const interpolated = interpolateData(data, env, parsed.locate);
    diagnostics.push(...interpolated.diagnostics);
    data = interpolated.value;
  } else {
    diagnostics.push(...templateSyntaxErrors(data, parsed.locate));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { value: undefined, diagnostics };
  const validated = stages.validateRaw(data, parsed.locate, parsed.file);
  diagnostics.push(...(interpolate ? validated : dropAtVariables(validated, variablePositions(data, parsed.locate))));
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { value: ok ? { ...parsed, data } : undefined, diagnostics };
}

/** Reads, parses, interpolates and validates one stack file. */
function loadFile(
  file: string,
  env: Readonly<Record<string, string>>,
  options: LoadOptions,
  stages: LoaderStages,
): Result<ParsedFile | undefined> {
  const parsed = readStackFile(file, options.trace);
  if (!parsed.value) return parsed;
  const finished = finishStackFile(parsed.value, env, options, stages);
  return { value: finished.value, diagnostics: [...parsed.diagnostics, ...finished.diagnostics] };
}

/** Variables from `--env-file`s (relative to cwd) or else the project's `.env` (not yet watched). */
function loadEnv(
  options: LoadOptions,
  workingDir: string,
  diagnostics: Diagnostic[],
  sourceFiles: string[],
): Record<string, string> {
  const explicit = (options.envFiles ?? []).map((f) => resolve(options.cwd, f));
  const trace = options.trace;
  const watch = (env: Record<string, string>): Record<string, string> => (trace ? trace.watchEnv(env) : env);
  // COMPOSE_DISABLE_ENV_FILE (compose-go): no default `.env`, for interpolation too; named files still count.
  const disabled = /^(1|t|true)$/i.test(watch(mergeEnvironment(options.env))['COMPOSE_DISABLE_ENV_FILE'] ?? '');
  const files =
    explicit.length > 0 || disabled ? explicit : [resolve(workingDir, '.env')].filter((f) => isFile(f, trace));
  const parsed: Record<string, string>[] = [];
  for (const file of files) {
    let text: string;
    try {
      trace?.read(file);
      const bytes = readBounded(file, YAML_LIMITS.maxBytes);
      if (!bytes) {
        diagnostics.push(
          diagnostic('FILE_UNREADABLE', `env file ${file} is larger than ${YAML_LIMITS.maxBytes} bytes`),
        );
        continue;
      }
      text = bytes.toString('utf8');
    } catch {
      diagnostics.push(diagnostic('ENV_FILE_NOT_FOUND', `cannot read env file ${file}`));
      continue;
    }
    sourceFiles.push(file);
    // Earlier files are visible to later ones; the shell wins throughout.
    const result = parseEnvFile(file, text, watch(mergeEnvironment(options.env, ...parsed)));
    diagnostics.push(...result.diagnostics);
    parsed.push(result.value);
  }
  return mergeEnvironment(options.env, ...parsed);
}

interface Loaded extends RawStack {
  readonly diagnostics: Diagnostic[];
  readonly prov: ReturnType<typeof mergeFiles>['provenance'];
}

/**
 * The project name as Compose computes it before interpolating (compose-go `projectName`):
 * typed name, else the last non-empty `name:` of the files interpolated, else the directory.
 * Undefined when no valid name results (reported after the load, with its position).
 */
function preliminaryProjectName(
  parsed: readonly ParsedFile[],
  env: Readonly<Record<string, string>>,
  options: LoadOptions,
  workingDir: string,
): string | undefined {
  let fileName: string | undefined;
  for (const file of parsed) {
    const value = file.data['name'];
    if (typeof value === 'string' && value !== '') fileName = value;
  }
  if (fileName !== undefined && options.interpolate !== false) {
    const result = interpolateString(fileName, env);
    fileName = 'value' in result ? result.value : undefined;
  }
  const name = resolveProjectName({
    env,
    workingDir,
    ...(fileName !== undefined ? { fileName } : {}),
    ...(options.projectName !== undefined ? { flag: options.projectName } : {}),
  });
  return name.value;
}

/** A project's files loaded: merged, with includes and extends applied. */
interface LoadedFiles {
  readonly merged: ReturnType<typeof mergeFiles>;
  readonly diagnostics: Diagnostic[];
}

/**
 * Finishes `parsed` (the files of one project, merge order) against `env`, resolves their
 * includes (each a sub-project loaded the same way), merges them and applies extends.
 */
function loadProjectFiles(
  parsed: readonly ParsedFile[],
  workingDir: string,
  env: Readonly<Record<string, string>>,
  chain: readonly string[],
  options: LoadOptions,
  stages: LoaderStages,
  sourceFiles: string[],
): LoadedFiles {
  const diagnostics: Diagnostic[] = [];
  const finished: ParsedFile[] = [];
  const host: IncludeHost = {
    rootDir: dirname(chain[0] ?? parsed[0]?.file ?? workingDir),
    isFile: (path) => isFile(path, options.trace),
    readEnvFile: (path, lookup) => {
      const result = readEnvFile(path, lookup, options.trace, diagnostics);
      if (result) sourceFiles.push(path);
      return result;
    },
    loadProject: (files, subDir, subEnv, subChain) => {
      const subParsed: ParsedFile[] = [];
      const subDiagnostics: Diagnostic[] = [];
      sourceFiles.push(...files);
      for (const file of files) {
        const result = readStackFile(file, options.trace);
        subDiagnostics.push(...result.diagnostics);
        if (result.value) subParsed.push(result.value);
      }
      if (subDiagnostics.some((d) => d.severity === 'error')) return { value: undefined, diagnostics: subDiagnostics };
      const sub = loadProjectFiles(subParsed, subDir, subEnv, subChain, options, stages, sourceFiles);
      subDiagnostics.push(...sub.diagnostics);
      const failed = subDiagnostics.some((d) => d.severity === 'error');
      return {
        value: failed ? undefined : { data: sub.merged.data, locate: sub.merged.locate },
        diagnostics: subDiagnostics,
      };
    },
  };
  for (const file of parsed) {
    const result = finishStackFile(file, env, options, stages);
    diagnostics.push(...result.diagnostics);
    if (!result.value) continue;
    const included = resolveIncludes(result.value, workingDir, env, chain, host);
    diagnostics.push(...included.diagnostics);
    finished.push(...included.value, result.value);
  }
  const merged = mergeFiles(finished);
  if (diagnostics.some((d) => d.severity === 'error')) return { merged, diagnostics };
  const first = parsed[0]?.file ?? workingDir;
  const extended = applyExtends(merged.data, first, merged.provenance, (file) => loadFile(file, env, options, stages));
  diagnostics.push(...extended.diagnostics);
  sourceFiles.push(...extended.value.sourceFiles);
  return { merged, diagnostics };
}

/** Reads an env file with `lookup` for its references; undefined (and a diagnostic when too large) when unreadable. */
function readEnvFile(
  path: string,
  lookup: Readonly<Record<string, string>>,
  trace: LoadTracer | undefined,
  diagnostics: Diagnostic[],
): Record<string, string> | undefined {
  trace?.read(path);
  let bytes: Uint8Array | undefined;
  try {
    bytes = readBounded(path, YAML_LIMITS.maxBytes);
  } catch {
    return undefined;
  }
  if (!bytes) {
    diagnostics.push(diagnostic('FILE_UNREADABLE', `env file ${path} is larger than ${YAML_LIMITS.maxBytes} bytes`));
    return undefined;
  }
  const result = parseEnvFile(path, Buffer.from(bytes).toString('utf8'), lookup);
  diagnostics.push(...result.diagnostics);
  return result.value;
}

async function loadMerged(options: LoadOptions, stages: LoaderStages): Promise<Loaded> {
  const found = discoverFiles({
    cwd: options.cwd,
    exists: (path) => isFile(path, options.trace),
    ...(options.files ? { files: options.files } : {}),
    ...(options.projectDirectory !== undefined ? { projectDirectory: options.projectDirectory } : {}),
  });
  throwIfErrors(found.diagnostics);
  const { files, workingDir } = found.value!;
  const diagnostics: Diagnostic[] = [];
  const sourceFiles: string[] = [...files];
  const baseEnv = loadEnv(options, workingDir, diagnostics, sourceFiles);
  const watch = (env: Record<string, string>): Record<string, string> =>
    options.trace ? options.trace.watchEnv(env) : env;
  const parsed: ParsedFile[] = [];
  for (const file of files) {
    const result = readStackFile(file, options.trace);
    diagnostics.push(...result.diagnostics);
    if (result.value) parsed.push(result.value);
  }
  // Compose sets COMPOSE_PROJECT_NAME for interpolation inside the files.
  const name = preliminaryProjectName(parsed, watch(baseEnv), options, workingDir);
  const env = watch(
    name === undefined
      ? baseEnv
      : Object.assign(Object.create(null) as Record<string, string>, baseEnv, { COMPOSE_PROJECT_NAME: name }),
  );
  const loaded = loadProjectFiles(parsed, workingDir, env, [], options, stages, sourceFiles);
  diagnostics.push(...loaded.diagnostics);
  throwIfErrors(diagnostics);
  const merged = loaded.merged;
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  return {
    data: merged.data,
    locate: merged.locate,
    prov: merged.provenance,
    configFiles: files,
    workingDir,
    env,
    sourceFiles: [...new Set(sourceFiles)],
    warnings,
    diagnostics,
  };
}

/** Loads and merges the stack files (with extends) without normalizing them. */
export async function loadRaw(options: LoadOptions, stages?: LoaderStages): Promise<RawStack> {
  const {
    diagnostics: _d,
    prov: _p,
    ...raw
  } = await loadMerged(options, stages ?? (await import('./stages.js')).defaultStages);
  return raw;
}

/** Loads the stack: see the module comment. Throws one StackError with every problem found. */
export async function loadStack(options: LoadOptions, stages?: LoaderStages): Promise<StackModel> {
  const use = stages ?? (await import('./stages.js')).defaultStages;
  const raw = await loadMerged(options, use);
  const diagnostics = raw.diagnostics;
  const sourceFiles = [...raw.sourceFiles];
  const selection = selectProfiles(raw.data, {
    env: raw.env,
    locate: raw.locate,
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.services ? { services: options.services } : {}),
  });
  diagnostics.push(...selection.diagnostics);
  const name = resolveProjectName({
    env: raw.env,
    fileName: raw.data['name'],
    workingDir: raw.workingDir,
    ...(options.projectName !== undefined ? { flag: options.projectName } : {}),
    ...(raw.locate(['name']) ? { fileNameAt: raw.locate(['name'])! } : {}),
  });
  diagnostics.push(...name.diagnostics);
  throwIfErrors(diagnostics);
  const ctx: NormalizeContext = {
    projectName: name.value!,
    workingDir: raw.workingDir,
    env: raw.env,
    locate: raw.locate,
    disabledServices: selection.value.disabled,
    irregularFile: (path) => {
      options.trace?.probed(path);
      return irregularFile(path);
    },
    digestFile: (path) => {
      if (!isFile(path, options.trace)) return undefined;
      options.trace?.read(path);
      let bytes: Buffer | undefined;
      try {
        bytes = readBounded(path, YAML_LIMITS.maxBytes);
      } catch {
        return undefined;
      }
      if (!bytes) return undefined;
      if (!sourceFiles.includes(path)) sourceFiles.push(path);
      return createHash('sha256').update(bytes).digest('hex');
    },
    readEnvFile: (path) => {
      if (path === '/dev/null') return {}; // the usual "no file" placeholder, as in Compose
      if (!isFile(path, options.trace)) return undefined;
      if (!sourceFiles.includes(path)) sourceFiles.push(path);
      options.trace?.read(path);
      const bytes = readBounded(path, YAML_LIMITS.maxBytes);
      if (!bytes) {
        diagnostics.push(
          diagnostic('FILE_UNREADABLE', `env file ${path} is larger than ${YAML_LIMITS.maxBytes} bytes`),
        );
        return undefined;
      }
      const result = parseEnvFile(path, bytes.toString('utf8'), raw.env);
      diagnostics.push(...result.diagnostics);
      return result.value;
    },
  };
  // Without interpolation, values that are still templates are not checked (see variables.ts).
  const templates = options.interpolate === false ? variablePositions(raw.data, raw.locate) : new Set<string>();
  const normalized = use.normalizeProject(raw.data, ctx);
  diagnostics.push(...dropAtVariables(normalized.diagnostics, templates));
  const disabled = new Set(selection.value.disabled);
  const services = Object.fromEntries(
    Object.entries(normalized.value.services).filter(([service]) => !disabled.has(service)),
  );
  const draft: StackModel = {
    ...normalized.value,
    services,
    name: name.value!,
    workingDir: raw.workingDir,
    configFiles: raw.configFiles,
    sourceFiles,
    disabledServices: selection.value.disabled,
    profiles: selection.value.allProfiles,
    warnings: [],
  };
  if (!diagnostics.some((d) => d.severity === 'error'))
    diagnostics.push(...dropAtVariables(use.checkRules(draft, raw.data, ctx), templates));
  throwIfErrors(diagnostics);
  return {
    ...draft,
    sourceFiles: [...new Set(sourceFiles)],
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
  };
}
