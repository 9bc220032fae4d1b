/**
 * What convert needs from outside the model, read before planning: the Swarm keys of each
 * service (raw data), the content of secrets and configs (files, variables, inline content),
 * and each image's digest in its registry (asked of the manager, which asks the registry, with the
 * user's credentials for it, as the local target's pull).
 */
import { readFileSync } from 'node:fs';
import { runBuild } from '../../images/build.js';
import { buildKey } from '../../images/plan-images.js';
import { StackError, diagnostic } from '../../errors.js';
import type { Diagnostic } from '../../errors.js';
import type { StackModel } from '../../model.js';
import type { SwarmClient } from './client.js';
import { readSwarmDeploy } from './deploy.js';
import type { SwarmDeploy } from './deploy.js';
import { pushImageForDigest, registryDigest } from '../../engine/images.js';
import type { RegistryAuth } from '../../engine/types.js';

/** The Swarm keys of every enabled service, from the merged raw services. */
export function readDeploys(
  model: StackModel,
  rawServices: Readonly<Record<string, unknown>>,
): Record<string, SwarmDeploy> {
  return Object.fromEntries(Object.keys(model.services).map((key) => [key, readSwarmDeploy(rawServices[key])]));
}

/** The content of every non-external secret and config a service uses, by `secret:<key>` / `config:<key>`. */
export function readFileObjects(
  model: StackModel,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const kind of ['secret', 'config'] as const) {
    const specs = kind === 'secret' ? model.secrets : model.configs;
    const used = new Set(
      Object.values(model.services).flatMap((s) => (kind === 'secret' ? s.secrets : s.configs).map((r) => r.source)),
    );
    for (const key of used) {
      const spec = specs[key];
      if (!spec || spec.external) continue;
      let data: Uint8Array;
      if (spec.file !== undefined) {
        try {
          data = readFileSync(spec.file);
        } catch (error) {
          throw new StackError('FILE_NOT_FOUND', `${kind} "${key}": cannot read ${spec.file}`, { cause: error });
        }
      } else if (spec.environment !== undefined) {
        data = Buffer.from(env[spec.environment] ?? '');
      } else {
        data = Buffer.from(spec.content ?? '');
      }
      out.set(`${kind}:${key}`, data);
    }
  }
  return out;
}

/** `name:tag@sha256:…` → `name:tag`. */
function withoutDigest(ref: string): string {
  const at = ref.indexOf('@');
  return at < 0 ? ref : ref.slice(0, at);
}

/** Options of buildAndPush. */
export interface SwarmBuildOptions {
  /** Build every service with `build:` (`up --build`); otherwise only those whose image no registry has. */
  readonly force?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  /** Told each image built and pushed, with its digest. */
  readonly onPushed?: (image: string, digest: string | undefined) => void;
  /** Registry credentials by image (config.json, credential helpers), for the registry checks and the push. */
  readonly credentials?: Credentials;
}

/** Registry credentials of an image reference (undefined: anonymous). */
export type Credentials = (ref: string) => Promise<RegistryAuth | undefined>;

/**
 * Services with `build:` and a registry `image:`: built on the manager's engine, tagged with
 * the image, and pushed, so every node can pull the same bits by digest. Without `force`, only
 * the images their registry does not have yet are built (a no-op `up` builds and pushes
 * nothing). Resolves to the services built, by key.
 */
export async function buildAndPush(
  client: SwarmClient,
  model: StackModel,
  options: SwarmBuildOptions = {},
): Promise<string[]> {
  const built: string[] = [];
  for (const [key, service] of Object.entries(model.services)) {
    if (!service.build || service.image === undefined) continue;
    const auth = await options.credentials?.(service.image);
    if (!options.force) {
      const known = await registryDigest(client, withoutDigest(service.image), options.signal, auth).then(
        () => true,
        () => false,
      );
      if (known) continue;
    }
    const image = withoutDigest(service.image);
    await runBuild(
      client,
      {
        key: buildKey(service.build, service.platform),
        image,
        tags: [image],
        services: [key],
        build: service.build,
        ...(service.platform ? { platform: service.platform } : {}),
        reason: {
          code: options.force ? 'build_forced' : 'missing',
          detail: options.force ? '--build' : 'not in its registry',
        },
      },
      { ...(options.env ? { env: options.env } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    const digest = await pushImageForDigest(client, image, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(auth ? { auth } : {}),
    });
    options.onPushed?.(image, digest);
    built.push(key);
  }
  return built;
}

/**
 * Each service's image pinned by the digest its registry holds (or by `locked`: service key →
 * the lock file's digest), so every node runs the same bits. An image the registry does not know
 * is deployed as written: a warning on a one-node swarm (the node may have it), an error naming
 * the service on a larger one (the other nodes could not pull it).
 */
export async function resolveImages(
  client: SwarmClient,
  model: StackModel,
  nodes: number | Promise<number>,
  signal?: AbortSignal,
  locked: ReadonlyMap<string, string> = new Map(),
  credentials?: Credentials,
): Promise<{ images: Record<string, string>; diagnostics: Diagnostic[] }> {
  const images: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  // A service the lock file pins is deployed by the locked digest: a digest names immutable
  // content, so the registry is not asked (a fully locked stack deploys with no round trip).
  const refs = [
    ...new Set(
      Object.entries(model.services)
        .filter(([key]) => !locked.has(key))
        .map(([, s]) => s.image)
        .filter((i): i is string => i !== undefined),
    ),
  ];
  const digests = new Map<string, string | Error>();
  await Promise.all(
    refs.map(async (ref) => {
      try {
        digests.set(ref, await registryDigest(client, withoutDigest(ref), signal, await credentials?.(ref)));
      } catch (error) {
        digests.set(ref, error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
  const nodeCount = await nodes;
  for (const [key, service] of Object.entries(model.services)) {
    if (service.image === undefined) continue;
    const digest = locked.get(key) ?? digests.get(service.image);
    if (typeof digest === 'string') {
      images[key] = `${withoutDigest(service.image)}@${digest}`;
      continue;
    }
    images[key] = service.image;
    const why = digest instanceof Error ? digest.message : 'unknown';
    // Not built in this run (`plan`, `config`, `--no-build`): `up` builds and pushes it first.
    if (service.build) continue;
    if (nodeCount > 1) {
      diagnostics.push(
        diagnostic(
          'IMAGE_NOT_FOUND',
          `service "${key}": image "${service.image}" is not in a registry the swarm can reach (${why}); ` +
            'the other nodes could not pull it',
          service.location,
          'push the image to a registry and name it in `image:`',
        ),
      );
    } else {
      diagnostics.push(
        diagnostic(
          'IMAGE_NOT_FOUND',
          `service "${key}": image "${service.image}" is not in a registry (${why}); ` +
            'deployed as written, the node must have it',
          service.location,
          undefined,
          'warning',
        ),
      );
    }
  }
  return { images, diagnostics };
}
