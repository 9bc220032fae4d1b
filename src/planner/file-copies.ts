/**
 * Secrets and configs that are copied into a container before it starts instead of being
 * bind-mounted (docker/compose pkg/compose/secrets.go): every `environment:` or `content:`
 * source, and a `file:` source whose reference sets `uid`, `gid` or `mode` (a bind mount keeps
 * the host file's owner and mode). Default mode 0444 as Compose. The digest names what was
 * copied (targets, owners, modes, content hashes, hooks) without any value, for the config hash.
 */
import { createHash } from 'node:crypto';
import type { HookSpec, PreStartHookSpec, SecretSpec, ServiceFileRef, ServiceSpec, StackModel } from '../model.js';

/** One file to write into the container (path absolute in the container). */
export interface FileCopy {
  readonly target: string;
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** The content, for `environment:` and `content:` sources (masked in the JSON plan). */
  readonly content?: string;
  /** The host file to read, for a `file:` source. */
  readonly file?: string;
}

/** True when `ref` to `def` is copied rather than bind-mounted. */
export function isCopied(ref: ServiceFileRef, def: SecretSpec | undefined): boolean {
  if (!def || def.external) return false;
  if (def.file === undefined) return def.content !== undefined || def.value !== undefined;
  return ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined;
}

function id(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The copies of a service's secrets then configs, in the order written. */
export function fileCopies(model: StackModel, service: ServiceSpec): FileCopy[] {
  const out: FileCopy[] = [];
  for (const [refs, defs] of [
    [service.secrets, model.secrets],
    [service.configs, model.configs],
  ] as const) {
    for (const ref of refs) {
      const def = defs[ref.source];
      if (!def || !isCopied(ref, def)) continue;
      const uid = id(ref.uid);
      const gid = id(ref.gid);
      const content = def.content ?? def.value;
      out.push({
        target: ref.target,
        mode: ref.mode ?? 0o444,
        ...(uid !== undefined ? { uid } : {}),
        ...(gid !== undefined ? { gid } : {}),
        ...(def.file !== undefined ? { file: def.file } : content !== undefined ? { content } : {}),
      });
    }
  }
  return out;
}

/**
 * sha256 over the copies (contents hashed, never kept; a copied `file:` by the digest the
 * loader took of it) and the hooks; undefined when there are none.
 */
export function filesDigest(
  model: StackModel,
  copies: readonly FileCopy[],
  hooks: readonly (readonly (HookSpec | PreStartHookSpec)[])[],
): string | undefined {
  if (copies.length === 0 && hooks.every((h) => h.length === 0)) return undefined;
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
  const fileDigest = (file: string): string | undefined =>
    [...Object.values(model.secrets), ...Object.values(model.configs)].find((d) => d.file === file)?.digest;
  const files = copies.map((c) => ({
    ...c,
    content: c.content === undefined ? undefined : sha(c.content),
    digest: c.file === undefined ? undefined : fileDigest(c.file),
  }));
  return sha(JSON.stringify({ files, hooks }));
}
