/**
 * The lock file (docs/lock-file.md): for every service, the image reference it names and the
 * registry digest and image ID that reference resolved to when the lock was written. Pure
 * functions here (format, parse, apply, compare); reading and writing the file are the only
 * I/O, kept at the bottom.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { StackError } from '../errors.js';
import type { ServiceSpec, StackModel } from '../model.js';
import { imageRef, resolveImage } from '../planner/images.js';
import type { ObservedImage } from '../planner/types.js';
import { digestFor, pinReference } from '../image-ref.js';

/** The lock file format version this code writes and reads. */
export const LOCK_VERSION = 1;

/** One service's locked image. */
export interface LockedImage {
  /** The reference as the stack file resolves it (`image:` or `<project>-<service>`). */
  readonly image: string;
  /** Registry manifest digest (`sha256:...`); absent for images only built locally. */
  readonly digest?: string;
  /** The image ID (config digest) seen when locking; informational, not compared by --check. */
  readonly imageId?: string;
  /** True when the service has a build section (such images are recorded but never pinned). */
  readonly build?: boolean;
}

/** The whole lock file. */
export interface LockFile {
  readonly version: typeof LOCK_VERSION;
  readonly project: string;
  readonly services: Readonly<Record<string, LockedImage>>;
}

/** One difference between a lock and the stack (or the registry). */
export interface LockDrift {
  readonly service: string;
  readonly kind: 'service_added' | 'service_removed' | 'image_changed' | 'digest_changed' | 'not_locked_digest';
  readonly message: string;
}

/** `stack.yaml` → `stack.lock.json`, `compose.yml` → `compose.lock.json`, next to the first stack file. */
export function lockFilePath(model: Pick<StackModel, 'configFiles' | 'workingDir'>): string {
  const first = model.configFiles[0];
  if (first === undefined) return join(model.workingDir, 'stack.lock.json');
  return join(dirname(first), `${basename(first, extname(first))}.lock.json`);
}

