/**
 * One snapshot of what a project owns on the engine, as plain data: one list call each for
 * containers, networks, volumes and images (plus by-name lookups for the networks and volumes
 * the model names, so external ones and name clashes are seen). Containers are inspected only
 * when asked (diverged ones, for the reasons the planner prints).
 */
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import type {
  ContainerStateName,
  ObservedContainer,
  ObservedImage,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
} from '../planner/types.js';
import type {
  Engine,
  EngineContainer,
  EngineFilters,
  EngineImage,
  EngineImageConfig,
  EngineNetwork,
  EngineVolume,
} from './types.js';
import { byCodePoint } from '../order.js';
import { repositoryOf } from '../image-ref.js';

/** Options of `observe`. */
export interface ObserveOptions {
  /** Inspect the containers this predicate selects (their `detail` is filled). */
  readonly inspect?: (container: ObservedContainer) => boolean;
  /** List the model's images too (default true). */
  readonly images?: boolean;
  readonly signal?: AbortSignal;
}

const STATES = new Set<ContainerStateName>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

/** The container's name without the leading slash (link aliases such as `/a/b` are skipped). */
export function primaryName(names: readonly string[]): string {
  const plain = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return plain.startsWith('/') ? plain.slice(1) : plain;
}

/** Exit code and health from the list Status text ("Exited (137) 3 seconds ago", "Up 2 minutes (healthy)"). */
export function parseStatus(status: string): { exitCode?: number; health?: 'starting' | 'healthy' | 'unhealthy' } {
  const exit = /^Exited \((-?\d+)\)/.exec(status);
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  return {
    ...(exit ? { exitCode: Number(exit[1]) } : {}),
    ...(health
      ? { health: health[1] === 'health: starting' ? 'starting' : (health[1] as 'healthy' | 'unhealthy') }
      : {}),
  };
}

/** Maps one GET /containers/json entry to an ObservedContainer. */
export function toObservedContainer(c: EngineContainer): ObservedContainer {
  const state = STATES.has(c.State as ContainerStateName) ? (c.State as ContainerStateName) : 'dead';
  const networks: Record<string, { networkId: string }> = {};
  for (const [name, net] of Object.entries(c.NetworkSettings?.Networks ?? {}))
    networks[name] = { networkId: net.NetworkID };
  return {
    id: c.Id,
    name: primaryName(c.Names),
    labels: { ...(c.Labels ?? {}) },
    state,
    ...parseStatus(c.Status),
    image: c.Image,
    imageId: c.ImageID,
    networks,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      ...(m.Name ? { name: m.Name } : {}),
      source: m.Source,
      destination: m.Destination,
    })),
    created: c.Created,
  };
}

function toNetwork(n: EngineNetwork): ObservedNetwork {
  return { id: n.Id, name: n.Name, labels: { ...(n.Labels ?? {}) }, driver: n.Driver };
}

function toVolume(v: EngineVolume): ObservedVolume {
  return { name: v.Name, labels: { ...(v.Labels ?? {}) }, driver: v.Driver };
}

function toImage(i: EngineImage): ObservedImage {
  return { id: i.Id, repoTags: [...(i.RepoTags ?? [])], repoDigests: [...(i.RepoDigests ?? [])], created: i.Created };
}

/** Which of the project's containers `listProjectContainers` returns. */
export interface ProjectContainerFilter {
  /** Only these services (all when empty or absent). */
  readonly services?: readonly string[];
  /** Only these container IDs (full IDs, or the prefixes the engine's `id` filter takes). */
  readonly ids?: readonly string[];
  /** Include one-off containers (`stack run`); left out by default, as by ps, logs and exec. */
  readonly oneoffs?: boolean;
  /** Include `pre_start` hook containers (kept after a failed hook); left out by default, as by Compose's ps. */
  readonly hooks?: boolean;
  /** Only running containers (the engine's default list); all states by default. */
  readonly running?: boolean;
}

/**
 * Above this many values (names, IDs), a list call asks the engine for more and matches here
 * instead of sending one filter value per container.
 */
export const MAX_QUERY_FILTERS = 40;

/**
 * The project's containers: the one listing every command, watch action and wait goes
 * through. Sorted by name. One service is filtered by the engine (two label filters are ANDed);
 * several are filtered here, for the engine cannot OR label filters.
 */
