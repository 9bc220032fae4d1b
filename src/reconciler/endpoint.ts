/**
 * Where the Docker engine is: `DOCKER_HOST` (unix://, tcp:// with TLS, ssh://), else the
 * current Docker context (~/.docker/config.json → contexts/meta/<sha>/meta.json), else
 * /var/run/docker.sock, else the rootless sockets. docker-modem reads only DOCKER_HOST, so we
 * resolve the endpoint ourselves and hand it explicit options.
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
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
    }
  | { readonly kind: 'ssh'; readonly url: string; readonly host: string; readonly port: number; readonly username?: string };

type Env = Readonly<Record<string, string | undefined>>;

/** The Docker context's endpoint (`currentContext` or DOCKER_CONTEXT), if one is configured. */
function contextHost(env: Env, home: string): string | undefined {
  const configDir = env['DOCKER_CONFIG'] ?? join(home, '.docker');
  let current = env['DOCKER_CONTEXT'];
  if (current === undefined) {
    try {
      const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
      if (typeof config.currentContext === 'string') current = config.currentContext;
    } catch {
      return undefined;
    }
  }
  if (current === undefined || current === 'default') return undefined;
  const metaDir = join(configDir, 'contexts', 'meta');
  let entries: string[];
  try {
    entries = readdirSync(metaDir);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    try {
      const meta = JSON.parse(readFileSync(join(metaDir, entry, 'meta.json'), 'utf8')) as {
        Name?: string;
        Endpoints?: { docker?: { Host?: string } };
      };
      if (meta.Name === current && typeof meta.Endpoints?.docker?.Host === 'string') return meta.Endpoints.docker.Host;
    } catch {
      // an unreadable context is skipped
    }
  }
  return undefined;
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

/** Parses one host URL (as in DOCKER_HOST or a context) into an endpoint. */
export function parseHost(host: string, env: Env): Endpoint {
  if (host.startsWith('unix://')) return { kind: 'unix', url: host, socketPath: host.slice('unix://'.length) || '/var/run/docker.sock' };
  if (host.startsWith('/')) return { kind: 'unix', url: `unix://${host}`, socketPath: host };
  const withScheme = host.includes('://') ? host : `tcp://${host}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new StackError('USAGE', `invalid Docker host "${host}": expected unix:///path, tcp://host:port or ssh://user@host`);
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
  const verify = env['DOCKER_TLS_VERIFY'];
  const tls = parsed.protocol === 'https:' || (verify !== undefined && verify !== '' && verify !== '0');
  const port = parsed.port ? Number(parsed.port) : tls ? 2376 : 2375;
  if (!tls && env['STACK_ALLOW_INSECURE_TCP'] !== '1') throw insecure(withScheme);
  const certPath = env['DOCKER_CERT_PATH'] ?? (tls ? join(homedir(), '.docker') : undefined);
  return { kind: 'tcp', url: withScheme, host: parsed.hostname, port, tls, ...(certPath !== undefined && tls ? { certPath } : {}) };
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
  if (dockerHost) return parseHost(dockerHost, env);
  const fromContext = contextHost(env, home);
  if (fromContext) return parseHost(fromContext, env);
  const candidates = ['/var/run/docker.sock'];
  if (env['XDG_RUNTIME_DIR']) candidates.push(join(env['XDG_RUNTIME_DIR'], 'docker.sock'));
  candidates.push(`/run/user/${uid}/docker.sock`, join(home, '.docker', 'run', 'docker.sock'));
  const found = candidates.find((path) => usable(path) && existsSync(path));
  const socketPath = found ?? '/var/run/docker.sock';
  return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
}
