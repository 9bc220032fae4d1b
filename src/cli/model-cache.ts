/**
 * The model cache: `loadStack` is a pure function of its options, the files it probed and read
 * and the variables it looked up, so its result can be reused when none of those changed.
 * Every run still re-reads every input (level-triggered); what it skips is parsing,
 * validating and normalizing them (most of a no-op `up` on a 50-service file).
 *
 * An entry stores, in the clear, only WHICH inputs the load used (paths, variable names) and
 * the model encrypted (AES-256-GCM) with a key derived from the VALUES of those inputs (file
 * bytes, file absence, variable values), the build and the options. A lookup re-reads the
 * inputs and derives the key again: a changed input gives another key and decryption fails,
 * which is the miss. So the check is exact and the file never holds a secret that is not
 * already in the inputs (values from `.env` or the shell are never written readably).
 *
 * Entries live in `$XDG_CACHE_HOME/stack/models` (else `~/.cache/...`), mode 0600 in a 0700
 * directory, at most 256 of them; `STACK_MODEL_CACHE=0` turns the cache off. Any failure is a
 * miss, never an error.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StackModel } from '../model.js';
import type { LoadOptions, LoadTracer } from '../loader/load.js';
import { byCodePoint } from '../order.js';

/** Format of an entry; a change makes old entries misses. */
const FORMAT = 1;

/** What a load used: per path, whether it was probed for existence and/or read; variable names looked up. */
interface Inputs {
  readonly files: Array<[path: string, probe: 'exists' | 'read']>;
  readonly names: string[];
  /** The load enumerated the environment: every variable is an input. */
  readonly wholeEnv: boolean;
}

interface Entry {
  readonly format: number;
  readonly inputs: Inputs;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The cache's directory, or undefined when it is turned off or there is no home. */
export function modelCacheDir(env: Env): string | undefined {
  if (env['STACK_MODEL_CACHE'] === '0') return undefined;
  const base = env['XDG_CACHE_HOME'] || (env['HOME'] ? join(env['HOME'], '.cache') : safeHome());
  return base ? join(base, 'stack', 'models') : undefined;
}

function safeHome(): string | undefined {
  try {
    return join(homedir(), '.cache');
  } catch {
    return undefined;
  }
}

/** Larger files are refused by the loader; the cache never reads past this either. */
const MAX_BYTES = 10 * 1024 * 1024;

/**
 * A file's state as the loader would see it: for an existence probe, whether it is a regular
 * file; for a read, a digest of its bytes. Anything else (absent, a directory, a device, too
 * large, unreadable) is a marker, never a blocking read.
 */
function fileState(path: string, probe: 'exists' | 'read'): string {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return 'not-a-file';
    if (probe === 'exists') return 'file';
    if (stat.size > MAX_BYTES) return 'too-large';
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    return `error:${(error as NodeJS.ErrnoException).code ?? '?'}`;
  }
}

/** The build and the load options (not the environment): what names an entry. */
function optionsIdentity(buildId: string, options: LoadOptions): string {
  const { env: _env, trace: _trace, ...rest } = options;
  return JSON.stringify([FORMAT, buildId, rest]);
}

/** The key: build, options and the current value of every input the entry lists. */
function deriveKey(buildId: string, options: LoadOptions, inputs: Inputs, env: Env): Buffer {
  const hash = createHash('sha256');
  hash.update(optionsIdentity(buildId, options));
  for (const [path, probe] of inputs.files) hash.update(`\0f${path}\0${probe}\0${fileState(path, probe)}`);
  const names = inputs.wholeEnv ? Object.keys(env).sort() : inputs.names;
  for (const name of names) {
    const value = env[name];
    hash.update(value === undefined ? `\0u${name}` : `\0v${name}\0${value}`);
  }
  return hash.digest();
}