/** Canonical text: sorted services, two-space indent, trailing newline (diff-friendly). */
export function serializeLock(lock: LockFile): string {
  const services: Record<string, LockedImage> = {};
  for (const name of Object.keys(lock.services).sort()) {
    const s = lock.services[name]!;
    services[name] = {
      image: s.image,
      ...(s.digest ? { digest: s.digest } : {}),
      ...(s.imageId ? { imageId: s.imageId } : {}),
      ...(s.build ? { build: true } : {}),
    };
  }
  return JSON.stringify({ version: lock.version, project: lock.project, services }, null, 2) + '\n';
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses and validates lock file text; INVALID_VALUE naming the file and the field otherwise. */
export function parseLock(text: string, file: string): LockFile {
  const fail = (why: string): never => {
    throw new StackError('INVALID_VALUE', `${file}: ${why} (regenerate it with \`stack lock\`)`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object') return fail('not a JSON object');
  const obj = raw as { version?: unknown; project?: unknown; services?: unknown };
  if (obj.version !== LOCK_VERSION)
    return fail(`unsupported version ${JSON.stringify(obj.version)}; this stack reads version ${LOCK_VERSION}`);
  if (typeof obj.project !== 'string') return fail('"project" must be a string');
  if (obj.services === null || typeof obj.services !== 'object' || Array.isArray(obj.services))
    return fail('"services" must be an object');
  const services: Record<string, LockedImage> = Object.create(null) as Record<string, LockedImage>;
  for (const [name, value] of Object.entries(obj.services as Record<string, unknown>)) {
    const v = value as { image?: unknown; digest?: unknown; imageId?: unknown; build?: unknown } | null;
    if (v === null || typeof v !== 'object' || typeof v.image !== 'string')
      return fail(`services.${name}.image must be a string`);
    if (v.digest !== undefined && (typeof v.digest !== 'string' || !DIGEST.test(v.digest)))
      return fail(`services.${name}.digest must be sha256:<64 hex>`);
    if (v.imageId !== undefined && typeof v.imageId !== 'string')
      return fail(`services.${name}.imageId must be a string`);
    services[name] = {
      image: v.image,
      ...(typeof v.digest === 'string' ? { digest: v.digest } : {}),
      ...(typeof v.imageId === 'string' ? { imageId: v.imageId } : {}),
      ...(v.build === true ? { build: true } : {}),
    };
  }
  return { version: LOCK_VERSION, project: obj.project, services };
}

/** The result of applyLock. */
export interface AppliedLock {
  /** The model with locked, buildless services' images pinned to `repo@sha256:...`. */
  readonly model: StackModel;
  /** Services whose image was pinned. */
  readonly pinned: readonly string[];
  readonly drift: readonly LockDrift[];
}

/**
 * Pins every service the lock covers (same reference, a digest, no build section) to its
 * digest. The stack file wins where it changed (a new service, another image): those are
 * reported as drift and left unpinned. With `images`, a local tag that now points at another
 * digest than the lock's is reported too (the pinned one is used).
 */
export function applyLock(model: StackModel, lock: LockFile, images: readonly ObservedImage[] = []): AppliedLock {
  const services: Record<string, ServiceSpec> = {};
  const pinned: string[] = [];
  const drift: LockDrift[] = [];
  for (const name of Object.keys(model.services).sort()) {
    const spec = model.services[name]!;
    const ref = imageRef(model.name, spec);
    const entry = lock.services[name];
    services[name] = spec;
    if (!entry) {
      drift.push({
        service: name,
        kind: 'service_added',
        message: `service ${name} is not in the lock file; run \`stack lock\``,
      });
      continue;
    }
    if (entry.image !== ref) {
      drift.push({
        service: name,
        kind: 'image_changed',
        message: `service ${name} now uses ${ref}, the lock has ${entry.image}; using ${ref} unpinned`,
      });
      continue;
    }
    if (spec.build || entry.digest === undefined) continue;
    const local = resolveImage(ref, images);
    const localDigest = local ? digestFor(ref, local.repoDigests) : undefined;
    if (localDigest !== undefined && localDigest !== entry.digest) {
      drift.push({
        service: name,
        kind: 'digest_changed',
        message: `local ${ref} is ${localDigest}, the lock pins ${entry.digest}; using the pinned digest`,
      });
    }
    services[name] = { ...spec, image: pinReference(ref, entry.digest) };
    pinned.push(name);
  }
  for (const name of Object.keys(lock.services).sort()) {
    if (!(name in model.services))
      drift.push({
        service: name,
        kind: 'service_removed',
        message: `service ${name} is in the lock file but not in the stack`,
      });
  }
  return { model: { ...model, services }, pinned, drift };
}

/**
 * What makes `expected` (the lock on disk) stale against `actual` (freshly resolved): services
 * added or removed, another image reference, another digest. Image IDs are not compared: a
 * local build's ID differs between machines.
 */
export function compareLocks(expected: LockFile, actual: LockFile): LockDrift[] {
  const drift: LockDrift[] = [];
  const names = [...new Set([...Object.keys(expected.services), ...Object.keys(actual.services)])].sort();
  for (const name of names) {
    const want = expected.services[name];
    const have = actual.services[name];
    if (!want) drift.push({ service: name, kind: 'service_added', message: `service ${name} is not in the lock file` });
    else if (!have)
      drift.push({
        service: name,
        kind: 'service_removed',
        message: `service ${name} is in the lock file but not in the stack`,
      });
    else if (want.image !== have.image)
      drift.push({
        service: name,
        kind: 'image_changed',
        message: `service ${name} uses ${have.image}, the lock has ${want.image}`,
      });
    else if (want.digest !== have.digest) {
      const kind = want.digest === undefined ? 'not_locked_digest' : 'digest_changed';
      drift.push({
        service: name,
        kind,
        message:
          `${have.image} is now ${have.digest ?? 'without a registry digest'}, ` +
          `the lock has ${want.digest ?? 'no digest'}`,
      });
    }
  }
  return drift;
}

/** Reads the lock file; undefined when there is none. INVALID_VALUE when it is malformed. */
export async function readLockFile(path: string): Promise<LockFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StackError('FILE_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseLock(text, path);
}

/** Writes the lock file atomically (temp file + rename). */
export async function writeLockFile(path: string, lock: LockFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, serializeLock(lock));
  await rename(tmp, path);
}

/**
 * For `up`: reads the lock next to the stack file and applies it. Undefined when there is no
 * lock file (the model is used as it is).
 */
export async function loadAndApplyLock(
  model: StackModel,
  images: readonly ObservedImage[] = [],
): Promise<(AppliedLock & { readonly path: string }) | undefined> {
  const path = lockFilePath(model);
  const lock = await readLockFile(path);
  return lock ? { ...applyLock(model, lock, images), path } : undefined;
}