export async function listProjectContainers(
  engine: Engine,
  project: string,
  filter: ProjectContainerFilter = {},
  signal?: AbortSignal,
): Promise<EngineContainer[]> {
  const services = filter.services ?? [];
  const label = [
    `${Label.project}=${project}`,
    ...(services.length === 1 ? [`${Label.service}=${services[0] ?? ''}`] : []),
  ];
  // Many IDs are matched here: the engine's filter travels in the query string (500 IDs made
  // a 33 KB one, past the header limit of Node-based socket proxies).
  const ids = filter.ids && filter.ids.length <= MAX_QUERY_FILTERS ? filter.ids : undefined;
  const wanted = filter.ids && !ids ? new Set(filter.ids) : undefined;
  const listed = await engine.listContainers(
    { all: filter.running !== true, filters: { label, ...(ids ? { id: ids } : {}) } },
    signal,
  );
  return listed
    .filter((c) => !wanted || wanted.has(c.Id))
    .filter((c) => filter.oneoffs === true || (c.Labels ?? {})[Label.oneoff] !== 'True')
    .filter((c) => filter.hooks === true || (c.Labels ?? {})[Label.hook] === undefined)
    .filter((c) => services.length === 0 || services.includes((c.Labels ?? {})[Label.service] ?? ''))
    .sort((a, b) => byCodePoint(primaryName(a.Names), primaryName(b.Names)));
}

/** A running replica of a service. */
export interface ReplicaRef {
  readonly id: string;
  readonly name: string;
}

/** The running containers of one service of the project (one-off containers excluded), by name. */
export async function listRunningReplicas(
  engine: Engine,
  project: string,
  service: string,
  signal?: AbortSignal,
): Promise<ReplicaRef[]> {
  const containers = await listProjectContainers(engine, project, { services: [service], running: true }, signal);
  return containers.map((c) => ({ id: c.Id, name: primaryName(c.Names) || c.Id }));
}

/** One project on the engine (stack's or Compose's: same labels), as `stack ls` shows it. */
export interface ProjectSummary {
  readonly name: string;
  /** How many of its containers are in each state (`running` → 2). */
  readonly states: ReadonlyMap<string, number>;
  /** The config files its first listed container names. */
  readonly configFiles: string;
}

/** Every project that has containers on the engine, by name. */
export async function listProjects(engine: Engine, signal?: AbortSignal): Promise<ProjectSummary[]> {
  const containers = await engine.listContainers({ all: true, filters: { label: [Label.project] } }, signal);
  const projects = new Map<string, { states: Map<string, number>; configFiles: string }>();
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const name = labels[Label.project];
    if (!name) continue;
    const entry = projects.get(name) ?? {
      states: new Map<string, number>(),
      configFiles: labels[Label.configFiles] ?? '',
    };
    entry.states.set(c.State, (entry.states.get(c.State) ?? 0) + 1);
    projects.set(name, entry);
  }
  return [...projects.entries()].sort(([a], [b]) => byCodePoint(a, b)).map(([name, p]) => ({ name, ...p }));
}

/** The image each service runs: `image:` or, for a build without one, `<project>-<service>`. */
export function imageRefs(model: StackModel): string[] {
  const refs = new Set<string>();
  for (const [name, spec] of Object.entries(model.services)) {
    const ref = spec.image ?? `${model.name}-${name}`;
    refs.add(ref);
    // A `reference` filter also filters each image's RepoDigests to the patterns given: without
    // `repo@*` the engine (20.10) lists a tagged image with no digests at all (lock drift, pins).
    refs.add(`${repositoryOf(ref)}@*`);
    // pre_start hooks may run another image; the planner pulls it when it is missing.
    for (const hook of spec.preStart)
      if (hook.image !== undefined) refs.add(hook.image).add(`${repositoryOf(hook.image)}@*`);
  }
  return [...refs].sort();
}

function isModel(target: StackModel | { project: string }): target is StackModel {
  return 'services' in target;
}

/**
 * The project's resources of one kind: those with its label, then, by name, the model's ones
 * the label did not find (external ones, ones created by hand). The second list is asked only
 * when something is missing: the engine's name filter is slow (about 20 ms for 50 names
 * among 100 volumes on Engine 20.10), and after the first `up` the label finds them all.
 */
async function labelledThenNamed<T extends { name: string }>(
  byLabel: Promise<T[]>,
  names: ReadonlySet<string>,
  listByName: (filters: EngineFilters | undefined) => Promise<T[]>,
): Promise<T[]> {
  const found = await byLabel;
  const seen = new Set(found.map((item) => item.name));
  const missing = [...names].filter((name) => !seen.has(name));
  if (missing.length === 0) return found;
  // Many names (a first `up` of 500 volumes): all of them, not a 15 KB filter. The engine's
  // filter matches substrings anyway: keep exact names only.
  const filters = missing.length > MAX_QUERY_FILTERS ? undefined : { name: missing };
  const named = (await listByName(filters)).filter((item) => names.has(item.name) && !seen.has(item.name));
  return [...found, ...named];
}

/** Go's path.Match for the patterns image references hold: `*` and `?` stop at `/`. */
function globRegExp(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : `\\${c}`));
  return new RegExp(`^${source}$`);
}

/**
 * The engine's `reference` filter (Engine 20.10, daemon/images), applied here: an image is kept
 * when one of its tags or digests, or that reference's name without tag or digest, matches a
 * pattern; its RepoTags and RepoDigests are cut to the matching ones, as the engine replies.
 */
