/**
 * The model cache: `loadStack` is a pure function of its options, the files it probed and read
 * and the variables it looked up, so its result can be reused when none of those changed.
 * Every run still re-reads every input (level-triggered); what it skips is parsing,
 * validating and normalizing them (most of a no-op `up` on a 50-service file).
 *
 * Two kinds of load are cached, each under a name and key of its own: the local target's
 * (`model`: the StackModel) and the swarm target's (`swarm`: the model plus what that target
 * reads of the merged raw files, its `deploy:` keys and its diagnostics with their file:line:col,
 * and the variables it reads itself). Whatever the kind, the load reads every input through
 * the same tracer, so the rules below hold for both.
 *
 * An entry stores, in the clear, only WHICH inputs the load used (paths, variable names) and
 * the result encrypted (AES-256-GCM) with a key derived from the VALUES of those inputs (file
 * bytes, file absence, variable values), the build, the kind and the options. A lookup re-reads the
 * inputs and derives the key again: a changed input gives another key and decryption fails,
 * which is the miss. So the check is exact and the file never holds a secret that is not
 * already in the inputs (values from `.env` or the shell are never written readably).
 *
 * The key also includes a per-user secret (`stack/model-cache.key`, 32 random bytes created
 * 0600 on first use), and an entry's inputs list is authenticated (an HMAC under that secret,
 * and the GCM tag over it): an entry that lists no inputs, or one input less, cannot be made
 * by anyone who cannot read the secret. The cache directory, the key and every entry are used
 * only when they are owned by the current user and not writable by group or others (no
 * symlinks); otherwise the cache is ignored with a one-line warning.
 *
 * Entries live in `$XDG_CACHE_HOME/stack/models` (else `~/.cache/...`), mode 0600 in a 0700
 * directory, at most 256 of them; `STACK_MODEL_CACHE=0` turns the cache off. Any failure is a
 * miss, never an error.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { untrustedReason, userCacheDir } from '../../bin/cache-dir.cjs';
import type { StackModel } from '../model.js';
import type { LoadOptions, LoadTracer } from '../loader/load.js';
import { byCodePoint } from '../order.js';
import { noteVariableValue, notedVariableValues } from '../errors.js';

/** Format of an entry; a change makes old entries misses. */
const FORMAT = 4;

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
  /** HMAC-SHA256 under the per-user secret of the format and the inputs list. */
  readonly mac: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The cache's directory (bin/cache-dir.cjs), or undefined when it is turned off or there is no home. */
export function modelCacheDir(env: Env): string | undefined {
  if (env['STACK_MODEL_CACHE'] === '0') return undefined;
  const base = userCacheDir(env);
  return base === undefined ? undefined : join(base, 'models');
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

/** Thrown (and caught below) when a part of the cache may not be trusted: the cache is ignored. */
class UntrustedCache extends Error {}

function requireTrusted(path: string, kind: 'dir' | 'file'): void {
  const reason = untrustedReason(path, kind);
  if (reason !== undefined) throw new UntrustedCache(reason);
}

/** The per-user secret beside the entries' directory; created (0600, atomically) when `create`. */
function readSecret(dir: string, create: boolean): Buffer | undefined {
  const path = join(dirname(dir), 'model-cache.key');
  try {
    requireTrusted(path, 'file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!create) return undefined;
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, randomBytes(32), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, path); // atomic: the first writer's key wins, a racing one reads it
    } catch (linkError) {
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
    } finally {
      unlinkSync(tmp);
    }
    requireTrusted(path, 'file');
  }
  const secret = readFileSync(path);
  if (secret.length < 32) throw new UntrustedCache(`${path} is too short to be a key`);
  return secret;
}

/** Checks the entries' directory and its parent (which holds the key); throws UntrustedCache. */
function requireTrustedDirs(dir: string): void {
  requireTrusted(dirname(dir), 'dir');
  requireTrusted(dir, 'dir');
}

function inputsMac(secret: Buffer, inputs: Inputs): string {
  return createHmac('sha256', secret)
    .update(JSON.stringify([FORMAT, inputs.files, inputs.names, inputs.wholeEnv]))
    .digest('base64');
}

/**
 * What an entry holds, besides the variables the load substituted: `model` (a StackModel, the
 * local target's load) or `swarm` (the swarm target's load: the model and what it reads of the
 * raw files). Part of the entry's name and key, so one kind is never read as the other.
 */
