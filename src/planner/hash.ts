/**
 * The config hash (docs/architecture.md, "The hash scheme"). `v1:` + sha256 of the canonical
 * JSON of a create body with the name and the hash labels removed, plus the image key (the
 * resolved image ID, or `ref:<image>` when the image was not observed).
 *
 * node:crypto's createHash is pure (same bytes in, same digest out), so it is allowed here.
 */
import { createHash } from 'node:crypto';
import { Label } from '../labels.js';

/** The hash scheme this planner writes. Bump it when canonicalisation or the hashed fields change. */
export const HASH_VERSION = 'v1';

/**
 * Labels excluded from the hash: the hashes themselves, the recreate bookkeeping added after
 * hashing, and bookkeeping that does not change the container (which files were passed with
 * -f, the directory, the tool version): otherwise adding an override file or upgrading stack
 * would recreate every container. `depends_on` too: Compose leaves it out of its service hash
 * (docker/compose pkg/compose/hash.go), so a new dependency starts in order but recreates
 * nothing.
 */
const UNHASHED_LABELS: readonly string[] = [
  Label.configHash,
  Label.composeConfigHash,
  Label.replaces,
  Label.resourceHash,
  Label.workingDir,
  Label.configFiles,
  Label.composeVersion,
  Label.dependsOn,
];

/**
 * Labels v1 hashed before stack followed Compose on them. A container created then carries a
 * hash with them in; it still counts as up to date while they are unchanged (classify.ts), so
 * the change recreates nothing by itself and needs no new version.
 */
const FORMERLY_HASHED_LABELS: readonly string[] = [Label.dependsOn];

/**
 * Canonical form: object keys sorted recursively; `undefined`, `null`, empty strings, empty
 * arrays and `false` dropped. Dropping "empty defaults" is what makes `tty: false` vs no
 * `tty` and `environment: {}` vs none hash the same. Empty objects are kept, because the
 * engine uses `{}` as a set member (`ExposedPorts: { "80/tcp": {} }`); the desired-state
 * builder never emits an empty map for "nothing". Arrays keep their order (it is meaningful
 * in Cmd; Env is sorted before this).
 */
export function canonicalize(value: unknown): unknown {
  if (value === undefined || value === null || value === false || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map((v) => canonicalize(v) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonicalize((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  return value;
}

/**
 * Canonical JSON text (sorted keys, empty values dropped). JSON.stringify of the canonical
 * copy: written directly in JS instead, the text took twice as long in a short run.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value) ?? null);
}

/** Create-body fields where `[]` means "override the image's value with nothing", not "unset". */
const EXPLICIT_EMPTY_FIELDS: readonly string[] = ['Cmd', 'Entrypoint'];

/** A copy of `body` without the unhashed labels (but those in `keep`) and without `Name`. */
function withoutUnhashed(
  body: Readonly<Record<string, unknown>>,
  keep: readonly string[] = [],
): Record<string, unknown> {
  const { Name: _name, ...rest }: Record<string, unknown> = body;
  const labels = rest['Labels'];
  if (labels && typeof labels === 'object') {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(labels)) if (!UNHASHED_LABELS.includes(k) || keep.includes(k)) kept[k] = v;
    rest['Labels'] = kept;
  }
  return rest;
}

/** The image part of the hash: the resolved image ID, or `ref:<image>` when unresolved. */
export function imageKey(imageId: string | undefined, ref: string): string {
  return imageId ?? `ref:${ref}`;
}

/**
 * `v1:<sha256>` of a container create body (without name/hash labels), the networks connected
 * after create (they are part of the container's configuration even though 1.41 takes them in
 * a second call), the image key, and which of Cmd/Entrypoint are explicitly empty (if any).
 * `former`: as v1 hashed before FORMERLY_HASHED_LABELS left the hash (to recognise containers
 * created then).
 */
export function hashContainer(
  body: Readonly<Record<string, unknown>>,
  connect: Readonly<Record<string, unknown>>,
  image: string,
  scheme: 'current' | 'former' = 'current',
): string {
  return hashWithImage(containerHashPrefix(body, connect, scheme), image);
}

/**
 * The hashed text of a container without its image key: the canonical JSON of
 * `{ body, connect, explicitEmpty? }` without the closing brace. The image key is the last
 * member of the hashed object (`image` sorts after the others), so a replica's prefix is made
 * once, before the image is observed, and each image key costs one digest (hashWithImage).
 */
export function containerHashPrefix(
  body: Readonly<Record<string, unknown>>,
  connect: Readonly<Record<string, unknown>>,
  scheme: 'current' | 'former' = 'current',
): string {
  // Canonical JSON drops empty arrays, but an explicit empty Cmd/Entrypoint overrides the
  // image's; it is hashed as a separate member, so bodies without one hash as before.
  const explicitEmpty = EXPLICIT_EMPTY_FIELDS.filter(
    (k) => Array.isArray(body[k]) && (body[k] as unknown[]).length === 0,
  );
  const hashed = withoutUnhashed(body, scheme === 'former' ? FORMERLY_HASHED_LABELS : []);
  // Never empty: the body has at least Image, and an empty connect map is kept as `{}`.
  const text = canonicalJson({ body: hashed, connect, ...(explicitEmpty.length > 0 ? { explicitEmpty } : {}) });
  return text.slice(0, -1);
}

/** `v1:<sha256>` of a prefix (containerHashPrefix) completed with the image key. */
export function hashWithImage(prefix: string, image: string): string {
  const digest = createHash('sha256')
    .update(`${prefix},"image":${JSON.stringify(image)}}`)
    .digest('hex');
  return `${HASH_VERSION}:${digest}`;
}

/** `v1:<sha256>` of a network or volume create body (without name/hash labels). */
export function hashResource(body: Readonly<Record<string, unknown>>): string {
  const digest = createHash('sha256')
    .update(canonicalJson(withoutUnhashed(body)))
    .digest('hex');
  return `${HASH_VERSION}:${digest}`;
}

/** The version prefix of a stored hash (`v1`), or undefined when the label is absent or not ours. */
export function hashVersion(hash: string | undefined): string | undefined {
  if (hash === undefined) return undefined;
  const match = /^(v\d+):[0-9a-f]{64}$/.exec(hash);
  return match?.[1];
}