export function matchImages(images: readonly EngineImage[], patterns: readonly string[]): EngineImage[] {
  const globs = patterns.map(globRegExp);
  const matches = (ref: string): boolean => {
    const at = ref.indexOf('@');
    const colon = ref.lastIndexOf(':');
    const name = at !== -1 ? ref.slice(0, at) : colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
    return globs.some((g) => g.test(ref) || g.test(name));
  };
  return images.flatMap((image) => {
    const tags = (image.RepoTags ?? []).filter(matches);
    const digests = (image.RepoDigests ?? []).filter(matches);
    return tags.length + digests.length > 0 ? [{ ...image, RepoTags: tags, RepoDigests: digests }] : [];
  });
}

/** The model's images as the engine has them (the image half of `observe`), by ID. */
export async function observeImages(engine: Engine, model: StackModel, signal?: AbortSignal): Promise<ObservedImage[]> {
  const refs = imageRefs(model);
  if (refs.length === 0) return [];
  // Many images (two patterns each): every image, matched here, not a filter past the header
  // limit of Node-based socket proxies.
  const images =
    refs.length > MAX_QUERY_FILTERS
      ? matchImages(await engine.listImages(undefined, signal), refs)
      : await engine.listImages({ reference: refs }, signal);
  return images.map(toImage).sort((a, b) => byCodePoint(a.id, b.id));
}

/**
 * Observes the project: its containers (all states), networks and volumes by project label,
 * the model's networks/volumes the label missed by name (external ones included), and the
 * model's images.
 */
export async function observe(
  engine: Engine,
  target: StackModel | { project: string },
  options: ObserveOptions = {},
): Promise<ObservedState> {
  const project = isModel(target) ? target.name : target.project;
  const label = { label: [`${Label.project}=${project}`] };
  const { signal } = options;
  const netNames = new Set(isModel(target) ? Object.values(target.networks).map((n) => n.name) : []);
  const volNames = new Set(isModel(target) ? Object.values(target.volumes).map((v) => v.name) : []);

  const [containers, networks, volumes, images] = await Promise.all([
    listProjectContainers(engine, project, { oneoffs: true, hooks: true }, signal),
    labelledThenNamed(
      engine.listNetworks(label, signal).then((list) => list.map(toNetwork)),
      netNames,
      async (filters) => (await engine.listNetworks(filters, signal)).map(toNetwork),
    ),
    labelledThenNamed(
      engine.listVolumes(label, signal).then((list) => list.map(toVolume)),
      volNames,
      async (filters) => (await engine.listVolumes(filters, signal)).map(toVolume),
    ),
    isModel(target) && options.images !== false ? observeImages(engine, target, signal) : Promise.resolve([]),
  ]);

  const state: ObservedState = {
    project,
    containers: containers.map(toObservedContainer).sort((a, b) => byCodePoint(a.name, b.name)),
    networks: networks.sort((a, b) => byCodePoint(a.name, b.name)),
    volumes: volumes.sort((a, b) => byCodePoint(a.name, b.name)),
    images,
  };
  const select = options.inspect;
  if (!select) return state;
  return inspectContainers(
    engine,
    state,
    state.containers.filter(select).map((c) => c.id),
    signal,
  );
}

/**
 * True when two observations list the same containers (states, health and exit codes
 * included), networks and volumes; inspect detail and images are left aside.
 */
export function sameListing(a: ObservedState, b: ObservedState): boolean {
  const key = (s: ObservedState): string =>
    JSON.stringify([s.containers, s.networks, s.volumes], (k, v: unknown) => (k === 'detail' ? undefined : v));
  return key(a) === key(b);
}

/**
 * Fills `detail` (Config, HostConfig) of the named containers by inspecting them: the second
 * pass after a first plan found them diverged. A container gone meanwhile is left as listed.
 */
export async function inspectContainers(
  engine: Engine,
  state: ObservedState,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<ObservedState> {
  if (ids.length === 0) return state;
  const wanted = new Set(ids);
  // The image's own Env and Labels, once per image: the engine merges them into the
  // container's Config, and only with them can a variable or label removed from the stack
  // file be named in the reason.
  const imageConfigs = new Map<string, Promise<EngineImageConfig | undefined>>();
  const configOf = (image: string): Promise<EngineImageConfig | undefined> => {
    let found = imageConfigs.get(image);
    if (!found) {
      found = engine.inspectImageConfig(image, signal).catch(() => undefined);
      imageConfigs.set(image, found);
    }
    return found;
  };
  const containers = await Promise.all(
    state.containers.map(async (c) => {
      if (!wanted.has(c.id) || c.detail) return c;
      try {
        const inspect = await engine.inspectContainer(c.id, signal);
        const image = inspect.Image ? await configOf(inspect.Image) : undefined;
        const imageFacts = image ? { imageEnv: [...(image.Env ?? [])], imageLabels: { ...(image.Labels ?? {}) } } : {};
        return { ...c, detail: { config: inspect.Config, hostConfig: inspect.HostConfig, ...imageFacts } };
      } catch {
        return c;
      }
    }),
  );
  return { ...state, containers };
}
