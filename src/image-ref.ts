/**
 * Image references the way the Docker CLI reads them: `[registry/]path[:tag][@digest]`, where
 * the first component is a registry only when it looks like a host (has a `.` or a `:`, or
 * is `localhost`). Docker Hub is `docker.io`, and its credentials live under the legacy key
 * `https://index.docker.io/v1/` in ~/.docker/config.json.
 */

/** A parsed image reference. */
export interface ImageReference {
  /** `docker.io`, `127.0.0.1:5000`, `ghcr.io`. */
  readonly registry: string;
  /** Path within the registry: `library/nginx`, `team/app`. */
  readonly path: string;
  readonly tag?: string;
  /** `sha256:...` */
  readonly digest?: string;
}

/** The key Docker Hub credentials are stored under in config.json. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** Parses `ref`; a missing tag stays missing (callers default it to `latest` where needed). */
export function parseReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  const isHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = isHost ? first : 'docker.io';
  let path = isHost ? rest.slice(slash + 1) : rest;
  if (registry === 'index.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The repository as the engine names it in RepoTags/RepoDigests: `nginx`, `127.0.0.1:5000/x`. */
export function repositoryOf(ref: string): string {
  const { registry, path } = parseReference(ref);
  if (registry === 'docker.io') return path.startsWith('library/') ? path.slice('library/'.length) : path;
  return `${registry}/${path}`;
}

/** `repo:tag` with the tag defaulted to `latest` (digest references are returned as they are). */
export function withDefaultTag(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) return ref;
  return parsed.tag !== undefined ? ref : `${ref}:latest`;
}

/** `repo@sha256:...`: the reference pinned to a digest (any tag dropped, as the engine would ignore it). */
export function pinReference(ref: string, digest: string): string {
  const parsed = parseReference(ref);
  const repo = parsed.registry === 'docker.io' ? repositoryOf(ref) : `${parsed.registry}/${parsed.path}`;
  return `${repo}@${digest}`;
}

/**
 * `name:tag@digest` in full (`docker.io/library/nginx:latest@sha256:…`), as compose-go writes a
 * reference pinned by `config --resolve-image-digests`: the tag kept for the reader, the digest
 * deciding what runs.
 */
export function canonicalPinned(ref: string, digest: string): string {
  const { registry, path, tag } = parseReference(ref);
  return `${registry}/${path}:${tag ?? 'latest'}@${digest}`;
}

/** The config.json key of the registry that serves `ref`. */
export function authKeyOf(ref: string): string {
  const { registry } = parseReference(ref);
  return registry === 'docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}

/** The digest part of a RepoDigests entry of `ref`'s repository, if the image has one. */
export function digestFor(ref: string, repoDigests: readonly string[]): string | undefined {
  const repo = repositoryOf(ref);
  for (const entry of repoDigests) {
    const at = entry.indexOf('@');
    if (at !== -1 && repositoryOf(entry.slice(0, at)) === repo) return entry.slice(at + 1);
  }
  return undefined;
}
