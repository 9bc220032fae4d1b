/**
 * Registry credentials the way the Docker CLI finds them: `$DOCKER_CONFIG/config.json` (or
 * `~/.docker/config.json`), first a per-registry `credHelpers` entry, then the `credsStore`,
 * then the base64 `auth` (or username/password, identitytoken) under `auths`. A helper is the
 * program `docker-credential-<name>`, asked with `get` and the server URL on stdin; a helper
 * that is not installed, or knows nothing about the registry, is skipped.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from '../engine/images.js';
import { DOCKER_HUB_AUTH_KEY, authKeyOf } from '../image-ref.js';

/** The parts of config.json stack reads. */
export interface DockerConfigFile {
  readonly auths?: Readonly<
    Record<
      string,
      {
        readonly auth?: string;
        readonly username?: string;
        readonly password?: string;
        readonly identitytoken?: string;
      }
    >
  >;
  readonly credsStore?: string;
  readonly credHelpers?: Readonly<Record<string, string>>;
  /** The key sequence that detaches from an attached container (`attach`), e.g. `ctrl-p,ctrl-q`. */
  readonly detachKeys?: string;
}

/** Runs `docker-credential-<helper> get` for `server`; undefined when unavailable or unknown. */
export type CredentialHelperRunner = (
  helper: string,
  server: string,
) => Promise<{ Username: string; Secret: string } | undefined>;

/** The path of config.json for this environment. */
export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const dir = env['DOCKER_CONFIG'] ?? join(env['HOME'] ?? homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Reads config.json; a missing or unreadable file is an empty config. */
export async function readDockerConfig(env: Readonly<Record<string, string | undefined>>): Promise<DockerConfigFile> {
  try {
    const parsed = JSON.parse(await readFile(dockerConfigPath(env), 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

/** `https://registry.example.com/v2/` → `registry.example.com`; the Docker Hub keys → the legacy Hub key. */
export function normalizeRegistryKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DOCKER_HUB_AUTH_KEY;
  return host;
}

/**
 * A runner of credential helpers with node:child_process (kept out of schema/ and planner/;
 * loaded only when a helper runs, not by every `up`). The helper is looked up on the PATH of
 * `env` and runs with `env`: the environment the caller passed to the library, which need not
 * be the process's.
 */
export function credentialHelperRunner(
  env: Readonly<Record<string, string | undefined>> = process.env,
): CredentialHelperRunner {
  return async (helper, server) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return undefined;
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      const child = execFile(
        `docker-credential-${helper}`,
        ['get'],
        { timeout: 10_000, maxBuffer: 1 << 20, env: { ...env } },
        (error, stdout) => {
          if (error) {
            resolve(undefined);
            return;
          }
          try {
            const parsed = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
            resolve(
              typeof parsed.Secret === 'string' && parsed.Secret !== ''
                ? { Username: typeof parsed.Username === 'string' ? parsed.Username : '', Secret: parsed.Secret }
                : undefined,
            );
          } catch {
            resolve(undefined);
          }
        },
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(server);
    });
  };
}

/** The default runner: the process environment. */
export const runCredentialHelper: CredentialHelperRunner = credentialHelperRunner();

function fromHelper(result: { Username: string; Secret: string }, server: string): RegistryAuth {
  // `<token>` as the user name means the secret is an identity (refresh) token.
  return result.Username === '<token>'
    ? { identitytoken: result.Secret, serveraddress: server }
    : { username: result.Username, password: result.Secret, serveraddress: server };
}

function fromAuths(config: DockerConfigFile, key: string): RegistryAuth | undefined {
  for (const [k, entry] of Object.entries(config.auths ?? {})) {
    if (normalizeRegistryKey(k) !== key) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: key };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
    }
    if (entry.username && entry.password)
      return { username: entry.username, password: entry.password, serveraddress: key };
  }
  return undefined;
}

/** Credentials for the registry key (`normalizeRegistryKey` form), or undefined (anonymous). */
export async function authForRegistry(
  key: string,
  config: DockerConfigFile,
  run: CredentialHelperRunner = runCredentialHelper,
): Promise<RegistryAuth | undefined> {
  const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => normalizeRegistryKey(k) === key)?.[1];
  if (helper) {
    const result = await run(helper, key);
    if (result) return fromHelper(result, key);
  }
  if (config.credsStore) {
    const result = await run(config.credsStore, key);
    if (result) return fromHelper(result, key);
  }
  return fromAuths(config, key);
}

/** Credentials for the registry serving `ref`. */
export function authForImage(
  ref: string,
  config: DockerConfigFile,
  run: CredentialHelperRunner = runCredentialHelper,
): Promise<RegistryAuth | undefined> {
  return authForRegistry(authKeyOf(ref), config, run);
}

/**
 * X-Registry-Config for a build (credentials for base images): every registry named under
 * `auths` or `credHelpers`. Registries only known to a `credsStore` are not listed (that
 * would need the helper's `list`); their base images pull anonymously.
 */
export async function registryConfigForBuild(
  config: DockerConfigFile,
  run: CredentialHelperRunner = runCredentialHelper,
): Promise<Record<string, RegistryAuth>> {
  const keys = new Set(
    [...Object.keys(config.auths ?? {}), ...Object.keys(config.credHelpers ?? {})].map(normalizeRegistryKey),
  );
  const out: Record<string, RegistryAuth> = {};
  for (const key of [...keys].sort()) {
    const auth = await authForRegistry(key, config, run);
    if (auth) out[key] = auth;
  }
  return out;
}

/**
 * Credentials by image reference for one run: config.json read on the first lookup, each
 * registry's answer (a credential helper runs at most once per registry) kept for the run.
 */
export function credentialsLookup(
  env: Readonly<Record<string, string | undefined>>,
): (ref: string) => Promise<RegistryAuth | undefined> {
  const run = credentialHelperRunner(env);
  let config: Promise<DockerConfigFile> | undefined;
  const byRegistry = new Map<string, Promise<RegistryAuth | undefined>>();
  return (ref) => {
    const key = authKeyOf(ref);
    let auth = byRegistry.get(key);
    if (!auth) {
      auth = (config ??= readDockerConfig(env)).then((c) => authForRegistry(key, c, run));
      byRegistry.set(key, auth);
    }
    return auth;
  };
}