/** Where the entry for these options lives (the name depends on options, not on input values). */
function entryPath(dir: string, buildId: string, options: LoadOptions): string {
  return join(dir, `${createHash('sha256').update(optionsIdentity(buildId, options)).digest('hex').slice(0, 32)}.json`);
}

/** Entries kept: one per project directory and option set; the least recently written go first. */
const MAX_ENTRIES = 256;

/** Removes the oldest entries beyond MAX_ENTRIES (on a write only: hits never list the directory). */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((n) => ({ path: join(dir, n), mtime: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.mtime - b.mtime);
  for (const { path } of aged.slice(0, names.length - MAX_ENTRIES)) rmSync(path, { force: true });
}

/** A load's recorder: pass `tracer` to loadStack, then `inputs()` says what it used. */
export function recordInputs(): { tracer: LoadTracer; inputs(): Inputs } {
  const files = new Map<string, 'exists' | 'read'>();
  const names = new Set<string>();
  let wholeEnv = false;
  const tracer: LoadTracer = {
    probed(path) {
      if (!files.has(path)) files.set(path, 'exists');
    },
    read(path) {
      files.set(path, 'read');
    },
    watchEnv(env) {
      return new Proxy(env, {
        get(target, key, receiver) {
          if (typeof key === 'string') names.add(key);
          return Reflect.get(target, key, receiver);
        },
        has(target, key) {
          if (typeof key === 'string') names.add(key);
          return Reflect.has(target, key);
        },
        getOwnPropertyDescriptor(target, key) {
          if (typeof key === 'string') names.add(key);
          return Reflect.getOwnPropertyDescriptor(target, key);
        },
        ownKeys(target) {
          wholeEnv = true;
          return Reflect.ownKeys(target);
        },
      });
    },
  };
  return { tracer, inputs: () => ({ files: [...files].sort((a, b) => byCodePoint(a[0], b[0])), names: [...names].sort(), wholeEnv }) };
}

/**
 * The cached model for these options when every input it was built from is unchanged, else
 * undefined. The variables are read from `options.env`, the environment the load would get.
 */
export function readCachedModel(dir: string, buildId: string, options: LoadOptions): StackModel | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryPath(dir, buildId, options), 'utf8')) as Entry;
    if (entry.format !== FORMAT) return undefined;
    const key = deriveKey(buildId, options, entry.inputs, options.env);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(entry.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as StackModel;
  } catch {
    return undefined;
  }
}

/** Stores `model` as loaded from `inputs` (what recordInputs saw). Failures are ignored. */
export function writeCachedModel(dir: string, buildId: string, options: LoadOptions, inputs: Inputs, model: StackModel): void {
  try {
    const key = deriveKey(buildId, options, inputs, options.env);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(model), 'utf8'), cipher.final()]);
    const entry: Entry = { format: FORMAT, inputs, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = entryPath(dir, buildId, options);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, path);
    prune(dir);
  } catch {
    // read-only home, full disk: run without a cache
  }
}

/** Set by scripts/bundle-cli.mjs: the build the CLI runs. Unset (tests from src/, the library): no cache. */
declare const __STACK_BUILD_ID__: string | undefined;

/**
 * `load(options)` through the cache: a hit when every input is unchanged, else a real load
 * that is then stored. Errors are never cached (a failing load throws as always).
 */
export async function loadThroughCache(options: LoadOptions, load: (options: LoadOptions) => Promise<StackModel>): Promise<StackModel> {
  const buildId = typeof __STACK_BUILD_ID__ === 'string' ? __STACK_BUILD_ID__ : undefined;
  const dir = buildId === undefined ? undefined : modelCacheDir(options.env);
  if (buildId === undefined || dir === undefined) return load(options);
  const hit = readCachedModel(dir, buildId, options);
  if (hit) return hit;
  const recorder = recordInputs();
  const model = await load({ ...options, trace: recorder.tracer });
  writeCachedModel(dir, buildId, options, recorder.inputs(), model);
  return model;
}
