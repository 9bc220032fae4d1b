/**
 * Which image a service runs: its reference (`image:` or `<project>-<service>` for a build)
 * and, when the observed state has it, the image ID the reference resolves to.
 */
import type { ServiceSpec } from '../model.js';
import type { ObservedImage } from './types.js';
import { parseReference, repositoryOf } from '../image-ref.js';

/** The image reference a service's containers are created from. */
export function imageRef(project: string, service: ServiceSpec): string {
  return service.image ?? `${project}-${service.name}`;
}

/**
 * `nginx` → `nginx:latest`, `docker.io/library/nginx:1` → `nginx:1`; digests kept. The engine
 * reports RepoTags in the short form, users write either (one reading of references:
 * src/image-ref.ts).
 */
export function normalizeImageRef(ref: string): string {
  const { tag, digest } = parseReference(ref);
  const repo = repositoryOf(ref);
  if (digest !== undefined) return `${repo}${tag !== undefined ? `:${tag}` : ''}@${digest}`;
  return `${repo}:${tag ?? 'latest'}`;
}

/** The observed image a reference resolves to, or undefined when it is not present locally. */
export function resolveImage(ref: string, images: readonly ObservedImage[]): ObservedImage | undefined {
  const wanted = normalizeImageRef(ref);
  const byDigest = wanted.includes('@');
  const candidates = images.filter((image) =>
    (byDigest ? image.repoDigests : image.repoTags).some((tag) => normalizeImageRef(tag) === wanted),
  );
  // Two images with the same tag cannot exist on one engine; sorting keeps a malformed snapshot deterministic.
  return candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}
