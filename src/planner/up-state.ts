/**
 * The pre-pass of planUp: everything decided before any action is emitted. Networks and
 * volumes are compared with their desired bodies, containers classified, replica slots
 * assigned and each kept replica given a verdict. planUp then only turns this into actions.
 */
import { Label } from '../labels.js';
import type { ServiceSpec, StackModel } from '../model.js';
import type { ClassifyContext, Freshness, ReplicaVerdict } from './classify.js';
import { classifyContainer, decideReplica, freshness } from './classify.js';
import type { DesiredContainer, DesiredResource } from './desired.js';
import { containerName, desiredContainer, desiredNetwork, desiredVolume } from './desired.js';
import type { ServiceGraph } from './graph.js';
import {
  buildGraph,
  completionDependencies,
  donorServices,
  networkModeService,
  selectServices,
  topoOrder,
} from './graph.js';
import { HASH_VERSION, hashVersion } from './hash.js';
import { imageRef, resolveImage } from './images.js';
import type { SlotAssignment, SlotCandidate } from './replicas.js';
import { assignSlots } from './replicas.js';
import type {
  NetworkCreateBody,
  ObservedContainer,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
  Reason,
  UpOptions,
  VolumeCreateBody,
} from './types.js';

/** How an observed network or volume relates to the desired one. */
export type ResourceStatus = 'up-to-date' | 'missing' | 'drifted' | 'external' | 'external-missing' | 'foreign';

/** A desired network/volume with its observed counterpart and status. */
export interface ResourceState<B, O> {
  readonly desired: DesiredResource<B>;
  readonly observed?: O;
  readonly status: ResourceStatus;
}

/** One kept replica and its verdict. */
export interface KeptReplica {
  readonly slot: SlotCandidate;
  readonly desired: DesiredContainer;
  readonly verdict: ReplicaVerdict;
  readonly freshness: Freshness;
}

/** A container to stop and remove before anything else, and why. */
export interface Removal {
  readonly container: ObservedContainer;
  readonly reason: Reason;
}

/** Per-service outcome of the pre-pass. */
export interface ServiceState {
  readonly spec: ServiceSpec;
  readonly kept: readonly KeptReplica[];
  /** Numbers to create, each with its reason. */
  readonly create: readonly { readonly desired: DesiredContainer; readonly reason: Reason }[];
  readonly resolvedImageId: string | undefined;
}

/** Everything planUp needs. */
export interface UpState {
  readonly graph: ServiceGraph;
  /** Services acted on, dependencies first. */
  readonly order: readonly string[];
  readonly networks: readonly ResourceState<NetworkCreateBody, ObservedNetwork>[];
  readonly volumes: readonly ResourceState<VolumeCreateBody, ObservedVolume>[];
  readonly removals: readonly Removal[];
  readonly services: Readonly<Record<string, ServiceState>>;
  /** Orphans kept (not removed), for the note. */
  readonly orphans: readonly ObservedContainer[];
  /** Containers attached to a drifted network that are not removed: they get disconnected. */
  readonly detach: readonly { readonly container: ObservedContainer; readonly network: string }[];
  readonly notes: readonly string[];
}

