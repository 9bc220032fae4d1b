/**
 * "Review before you run": what a reviewer of the plan must see before a service gets power
 * over the host. Privileged mode, the engine socket, host namespaces, broad capabilities, and
 * every way a host file outside the project reaches the container: bind mounts, `secrets:` and
 * `configs:` files (bind-mounted or copied in), `env_file`s (their values become the
 * container's environment: `/proc/self/environ` is the caller's whole environment), a build
 * context or Dockerfile outside the project (sent to the engine).
 *
 * Paths are judged by where they really lead: the caller resolves symlinks (the pipeline's
 * resolveHostPaths) and passes the result as `HostPaths`, so a bind of an in-project symlink
 * to /etc is host access. Pure: without HostPaths the declared paths are taken as they are.
 * The result is notes on the plan (printed by `plan` and `up`, never a prompt), listed when
 * the plan creates or recreates the service's containers.
 */
import { isAbsolute, join } from 'node:path';
import type { BuildSpec, ServiceSpec, StackModel } from '../model.js';
import type { HostPaths } from './types.js';

/** The engine's socket, written or reached through a symlink: the engine is root on the host. */
const ENGINE_SOCKET = /(^|\/)docker\.sock$/;

/** A capability that amounts to power over the host. */
const BROAD_CAPABILITY = /^(CAP_)?(ALL|SYS_ADMIN|SYS_PTRACE|NET_ADMIN|SYS_MODULE)$/i;

/** A build context that is not a host directory (git or HTTP URL). */
const REMOTE_CONTEXT = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/** Resolves declared host paths (through HostPaths) and says whether they stay in the project. */
class HostView {
  readonly projectDir: string;
  readonly declaredProjectDir: string;
  constructor(
    model: StackModel,
    private readonly paths: HostPaths | undefined,
  ) {
    this.projectDir = paths?.projectDir ?? model.workingDir;
    this.declaredProjectDir = model.workingDir;
  }

  real(path: string): string {
    return this.paths?.real[path] ?? path;
  }

  /** Whether `path` (a real path) is the project directory or below it. */
  inside(path: string, dir = this.projectDir): boolean {
    return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  }

  /**
   * A path as the note shows it: as written when it is written outside the project (a system
   * symlink such as /var/run is no news), else where it leads: `/etc (through /work/demo/conf)`.
   */
  shown(declared: string): string {
    const real = this.real(declared);
    return real === declared || !this.inside(declared, this.declaredProjectDir)
      ? declared
      : `${real} (through ${declared})`;
  }
}

/** Each grant of host power in `spec`, as `service <name> gets ...` phrases. */
export function hostAccessNotes(model: StackModel, spec: ServiceSpec, paths?: HostPaths): string[] {
  const host = new HostView(model, paths);
  const found: string[] = [];
  if (spec.privileged) found.push('privileged mode');
  for (const m of spec.volumes) {
    if (m.type !== 'bind' || m.source === undefined) continue;
    const real = host.real(m.source);
    if (ENGINE_SOCKET.test(real) || ENGINE_SOCKET.test(m.source))
      found.push(`the Docker engine socket ${host.shown(m.source)}`);
    else if (!host.inside(real)) found.push(`host path ${host.shown(m.source)}${m.readOnly ? ' (read-only)' : ''}`);
  }
  for (const [kind, refs, defined] of [
    ['secret', spec.secrets, model.secrets],
    ['config', spec.configs, model.configs],
  ] as const) {
    for (const ref of refs) {
      const file = defined[ref.source]?.file;
      if (file !== undefined && !host.inside(host.real(file)))
        found.push(`host file ${host.shown(file)} as ${kind} ${ref.source}`);
    }
  }
  for (const { path } of spec.envFiles)
    if (!host.inside(host.real(path))) found.push(`its environment from host file ${host.shown(path)} (env_file)`);
  found.push(...buildAccess(host, spec));
  for (const [key, mode] of [
    ['network_mode', spec.networkMode],
    ['pid', spec.pid],
  ] as const)
    if (mode === 'host') found.push(`${key}: host`);
  for (const cap of spec.capAdd) if (BROAD_CAPABILITY.test(cap)) found.push(`cap_add ${cap}`);
  return found.map((what) => `service ${spec.name} gets ${what}`);
}

/** A build context outside the project, a Dockerfile outside the project or its context. */
function buildAccess(host: HostView, spec: ServiceSpec): string[] {
  const build = spec.build;
  if (build === undefined || REMOTE_CONTEXT.test(build.context)) return [];
  const found: string[] = [];
  const context = host.real(build.context);
  if (!host.inside(context)) found.push(`the host directory ${host.shown(build.context)} as its build context`);
  if (build.dockerfileInline === undefined) {
    // A Dockerfile inside an outside context is covered by the context's note.
    const declared = dockerfilePath(build);
    const real = host.real(declared);
    if (!host.inside(real, context))
      found.push(
        host.inside(real)
          ? `the Dockerfile ${host.shown(declared)}, outside its build context ${context}`
          : `the host file ${host.shown(declared)} as its Dockerfile`,
      );
  }
  return found;
}

/** Every host path `hostAccessNotes` judges for this model, for the caller to resolve. */
export function declaredHostPaths(model: StackModel): string[] {
  const paths = new Set<string>();
  for (const spec of Object.values(model.services)) {
    for (const m of spec.volumes) if (m.type === 'bind' && m.source !== undefined) paths.add(m.source);
    for (const ref of spec.secrets) addDefined(paths, model.secrets[ref.source]?.file);
    for (const ref of spec.configs) addDefined(paths, model.configs[ref.source]?.file);
    for (const { path } of spec.envFiles) paths.add(path);
    const build = spec.build;
    if (build !== undefined && !REMOTE_CONTEXT.test(build.context)) {
      paths.add(build.context);
      if (build.dockerfileInline === undefined) paths.add(dockerfilePath(build));
    }
  }
  return [...paths].sort();
}

/** The Dockerfile a build reads, as the build does (src/images/context-tar.ts): relative to the context. */
function dockerfilePath(build: BuildSpec): string {
  const file = build.dockerfile ?? 'Dockerfile';
  return isAbsolute(file) ? file : join(build.context, file);
}

function addDefined(paths: Set<string>, path: string | undefined): void {
  if (path !== undefined) paths.add(path);
}
