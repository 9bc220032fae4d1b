/**
 * Where the Docker engine is: `DOCKER_HOST` (unix://, tcp:// with TLS, ssh://), else the
 * current Docker context (<config>/config.json → contexts/meta/<sha>/meta.json, TLS material
 * in contexts/tls/<sha>/docker; <config> is DOCKER_CONFIG or ~/.docker), else
 * /var/run/docker.sock, else the rootless sockets. docker-modem reads only DOCKER_HOST, so we
 * resolve the endpoint ourselves and hand it explicit options.
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StackError, diagnostic } from '../errors.js';

/** A resolved engine endpoint, transport-specific. */
export type Endpoint =
  | { readonly kind: 'unix'; readonly url: string; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly url: string;
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
      /** Directory holding ca.pem, cert.pem, key.pem (TLS only). */
      readonly certPath?: string;
      /** TLS without verifying the engine's certificate (a context's SkipTLSVerify). */
      readonly skipVerify?: boolean;
    }
  | {
      readonly kind: 'ssh';
      readonly url: string;
      readonly host: string;
      readonly port: number;
      readonly username?: string;
    };

type Env = Readonly<Record<string, string | undefined>>;

/** The Docker config directory: DOCKER_CONFIG when set (non-empty), else ~/.docker. */
export function dockerConfigDir(env: Env, home: string = homedir()): string {
  const dir = env['DOCKER_CONFIG'];
  return dir ? dir : join(home, '.docker');
}

/** A Docker context's docker endpoint: its host and, when the context stores them, TLS settings. */
interface ContextEndpoint {
  readonly name: string;
  readonly host: string;
  /** `contexts/tls/<sha256(name)>/docker`, holding ca.pem, cert.pem, key.pem, when present. */
  readonly tlsDir?: string;
  readonly skipVerify: boolean;
}

interface ContextMeta {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function readMeta(file: string): ContextMeta | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ContextMeta;
  } catch {
    return undefined; // an unreadable context is skipped
  }
}

/**
 * The current Docker context's endpoint (`DOCKER_CONTEXT`, else `currentContext` in
 * config.json), if one other than `default` is configured. Contexts live in
 * `<config>/contexts/meta/<sha256(name)>/meta.json`; their TLS material in
 * `<config>/contexts/tls/<sha256(name)>/docker/`.
 */
function contextEndpoint(env: Env, home: string): ContextEndpoint | undefined {
  const configDir = dockerConfigDir(env, home);
  let current = env['DOCKER_CONTEXT'] || undefined;
  if (current === undefined) {
    try {
      const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
      if (typeof config.currentContext === 'string' && config.currentContext !== '') current = config.currentContext;
    } catch {
      return undefined;
    }
  }
  if (current === undefined || current === 'default') return undefined;
  const metaDir = join(configDir, 'contexts', 'meta');
  const name = current;
  const matches = (meta: ContextMeta | undefined): meta is ContextMeta & { Endpoints: { docker: { Host: string } } } =>
    meta?.Name === name && typeof meta.Endpoints?.docker?.Host === 'string';
  // The directory is the sha256 of the name; scan as a fallback (a store written by hand).
  let found: { id: string; meta: ContextMeta & { Endpoints: { docker: { Host: string } } } } | undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const direct = readMeta(join(metaDir, id, 'meta.json'));
  if (matches(direct)) found = { id, meta: direct };
  else {
    let entries: string[];
    try {
      entries = readdirSync(metaDir).sort();
    } catch {
      return undefined;
    }
    for (const entry of entries) {
      const meta = readMeta(join(metaDir, entry, 'meta.json'));
      if (matches(meta)) {
        found = { id: entry, meta };
        break;
      }
    }
  }
  if (!found) return undefined;
  const tlsDir = join(configDir, 'contexts', 'tls', found.id, 'docker');
  const hasTls = ['ca.pem', 'cert.pem', 'key.pem'].some((file) => existsSync(join(tlsDir, file)));
  return {
    name,
    host: found.meta.Endpoints.docker.Host,
    skipVerify: found.meta.Endpoints.docker.SkipTLSVerify === true,
    ...(hasTls ? { tlsDir } : {}),
  };
}

