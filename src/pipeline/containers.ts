/**
 * The per-container commands that neither plan nor reconcile: `rm` (stopped containers),
 * `wait`, `top`, `port` and `images`. Each reads the project's containers through the one
 * listing (engine/observe) and makes one engine call per container.
 */
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { Engine, EngineContainer, EngineImageInspect, EngineTop } from '../engine/types.js';
import type { StackModel } from '../model.js';
import { listProjectContainers, primaryName } from '../engine/observe.js';

/** A container named for output: its name, service and replica number. */
export interface ContainerRef {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly replica: number;
}

function toRef(c: EngineContainer): ContainerRef {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: primaryName(c.Names) || c.Id,
    service: labels[Label.service] ?? '',
    replica: Number(labels[Label.containerNumber] ?? '0') || 0,
  };
}

/**
 * The containers `rm` removes: stopped ones (created, exited, dead) of the services; with
 * `stopped` (`rm -s`, after the stop) every one. Compose inspects again for the race between
 * its listing and the stop; the listing here is taken after the stop, so it is current.
 */
export async function listRemovable(
  engine: Engine,
  project: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<ContainerRef[]> {
  const listed = await listProjectContainers(engine, project, { services }, signal);
  return listed.filter((c) => c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused').map(toRef);
}

/** Removes the containers together; resolves to the failures (container name → message). */
export async function removeContainers(
  engine: Engine,
  containers: readonly ContainerRef[],
  options: { volumes?: boolean; force?: boolean; onDone?: (name: string) => void },
): Promise<{ container: string; message: string }[]> {
  const failures: { container: string; message: string }[] = [];
  await Promise.all(
    containers.map(async (c) => {
      try {
        await engine.removeContainer(c.id, { force: options.force === true, volumes: options.volumes === true });
        options.onDone?.(c.name);
      } catch (error) {
        failures.push({ container: c.name, message: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  return failures;
}

/**
 * `wait`: blocks until every container of the services stops (one-offs included, as
 * Compose); reports each exit as it happens. Resolves to the exit code of the last container to
 * stop. No container: USAGE-free failure as Compose (`no containers for project`).
 */
export async function waitForContainers(
  engine: Engine,
  project: string,
  services: readonly string[],
  options: { signal?: AbortSignal; onExit?: (container: ContainerRef, code: number) => void },
): Promise<number> {
  const listed = (await listProjectContainers(engine, project, { services, oneoffs: true }, options.signal)).map(toRef);
  if (listed.length === 0) throw new StackError('APPLY_FAILED', `no containers for project "${project}"`);
  let last = 0;
  await Promise.all(
    listed.map(async (c) => {
      const code = await (await engine.waitContainer(c.id, 'not-running', options.signal)).exitCode;
      last = code;
      options.onExit?.(c, code);
    }),
  );
  return last;
}

/** The processes of one container (`top`). */
export interface ContainerProcesses extends ContainerRef {
  readonly top: EngineTop;
}

/** `top`: the processes of each running container of the services, sorted by name. */
export async function listProcesses(
  engine: Engine,
  project: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<ContainerProcesses[]> {
  const running = (await listProjectContainers(engine, project, { services, running: true }, signal)).map(toRef);
  return Promise.all(running.map(async (c) => ({ ...c, top: await engine.topContainer(c.id, signal) })));
}

/**
 * `port SERVICE PRIVATE_PORT`: the public address of a replica's port (`--index`, default 1).
 * Errors name what exists, as Compose: `no port 80/tcp for container web-1: 8080/tcp`.
 */
export async function findPublicPort(
  engine: Engine,
  project: string,
  service: string,
  privatePort: number,
  options: { protocol: string; index: number; signal?: AbortSignal },
): Promise<{ ip: string; port: number }> {
  const listed = await listProjectContainers(engine, project, { services: [service], oneoffs: true }, options.signal);
  const container = listed.find((c) => Number((c.Labels ?? {})[Label.containerNumber] ?? '0') === options.index);
  // Valid input the project's state does not match: exit 1, as Compose and `exec --index`.
  if (!container) throw new StackError('APPLY_FAILED', `service "${service}" has no container number ${options.index}`);
  const match = (container.Ports ?? []).find(
    (p) => p.PrivatePort === privatePort && p.Type === options.protocol && p.PublicPort !== undefined,
  );
  if (!match) {
    const have = (container.Ports ?? []).map((p) => `${p.PrivatePort}/${p.Type}`);
    throw new StackError(
      'APPLY_FAILED',
      `no port ${privatePort}/${options.protocol} for container ${primaryName(container.Names)}: ` +
        `${[...new Set(have)].join(', ')}`,
    );
  }
  return { ip: match.IP ?? '', port: match.PublicPort ?? 0 };
}

/** The image a container runs, for `images`. */
export interface ContainerImage {
  readonly container: string;
  readonly service: string;
  /** The image as the engine knows it (undefined when it was removed since). */
  readonly image: EngineImageInspect | undefined;
  /** The reference the container was created with. */
  readonly reference: string;
  /** The image ID the container was created from. */
  readonly imageId: string;
}

/** `images`: each container of the services with its image (inspected once per image ID). */
export async function listContainerImages(
  engine: Engine,
  project: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<ContainerImage[]> {
  const listed = await listProjectContainers(engine, project, { services }, signal);
  const inspected = new Map<string, Promise<EngineImageInspect | undefined>>();
  const inspect = (id: string): Promise<EngineImageInspect | undefined> => {
    let found = inspected.get(id);
    if (!found) inspected.set(id, (found = engine.inspectImage(id, signal)));
    return found;
  };
  return Promise.all(
    listed.map(async (c) => ({
      container: primaryName(c.Names),
      service: (c.Labels ?? {})[Label.service] ?? '',
      image: await inspect(c.ImageID),
      reference: c.Image,
      imageId: c.ImageID,
    })),
  );
}

/** `down --rmi`: `local` removes only images built without an `image:` name; `all` every service image. */
export type RemoveImagesMode = 'local' | 'all';

/**
 * The images `down --rmi` removes: each service's image (`all`) or only the ones stack names
 * itself, `<project>-<service>` for a build without `image:` (`local`), as Compose. Each
 * removal is reported; one the engine refuses (in use by another container) is a failure
 * line, the others still go.
 */
export async function removeServiceImages(
  engine: Engine,
  model: StackModel,
  mode: RemoveImagesMode,
  options: { services?: readonly string[]; onDone?: (ref: string) => void; signal?: AbortSignal },
): Promise<{ image: string; message: string }[]> {
  const refs = new Set<string>();
  for (const [name, spec] of Object.entries(model.services)) {
    if (options.services && options.services.length > 0 && !options.services.includes(name)) continue;
    if (spec.image === undefined) refs.add(`${model.name}-${name}`);
    else if (mode === 'all') refs.add(spec.image);
  }
  const failures: { image: string; message: string }[] = [];
  for (const ref of [...refs].sort()) {
    try {
      if (!(await engine.inspectImage(ref, options.signal))) continue;
      await engine.removeImage(ref, { ...(options.signal ? { signal: options.signal } : {}) });
      options.onDone?.(ref);
    } catch (error) {
      failures.push({ image: ref, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return failures;
}

/** A container event of the project, as Compose reports it (`events`). */
export interface ProjectEvent {
  /** Nanoseconds since the epoch. */
  readonly timeNano: bigint;
  readonly service: string;
  readonly container: string;
  readonly action: string;
  /** The engine's attributes without Compose's own labels (`name`, `image`, `exitCode`, …). */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * The project's container events (one-offs left out), optionally of some services only, from
 * `since` (unix seconds; now by default) until `until` or the signal.
 */
export async function* projectEvents(
  engine: Engine,
  project: string,
  options: { services?: readonly string[]; since?: number; until?: number; signal?: AbortSignal },
): AsyncIterable<ProjectEvent> {
  const stream = engine.events({
    filters: { label: [`${Label.project}=${project}`], type: ['container'] },
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const event of stream) {
    if (event.Type !== 'container') continue;
    const attributes = event.Actor.Attributes ?? {};
    if (attributes[Label.oneoff] === 'True') continue;
    const service = attributes[Label.service] ?? '';
    if (options.services && options.services.length > 0 && !options.services.includes(service)) continue;
    const kept = Object.fromEntries(Object.entries(attributes).filter(([k]) => !k.startsWith('com.docker.compose.')));
    const timeNano = event.timeNano ? BigInt(event.timeNano) : BigInt(event.time) * 1_000_000_000n;
    yield { timeNano, service, container: event.Actor.ID, action: event.Action, attributes: kept };
  }
}

/** One container's resource usage, computed as `docker stats` computes it. */
export interface ContainerUsage extends ContainerRef {
  readonly cpuPercent: number;
  readonly memoryUsage: number;
  readonly memoryLimit: number;
  readonly memoryPercent: number;
  readonly netRx: number;
  readonly netTx: number;
  readonly blockRead: number;
  readonly blockWrite: number;
  readonly pids: number;
}

/** `stats`: one sample of each running container of the services, sorted by name. */
export async function sampleUsage(
  engine: Engine,
  project: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<ContainerUsage[]> {
  const running = (await listProjectContainers(engine, project, { services, running: true }, signal)).map(toRef);
  return Promise.all(
    running.map(async (c) => {
      const s = await engine.containerStats(c.id, signal);
      const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
      const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
      const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
      const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
      // The page cache is not the container's memory (docker CLI: inactive_file, v1 and v2).
      const stats = s.memory_stats?.stats ?? {};
      const cache = stats['total_inactive_file'] ?? stats['inactive_file'] ?? 0;
      const memoryUsage = Math.max(0, (s.memory_stats?.usage ?? 0) - cache);
      const memoryLimit = s.memory_stats?.limit ?? 0;
      let netRx = 0;
      let netTx = 0;
      for (const n of Object.values(s.networks ?? {})) {
        netRx += n.rx_bytes;
        netTx += n.tx_bytes;
      }
      let blockRead = 0;
      let blockWrite = 0;
      for (const entry of s.blkio_stats?.io_service_bytes_recursive ?? []) {
        if (/^read$/i.test(entry.op)) blockRead += entry.value;
        if (/^write$/i.test(entry.op)) blockWrite += entry.value;
      }
      return {
        ...c,
        cpuPercent,
        memoryUsage,
        memoryLimit,
        memoryPercent: memoryLimit > 0 ? (memoryUsage / memoryLimit) * 100 : 0,
        netRx,
        netTx,
        blockRead,
        blockWrite,
        pids: s.pids_stats?.current ?? 0,
      };
    }),
  ).then((all) => all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}