const byName = <T extends { readonly name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function resourceStatus(
  desired: DesiredResource<unknown>,
  observed: { readonly labels: Readonly<Record<string, string>> } | undefined,
  project: string,
): ResourceStatus {
  if (desired.external) return observed ? 'external' : 'external-missing';
  if (!observed) return 'missing';
  if (observed.labels[Label.project] !== project) return 'foreign';
  const stored = observed.labels[Label.resourceHash];
  // No hash (created by Compose) or another scheme: no drift detection, never a silent recreate.
  if (stored === undefined || hashVersion(stored) !== HASH_VERSION) return 'up-to-date';
  return stored === desired.hash ? 'up-to-date' : 'drifted';
}

/** A short ref for a container in notes and actions: `service:web:2`, or `container:<name>` without labels. */
export function containerRef(c: ObservedContainer): string {
  const service = c.labels[Label.service];
  const number = c.labels[Label.containerNumber];
  return service === undefined ? `container:${c.name}` : `service:${service}:${number ?? '?'}`;
}

/** The pre-pass: see the file comment. */
export function analyzeUp(model: StackModel, observed: ObservedState, options: UpOptions): UpState {
  const project = model.name;
  const notes: string[] = [];
  const graph = buildGraph(model);
  const topo = topoOrder(graph);
  if (!topo.ok) notes.push(`dependency cycle ${topo.cycle}: services are started in name order`);
  const fullOrder = topo.ok ? topo.order : graph.services;

  const containers = [...observed.containers].sort((a, b) => byName(a, b) || (a.id < b.id ? -1 : 1));
  const preCtx: ClassifyContext = {
    project,
    model,
    selected: new Set(graph.services),
    observedIds: new Set(containers.map((c) => c.id)),
  };
  // Containers this run will not stop, remove or disconnect. A drifted network or volume they
  // use cannot be removed (the engine refuses), so it is kept with a note instead of planning
  // a removal that is bound to fail.
  const untouchable = containers.filter((c) => {
    if (c.labels[Label.project] !== project || c.labels[Label.oneoff] === 'True') return true;
    const kind = classifyContainer(c, preCtx).kind;
    return kind === 'ignore' || (kind === 'orphan' && !options.removeOrphans);
  });
  const blockedBy = (uses: (c: ObservedContainer) => boolean): string | undefined => {
    const names = untouchable.filter(uses).map((c) => c.name);
    return names.length > 0 ? names.join(', ') : undefined;
  };

  const networks = Object.keys(model.networks)
    .sort()
    .map((key) => {
      const desired = desiredNetwork(model, model.networks[key]!);
      const seen = observed.networks.filter((n) => n.name === desired.name).sort((a, b) => (a.id < b.id ? -1 : 1))[0];
      let status = resourceStatus(desired, seen, project);
      // Own project containers outside the run (orphans, disabled services) are disconnected; others block.
      const blocked =
        status === 'drifted'
          ? blockedBy(
              (c) =>
                desired.name in c.networks &&
                (c.labels[Label.project] !== project || c.labels[Label.oneoff] === 'True'),
            )
          : undefined;
      if (blocked !== undefined) {
        notes.push(`network ${desired.name}: configuration changed but kept: in use by ${blocked}`);
        status = 'up-to-date';
      }
      return { desired, ...(seen ? { observed: seen } : {}), status };
    });
  const volumeByName = new Map<string, ObservedVolume>();
  for (const v of observed.volumes) if (!volumeByName.has(v.name)) volumeByName.set(v.name, v);
  const volumes = Object.keys(model.volumes)
    .sort()
    .map((key) => {
      const desired = desiredVolume(model, model.volumes[key]!);
      const seen = volumeByName.get(desired.name);
      let status = resourceStatus(desired, seen, project);
      const blocked =
        status === 'drifted'
          ? blockedBy((c) => c.mounts.some((m) => m.type === 'volume' && m.name === desired.name))
          : undefined;
      if (status === 'drifted' && !options.allowDestructive) {
        notes.push(
          `volume ${desired.name}: configuration changed; kept with its data ` +
            '(recreating it is destructive: allow destructive actions to recreate it)',
        );
        status = 'up-to-date';
      } else if (blocked !== undefined) {
        notes.push(`volume ${desired.name}: configuration changed but kept: in use by ${blocked}`);
        status = 'up-to-date';
      }
      return { desired, ...(seen ? { observed: seen } : {}), status };
    });
  for (const [kind, list] of [
    ['network', networks],
    ['volume', volumes],
  ] as const) {
    for (const r of list) {
      if (r.status === 'external-missing')
        notes.push(`external ${kind} ${r.desired.name} not found: create it before up`);
      if (r.status === 'foreign')
        notes.push(`${kind} ${r.desired.name} exists but does not belong to project ${project}: used as is`);
    }
  }

  // Containers on a drifted network, or mounting a volume about to be recreated, cannot stay.
  const driftedNets = new Set(networks.filter((n) => n.status === 'drifted').map((n) => n.desired.name));
  const driftedVols = new Set(volumes.filter((v) => v.status === 'drifted').map((v) => v.desired.name));
  const victimReason = (c: ObservedContainer): Reason | undefined => {
    const net = Object.keys(c.networks)
      .sort()
      .find((n) => driftedNets.has(n));
    if (net !== undefined) return { code: 'network_diverged', detail: `network ${net} is recreated` };
    const vol = c.mounts.find((m) => m.type === 'volume' && m.name !== undefined && driftedVols.has(m.name));
    return vol ? { code: 'volume_diverged', detail: `volume ${vol.name} is recreated` } : undefined;
  };

  const selected = new Set(selectServices(graph, options.services, options.noDeps));
  for (const name of options.exclude ?? []) selected.delete(name);
  const classes = new Map<ObservedContainer, ReturnType<typeof classifyContainer>>();
  for (const c of containers) {
    const cls = classifyContainer(c, preCtx);
    // A model service with a container on a drifted resource is acted on even if not named.
    if ((cls.kind === 'replica' || cls.kind === 'unnumbered') && victimReason(c)) selected.add(cls.service);
  }
  const ctx: ClassifyContext = { ...preCtx, selected };
  for (const c of containers) classes.set(c, classifyContainer(c, ctx));

  const removals: Removal[] = [];
  const orphans: ObservedContainer[] = [];
  const detach: { container: ObservedContainer; network: string }[] = [];
  const candidates = new Map<string, SlotCandidate[]>();
  const victimsBySlot = new Map<string, Reason>();
  const runOnce = completionDependencies(model);
  const images = new Map<string, string | undefined>();
  const imageIdOf = (spec: ServiceSpec): string | undefined => {
    if (!images.has(spec.name)) images.set(spec.name, resolveImage(imageRef(project, spec), observed.images)?.id);
    return images.get(spec.name);
  };
  const desiredCache = new Map<string, DesiredContainer>();
  const desiredOf = (spec: ServiceSpec, n: number): DesiredContainer => {
    const key = `${spec.name}:${n}`;
    if (!desiredCache.has(key)) desiredCache.set(key, desiredContainer(model, spec, n, imageIdOf(spec)));
    return desiredCache.get(key)!;
  };

  for (const c of containers) {
    const cls = classes.get(c)!;
    const victim = victimReason(c);
    if (cls.kind === 'leftover')
      removals.push({
        container: c,
        reason: {
          code: 'leftover',
          detail: `replacement of ${c.labels[Label.replaces]!.slice(0, 12)} left by an interrupted recreate`,
        },
      });
    else if (cls.kind === 'hook')
      removals.push({
        container: c,
        reason: { code: 'hook_leftover', detail: 'pre_start hook container kept after a failed hook' },
      });
    else if (cls.kind === 'orphan') {
      if (options.removeOrphans)
        removals.push({ container: c, reason: { code: 'orphan', detail: 'service no longer in the stack file' } });
      else orphans.push(c);
    } else if (cls.kind === 'unnumbered')
      removals.push({ container: c, reason: { code: 'duplicate', detail: 'no replica number' } });
    else if (cls.kind === 'replica' && victim) {
      removals.push({ container: c, reason: victim });
      victimsBySlot.set(`${cls.service}:${cls.number}`, victim);
    } else if (cls.kind === 'replica') {
      const spec = model.services[cls.service]!;
      const desired = desiredOf(spec, cls.number);
      const fresh = freshness(c, desired, imageIdOf(spec));
      candidates.set(cls.service, [
        ...(candidates.get(cls.service) ?? []),
        {
          container: c,
          number: cls.number,
          upToDate: fresh === 'up-to-date' || fresh === 'unknown-scheme',
          canonicalName: c.name === desired.name,
        },
      ]);
    }
    if (cls.kind !== 'replica' || !victim) {
      const removed = removals.some((r) => r.container === c);
      if (!removed)
        for (const net of Object.keys(c.networks).sort())
          if (driftedNets.has(net)) detach.push({ container: c, network: net });
    }
  }

  // The network ID a replica must be attached to; undefined when the network is (re)created by this plan.
  const netIds = new Map(
    networks.map((n) => [
      n.desired.name,
      { status: n.status, id: n.status === 'drifted' || n.status === 'missing' ? undefined : n.observed?.id },
    ]),
  );
  const services: Record<string, ServiceState> = {};
  const modeTargets = new Set(Object.values(model.services).flatMap((s) => donorServices(s)));
  const order = fullOrder.filter((s) => selected.has(s));
  // Compose: the named services (all when none is named) follow --force-recreate; the
  // dependencies they pull in are recreated only when diverged, or always with --always-recreate-deps.
  const named = new Set(options.services ?? []);
  const forced = (name: string): boolean =>
    named.size === 0 || named.has(name) ? options.forceRecreate === true : options.alwaysRecreateDeps === true;
  for (const name of order) {
    const spec = model.services[name]!;
    const wanted = options.scale?.[name] ?? spec.replicas;
    const assignment: SlotAssignment = assignSlots(candidates.get(name) ?? [], wanted, modeTargets.has(name));
    for (const d of assignment.duplicates)
      removals.push({
        container: d.container,
        reason: { code: 'duplicate', detail: `another container holds replica ${d.number}` },
      });
    for (const s of assignment.surplus)
      removals.push({
        container: s.container,
        reason: { code: 'scale_down', detail: `${wanted} replica${wanted === 1 ? '' : 's'} wanted` },
      });
    const kept = assignment.keepers.map((slot): KeptReplica => {
      const desired = desiredOf(spec, slot.number);
      const fresh = freshness(slot.container, desired, imageIdOf(spec));
      if (fresh === 'unknown-scheme')
        notes.push(
          `${containerRef(slot.container)} has a config hash of another stack version: kept as is ` +
            "(use force-recreate to apply this version's config)",
        );
      const staleNetwork = wantedNetworks(desired).some((net) => {
        const want = netIds.get(net);
        if (want === undefined || want.status === 'external-missing') return false;
        const have = slot.container.networks[net]?.networkId;
        // A container never started has no endpoint yet: the engine lists NetworkID "" (20.10)
        // and resolves the network by name at start, so while that network exists it is
        // attached, not stale (else `up --no-start` recreated it on every run).
        if (have === '' && slot.container.state === 'created' && want.id !== undefined) return false;
        return have === undefined || want.id === undefined || have !== want.id;
      });
      const verdict = decideReplica({
        freshness: fresh,
        ...staleDonorOf(model, spec, slot.container, { services, containers, removals }),
        state: slot.container.state,
        ...(slot.container.exitCode === undefined ? {} : { exitCode: slot.container.exitCode }),
        staleNetwork,
        runOnce: runOnce.has(name),
        forceRecreate: forced(name),
        noRecreate: options.noRecreate ?? false,
        noStart: options.noStart ?? false,
      });
      return { slot, desired, verdict, freshness: fresh };
    });
    const create = assignment.missing.map((n) => ({
      desired: desiredOf(spec, n),
      reason:
        victimsBySlot.get(`${name}:${n}`) ??
        (assignment.keepers.length > 0 || assignment.surplus.length > 0
          ? { code: 'scale_up' as const, detail: `${wanted} replicas wanted` }
          : { code: 'missing' as const, detail: 'not created yet' }),
    }));
    const blocker = findBlocker(model, spec, { networks, volumes, services, containers, removals });
    if (blocker !== undefined) {
      // The engine would refuse the create or start (or, for a volume, silently make a local
      // one): plan neither, keep what exists, and say why. Renames still happen.
      const touched = create.length > 0 || kept.some((k) => k.verdict.action === 'recreate' || k.verdict.start);
      if (touched) notes.push(`service ${name} not created or started: ${blocker} not found`);
      services[name] = {
        spec,
        kept: kept.map((k) => ({ ...k, verdict: { action: 'keep', start: false } })),
        create: [],
        resolvedImageId: imageIdOf(spec),
      };
      continue;
    }
    if (imageIdOf(spec) === undefined)
      notes.push(
        `image ${imageRef(project, spec)} of ${name} not found locally: ` +
          'hashes use the reference until it is pulled or built (docs/architecture.md)',
      );
    services[name] = { spec, kept, create, resolvedImageId: imageIdOf(spec) };
  }
  removals.sort((a, b) => byName(a.container, b.container) || (a.container.id < b.container.id ? -1 : 1));
  return { graph, order, networks, volumes, removals, services, orphans, detach, notes };
}

/**
 * What keeps a service's containers from being created or started: a missing external
 * network or volume, or the container a `network_mode`/`pid`/`ipc: service:x` joins (replica 1
 * of x by name) not existing after this plan (x scaled to 0, or left out with --no-deps).
 * Services are analysed dependencies first, so x's state is already known here.
 */
function findBlocker(
  model: StackModel,
  spec: ServiceSpec,
  seen: {
    readonly networks: readonly ResourceState<NetworkCreateBody, ObservedNetwork>[];
    readonly volumes: readonly ResourceState<VolumeCreateBody, ObservedVolume>[];
    readonly services: Readonly<Record<string, ServiceState>>;
    readonly containers: readonly ObservedContainer[];
    readonly removals: readonly Removal[];
  },
): string | undefined {
  const net = seen.networks.find((n) => n.status === 'external-missing' && n.desired.key in spec.networks);
  if (net) return `external network ${net.desired.name}`;
  const vol = seen.volumes.find(
    (v) =>
      v.status === 'external-missing' && spec.volumes.some((m) => m.type === 'volume' && m.source === v.desired.key),
  );
  if (vol) return `external volume ${vol.desired.name}`;
  for (const target of donorServices(spec)) {
    const targetSpec = model.services[target];
    if (targetSpec === undefined) continue;
    const state = seen.services[target];
    const name = containerName(model.name, targetSpec, 1);
    const exists = state
      ? state.create.some((c) => c.desired.number === 1) || state.kept.some((k) => k.desired.number === 1)
      : seen.containers.some(
          (c) =>
            c.name === name && c.labels[Label.project] === model.name && !seen.removals.some((r) => r.container === c),
        );
    if (!exists) return `container ${name} (${donorUse(spec, target)})`;
  }
  return undefined;
}

/** How `spec` uses donor service `target`, for messages: `network_mode: service:db`, `volumes_from: db`. */
function donorUse(spec: ServiceSpec, target: string): string {
  for (const [key, mode] of [
    ['network_mode', spec.networkMode],
    ['pid', spec.pid],
    ['ipc', spec.ipc],
  ] as const)
    if (networkModeService(mode) === target) return `${key}: service:${target}`;
  return `volumes_from: ${target}`;
}

/**
 * A kept container is stale when a donor it is built on (its network namespace, its volumes)
 * is replaced by this plan or was replaced after it was created: the engine bound it to the
 * donor container that existed then (the hash names the donor, not that container). Donors
 * are analysed first (they are dependencies), so their verdicts are known here.
 */
function staleDonorOf(
  model: StackModel,
  spec: ServiceSpec,
  container: ObservedContainer,
  seen: {
    readonly services: Readonly<Record<string, ServiceState>>;
    readonly containers: readonly ObservedContainer[];
    readonly removals: readonly Removal[];
  },
): { staleDonor?: string } {
  for (const target of donorServices(spec)) {
    const targetSpec = model.services[target];
    if (targetSpec === undefined) continue;
    const state = seen.services[target];
    const replaced = state
      ? state.create.some((c) => c.desired.number === 1) ||
        state.kept.some((k) => k.desired.number === 1 && k.verdict.action === 'recreate')
      : false;
    const name = containerName(model.name, targetSpec, 1);
    const current =
      state?.kept.find((k) => k.desired.number === 1)?.slot.container ??
      seen.containers.find((c) => c.name === name && c.labels[Label.project] === model.name);
    if (replaced || (current !== undefined && current.created > container.created))
      return { staleDonor: `${donorUse(spec, target)} was recreated` };
  }
  return {};
}

/** Engine names of the networks a desired container attaches to (first at create, the rest connected). */
export function wantedNetworks(desired: DesiredContainer): readonly string[] {
  const first = Object.keys(
    (desired.body['NetworkingConfig'] as { EndpointsConfig?: object } | undefined)?.EndpointsConfig ?? {},
  );
  return [...first, ...Object.keys(desired.connect)];
}