function insecure(url: string): StackError {
  return new StackError('ENGINE_INSECURE', `refusing plain-text connection to the Docker engine at ${url}`, {
    diagnostics: [
      diagnostic(
        'ENGINE_INSECURE',
        `refusing plain-text connection to the Docker engine at ${url}`,
        undefined,
        'set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, use ssh://, or set STACK_ALLOW_INSECURE_TCP=1 to allow it',
      ),
    ],
  });
}

/** TLS settings that come with a host (a Docker context's), overriding DOCKER_TLS_VERIFY / DOCKER_CERT_PATH. */
export interface HostTls {
  /** Directory holding ca.pem, cert.pem, key.pem. */
  readonly certPath?: string;
  readonly skipVerify?: boolean;
}

/**
 * Parses one host URL (as in DOCKER_HOST or a context) into an endpoint. `tls` is a context's
 * TLS material; without it TLS comes from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (default: the
 * Docker config directory, DOCKER_CONFIG or ~/.docker).
 */
export function parseHost(host: string, env: Env, tls?: HostTls, home: string = homedir()): Endpoint {
  if (host.startsWith('unix://'))
    return { kind: 'unix', url: host, socketPath: host.slice('unix://'.length) || '/var/run/docker.sock' };
  if (host.startsWith('/')) return { kind: 'unix', url: `unix://${host}`, socketPath: host };
  const withScheme = host.includes('://') ? host : `tcp://${host}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new StackError(
      'USAGE',
      `invalid Docker host "${host}": expected unix:///path, tcp://host:port or ssh://user@host`,
    );
  }
  if (parsed.protocol === 'ssh:') {
    return {
      kind: 'ssh',
      url: withScheme,
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 22,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    };
  }
  if (parsed.protocol !== 'tcp:' && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StackError('USAGE', `unsupported Docker host scheme "${parsed.protocol}" in "${host}"`);
  }
  let useTls: boolean;
  let certPath: string | undefined;
  let skipVerify = false;
  if (tls !== undefined) {
    // A context: TLS when it stores certificates or skips verification (as the docker CLI).
    useTls = parsed.protocol === 'https:' || tls.certPath !== undefined || tls.skipVerify === true;
    certPath = tls.certPath;
    skipVerify = tls.skipVerify === true;
  } else {
    const verify = env['DOCKER_TLS_VERIFY'];
    useTls = parsed.protocol === 'https:' || (verify !== undefined && verify !== '' && verify !== '0');
    certPath = env['DOCKER_CERT_PATH'] || (useTls ? dockerConfigDir(env, home) : undefined);
  }
  const port = parsed.port ? Number(parsed.port) : useTls ? 2376 : 2375;
  if (!useTls && env['STACK_ALLOW_INSECURE_TCP'] !== '1') throw insecure(withScheme);
  return {
    kind: 'tcp',
    url: withScheme,
    host: parsed.hostname,
    port,
    tls: useTls,
    ...(certPath !== undefined && useTls ? { certPath } : {}),
    ...(skipVerify && useTls ? { skipVerify: true } : {}),
  };
}

function usable(path: string): boolean {
  try {
    accessSync(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves the engine endpoint: DOCKER_HOST, then the Docker context, then the system socket,
 * then rootless sockets. Falls back to /var/run/docker.sock (so the error names it).
 */
export function resolveEndpoint(env: Env, home: string = homedir(), uid: number = process.getuid?.() ?? 0): Endpoint {
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost) return parseHost(dockerHost, env, undefined, home);
  const context = contextEndpoint(env, home);
  if (context) {
    return parseHost(
      context.host,
      env,
      { ...(context.tlsDir !== undefined ? { certPath: context.tlsDir } : {}), skipVerify: context.skipVerify },
      home,
    );
  }
  const candidates = ['/var/run/docker.sock'];
  if (env['XDG_RUNTIME_DIR']) candidates.push(join(env['XDG_RUNTIME_DIR'], 'docker.sock'));
  candidates.push(`/run/user/${uid}/docker.sock`, join(home, '.docker', 'run', 'docker.sock'));
  const found = candidates.find((path) => usable(path) && existsSync(path));
  const socketPath = found ?? '/var/run/docker.sock';
  return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
}