export type CacheKind = 'model' | 'swarm';

/** The build, the kind and the load options (not the environment): what names an entry. */
function optionsIdentity(buildId: string, options: LoadOptions, kind: CacheKind): string {
  const { env: _env, trace: _trace, ...rest } = options;
  return JSON.stringify([FORMAT, buildId, kind, rest]);
}

/** The key: the per-user secret, build, kind, options and the current value of every input the entry lists. */
function deriveKey(
  secret: Buffer,
  buildId: string,
  options: LoadOptions,
  kind: CacheKind,
  inputs: Inputs,
  env: Env,
): Buffer {
  const hash = createHmac('sha256', secret);
  hash.update(optionsIdentity(buildId, options, kind));
  for (const [path, probe] of inputs.files) hash.update(`\0f${path}\0${probe}\0${fileState(path, probe)}`);
  const names = inputs.wholeEnv ? Object.keys(env).sort() : inputs.names;
  for (const name of names) {
    const value = env[name];
    hash.update(value === undefined ? `\0u${name}` : `\0v${name}\0${value}`);
  }
  return hash.digest();
}

/** Where the entry for these options lives (the name depends on options and kind, not on input values). */
function entryPath(dir: string, buildId: string, options: LoadOptions, kind: CacheKind): string {
  const name = createHash('sha256')
    .update(optionsIdentity(buildId, options, kind))
    .digest('hex')
    .slice(0, 32);
  return join(dir, `${name}.json`);
}

/** Entries kept: one per project directory and option set; the least recently written go first. */
const MAX_ENTRIES = 256;

/**
 * Past MAX_ENTRIES, the oldest entries are removed down to this many: a full cache then takes
 * 64 writes before the next pruning, instead of a stat of every entry on every write (~10 ms
 * of each `up` after a change, once the cache had filled).
 */
const PRUNED_ENTRIES = 192;

/** Removes the oldest entries beyond MAX_ENTRIES (on a write only: hits never list the directory). */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names
    .map((n) => ({ path: join(dir, n), mtime: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const { path } of aged.slice(0, names.length - PRUNED_ENTRIES)) rmSync(path, { force: true });
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
  return {
    tracer,
    inputs: () => ({ files: [...files].sort((a, b) => byCodePoint(a[0], b[0])), names: [...names].sort(), wholeEnv }),
  };
}

/** Reports why the cache is ignored (one line), at most once per call of loadThroughCache. */
export type CacheWarn = (message: string) => void;

function reportUntrusted(error: unknown, warn: CacheWarn | undefined): void {
  if (error instanceof UntrustedCache) warn?.(`model cache ignored: ${error.message.replace(/\s+/g, ' ')}`);
}

/**
 * The cached model for these options when every input it was built from is unchanged, else
 * undefined. The variables are read from `options.env`, the environment the load would get.
 * An untrusted directory, key or entry is a miss (reported through `warn`).
 */
export function readCachedModel(
  dir: string,
  buildId: string,
  options: LoadOptions,
  warn?: CacheWarn,
): StackModel | undefined {
  return readCachedLoad<StackModel>(dir, buildId, options, 'model', warn);
}

/** Stores `model` as loaded from `inputs` (what recordInputs saw). Failures are ignored. */
export function writeCachedModel(
  dir: string,
  buildId: string,
  options: LoadOptions,
  inputs: Inputs,
  model: StackModel,
  warn?: CacheWarn,
): void {
  writeCachedLoad(dir, buildId, options, 'model', inputs, model, warn);
}

/** readCachedModel for an entry of any kind: the stored result (plain JSON data) of that kind of load. */
export function readCachedLoad<T>(
  dir: string,
  buildId: string,
  options: LoadOptions,
  kind: CacheKind,
  warn?: CacheWarn,
): T | undefined {
  try {
    requireTrustedDirs(dir);
    const secret = readSecret(dir, false);
    if (secret === undefined) return undefined;
    const path = entryPath(dir, buildId, options, kind);
    requireTrusted(path, 'file');
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Entry;
    if (entry.format !== FORMAT || typeof entry.mac !== 'string') return undefined;
    const expected = Buffer.from(inputsMac(secret, entry.inputs), 'base64');
    const given = Buffer.from(entry.mac, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const key = deriveKey(secret, buildId, options, kind, entry.inputs, options.env);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(entry.iv, 'base64'));
    decipher.setAAD(Buffer.from(entry.mac, 'base64'));
    decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    const payload = JSON.parse(text) as { result: T; variables: Array<[string, string]> };
    // The values the load substituted, so that output redacts them as after a real load.
    for (const [name, value] of payload.variables) noteVariableValue(name, value);
    return payload.result;
  } catch (error) {
    reportUntrusted(error, warn);
    return undefined;
  }
}

/** writeCachedModel for an entry of any kind; `result` must be plain JSON data. */
export function writeCachedLoad(
  dir: string,
  buildId: string,
  options: LoadOptions,
  kind: CacheKind,
  inputs: Inputs,
  result: unknown,
  warn?: CacheWarn,
): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    requireTrustedDirs(dir);
    const secret = readSecret(dir, true)!;
    const mac = inputsMac(secret, inputs);
    const key = deriveKey(secret, buildId, options, kind, inputs, options.env);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(mac, 'base64'));
    const data = Buffer.concat([
      cipher.update(JSON.stringify({ result, variables: notedVariableValues() }), 'utf8'),
      cipher.final(),
    ]);
    const entry: Entry = {
      format: FORMAT,
      inputs,
      mac,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const path = entryPath(dir, buildId, options, kind);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, path);
    prune(dir);
  } catch (error) {
    // read-only home, full disk: run without a cache
    reportUntrusted(error, warn);
  }
}

/** Set by scripts/bundle-cli.mjs: the build the CLI runs. Unset (tests from src/, the library): no cache. */
declare const __STACK_BUILD_ID__: string | undefined;

/** Where and how loadThroughCache works; the CLI passes only `warn`. */
export interface CacheOptions {
  /** The build (default: the bundled CLI's; unset: no cache). */
  readonly buildId?: string;
  /** The entries' directory (default: modelCacheDir). */
  readonly dir?: string;
  /** Receives the one-line warning when the cache is ignored as untrusted. */
  readonly warn?: CacheWarn;
}

/** The build and the entries' directory of a lookup, or undefined when there is no cache. */
function cachePlace(options: LoadOptions, cache: CacheOptions): { buildId: string; dir: string } | undefined {
  const buildId = cache.buildId ?? (typeof __STACK_BUILD_ID__ === 'string' ? __STACK_BUILD_ID__ : undefined);
  const dir = buildId === undefined ? undefined : (cache.dir ?? modelCacheDir(options.env));
  return buildId === undefined || dir === undefined ? undefined : { buildId, dir };
}

/**
 * The stored result of that kind of load when its entry is valid (every input unchanged), else
 * undefined; never loads, never writes. Lets a caller that needs one kind only in some cases
 * (the swarm target chosen by the file itself) ask for it before loading the other.
 */
export function peekResultInCache<T>(options: LoadOptions, kind: CacheKind, cache: CacheOptions = {}): T | undefined {
  const place = cachePlace(options, cache);
  return place && readCachedLoad<T>(place.dir, place.buildId, options, kind, cache.warn);
}

/**
 * `load(options)` through the cache: a hit when every input is unchanged, else a real load
 * that is then stored. Errors are never cached (a failing load throws as always).
 */
export function loadThroughCache(
  options: LoadOptions,
  load: (options: LoadOptions) => Promise<StackModel>,
  cache: CacheOptions = {},
): Promise<StackModel> {
  return loadResultThroughCache(options, 'model', load, cache);
}

/**
 * loadThroughCache for a load of any kind whose result is plain JSON data (the swarm target's
 * load: the model, the raw `deploy:` keys it reads and its diagnostics with their positions).
 * The load must read every file and variable through `options.trace` (loadStack does).
 */
export async function loadResultThroughCache<T>(
  options: LoadOptions,
  kind: CacheKind,
  load: (options: LoadOptions) => Promise<T>,
  cache: CacheOptions = {},
): Promise<T> {
  const place = cachePlace(options, cache);
  if (place === undefined) return load(options);
  const { buildId, dir } = place;
  let warned = false;
  const warn: CacheWarn = (message) => {
    if (!warned) cache.warn?.(message);
    warned = true;
  };
  const hit = readCachedLoad<T>(dir, buildId, options, kind, warn);
  if (hit !== undefined) return hit;
  const recorder = recordInputs();
  const result = await load({ ...options, trace: recorder.tracer });
  if (!warned) writeCachedLoad(dir, buildId, options, kind, recorder.inputs(), result, warn);
  return result;
}
