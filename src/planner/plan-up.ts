/**
 * planUp: (StackModel, ObservedState, UpOptions) → Plan. Pure: the decisions are made in
 * analyzeUp (up-state.ts); this file turns them into ordered actions with dependencies.
 */
import { stopGraceSeconds } from '../model.js';
import { addWaitConditions } from './wait-conditions.js';
import { Label } from '../labels.js';
import type { HookSpec, StackModel } from '../model.js';
import { PlanBuilder } from './builder.js';
import type { DesiredContainer } from './desired.js';
import { donorServices } from './graph.js';
import { hostAccessNotes } from './host-access.js';
import { resolveImage } from './images.js';
import { preStartContainers } from './pre-start.js';
import { divergedReason } from './reasons.js';
import { sharedProjectNotes } from './shared-project.js';
import type { KeptReplica, Removal, UpState } from './up-state.js';
import { analyzeUp, containerRef, wantedNetworks } from './up-state.js';
import type { ObservedContainer, ObservedState, Plan, Reason, UpOptions, WaitCondition } from './types.js';

const STOPPABLE: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);

/** Ids of actions other actions wait for, keyed by what they make available. */
interface Ready {
  /** Engine name → the action that frees it (remove, or rename away). */
  readonly freed: Map<string, number>;
  readonly networks: Map<string, number>;
  readonly volumes: Map<string, number>;
  /** Image ref → pull/build action. */
  readonly images: Map<string, number>;
  /** `service:number` → the action after which the canonical container exists. */
  readonly containers: Map<string, number>;
  /** Service → its start actions. */
  readonly starts: Map<string, number[]>;
}

function stopTimeout(
  model: StackModel,
  c: ObservedContainer,
): { timeoutSeconds?: number; preStop?: readonly HookSpec[] } {
  const service = model.services[c.labels[Label.service] ?? ''];
  const seconds = stopGraceSeconds(service);
  // A hook container is not the service's container: its pre_stop hooks are not for it.
  const preStop =
    service && service.preStop.length > 0 && c.labels[Label.hook] === undefined ? { preStop: service.preStop } : {};
  return seconds === undefined ? preStop : { timeoutSeconds: seconds, ...preStop };
}

/** The `post_start` hooks of the service `desired` belongs to, for its start action. */
function postStart(model: StackModel, desired: DesiredContainer): { postStart?: readonly HookSpec[] } {
  const hooks = model.services[desired.service]?.postStart ?? [];
  return hooks.length > 0 ? { postStart: hooks } : {};
}

/** The copies of a create action (absent when there are none). */
function filesOf(desired: DesiredContainer): { files?: DesiredContainer['files'] } {
  return desired.files.length > 0 ? { files: desired.files } : {};
}

/**
 * ```
 * removals:  [stop] → remove              (leftovers, duplicates, surplus, orphans, drift victims)
 * networks:  create                       (missing)
 *            [disconnect] → remove → create   (drifted)
 * volumes:   create | remove → create     (missing | drifted, destructive)
 * images:    pull | build                 (not observed, needed by a create)
 * renames:   rename → canonical name      (kept replicas with a wrong or temp name)
 * services, dependencies first, replicas by number:
 *   missing:   create → start
 *   diverged:  create temp → stop old → remove old → rename temp → start
 *   stopped:   start
 *   a depends_on `restart: true` dependency recreated: stop → start (after its start)
 * ```
 */
export function planUp(model: StackModel, observed: ObservedState, options: UpOptions = {}): Plan {
  const b = new PlanBuilder(model.name);
  const state = analyzeUp(model, observed, options);
  // First: it explains everything else (recreates of containers made from the other directory).
  for (const note of sharedProjectNotes(model, observed.containers)) b.note(note);
  const ready: Ready = {
    freed: new Map(),
    networks: new Map(),
    volumes: new Map(),
    images: new Map(),
    containers: new Map(),
    starts: new Map(),
  };
  const removedBy = new Map<string, number>();

  for (const r of state.removals) removedBy.set(r.container.id, emitRemoval(b, model, r, ready));
  emitResources(b, state, removedBy, ready);
  if (!options.imagesPrepared) emitImages(b, state, ready);
  emitRenames(b, state, ready);
  for (const service of state.order) emitService(b, model, observed, state, service, options, ready);

  for (const service of state.order) for (const note of privilegeNotes(model, state, service, options)) b.note(note);
  for (const c of state.orphans) b.orphan(containerRef(c));
  for (const r of state.removals) if (r.reason.code === 'orphan') b.orphan(containerRef(r.container));
  if (state.orphans.length > 0)
    b.note(
      `orphan containers kept: ${state.orphans.map((c) => c.name).join(', ')} (remove them with --remove-orphans)`,
    );
  for (const note of state.notes) b.note(note);
  return addWaitConditions(b.build(), model, options.scale);
}

/** `[stop] → remove`; records the freed name so a create or rename of that name waits for it. */
function emitRemoval(b: PlanBuilder, model: StackModel, r: Removal, ready: Ready): number {
  const c = r.container;
  const resource = containerRef(c);
  const stop = STOPPABLE.has(c.state)
    ? b.add({
        kind: 'stop-container',
        resource,
        reason: r.reason,
        name: c.name,
        containerId: c.id,
        ...stopTimeout(model, c),
      })
    : undefined;
  const id = b.add({
    kind: 'remove-container',
    resource,
    reason: r.reason,
    name: c.name,
    containerId: c.id,
    removeVolumes: false,
    dependsOn: [stop],
  });
  ready.freed.set(c.name, id);
  return id;
}

/**
 * ```
 * network missing:  create
 * network drifted:  [disconnect kept attachments] + (removals of its containers) → remove → create
 * volume missing:   create
 * volume drifted:   (removals of its users) → remove → create      both destructive
 * ```
 */
function emitResources(b: PlanBuilder, state: UpState, removedBy: Map<string, number>, ready: Ready): void {
  const removalsOn = (pred: (c: ObservedContainer) => boolean): number[] =>
    state.removals.filter((r) => pred(r.container)).map((r) => removedBy.get(r.container.id)!);
  for (const n of state.networks) {
    const resource = `network:${n.desired.key}`;
    if (n.status === 'missing') {
      ready.networks.set(
        n.desired.name,
        b.add({
          kind: 'create-network',
          resource,
          reason: { code: 'missing', detail: 'not created yet' },
          name: n.desired.name,
          body: n.desired.body,
        }),
      );
    } else if (n.status === 'drifted' && n.observed) {
      const reason: Reason = { code: 'network_diverged', detail: 'configuration changed' };
      const detached = state.detach
        .filter((d) => d.network === n.desired.name)
        .map((d) =>
          b.add({
            kind: 'disconnect-network',
            resource: containerRef(d.container),
            reason,
            name: d.container.name,
            network: d.network,
          }),
        );
      const removed = b.add({
        kind: 'remove-network',
        resource,
        reason,
        name: n.desired.name,
        networkId: n.observed.id,
        dependsOn: [...detached, ...removalsOn((c) => n.desired.name in c.networks)],
      });
      ready.networks.set(
        n.desired.name,
        b.add({
          kind: 'create-network',
          resource,
          reason,
          name: n.desired.name,
          body: n.desired.body,
          dependsOn: [removed],
        }),
      );
    }
  }
  for (const v of state.volumes) {
    const resource = `volume:${v.desired.key}`;
    if (v.status === 'missing') {
      ready.volumes.set(
        v.desired.name,
        b.add({
          kind: 'create-volume',
          resource,
          reason: { code: 'missing', detail: 'not created yet' },
          name: v.desired.name,
          body: v.desired.body,
        }),
      );
    } else if (v.status === 'drifted') {
      // Only reached with allowDestructive (analyzeUp downgrades drift to a note otherwise).
      const reason: Reason = { code: 'volume_diverged', detail: 'configuration changed; its data is lost' };
      const users = removalsOn((c) => c.mounts.some((m) => m.type === 'volume' && m.name === v.desired.name));
      const removed = b.add({
        kind: 'remove-volume',
        resource,
        reason,
        name: v.desired.name,
        destructive: true,
        dependsOn: users,
      });
      ready.volumes.set(
        v.desired.name,
        b.add({
          kind: 'create-volume',
          resource,
          reason,
          name: v.desired.name,
          body: v.desired.body,
          destructive: true,
          dependsOn: [removed],
        }),
      );
    }
  }
}

/** Services that will create a container (missing replica or recreate). */
function createsContainer(state: UpState, service: string): boolean {
  const s = state.services[service]!;
  return s.create.length > 0 || s.kept.some((k) => k.verdict.action === 'recreate');
}

function emitImages(b: PlanBuilder, state: UpState, ready: Ready): void {
  for (const service of [...state.order].sort()) {
    const s = state.services[service]!;
    if (s.resolvedImageId !== undefined || !createsContainer(state, service)) continue;
    const ref = imageRefOf(s);
    if (ready.images.has(ref)) continue;
    const policy = s.spec.pullPolicy;
    if (s.spec.build && (s.spec.image === undefined || policy === 'build' || policy === 'never')) {
      ready.images.set(
        ref,
        b.add({
          kind: 'build-image',
          resource: `image:${service}`,
          reason: { code: 'image_build', detail: `${ref} not found locally` },
          image: ref,
          service,
        }),
      );
    } else if (policy === 'never') {
      b.note(`image ${ref} not found locally and pull_policy is never: creating ${service} will fail`);
    } else {
      const platform = s.spec.platform;
      ready.images.set(
        ref,
        b.add({
          kind: 'pull-image',
          resource: `image:${service}`,
          reason: { code: 'image_missing', detail: `${ref} not found locally` },
          image: ref,
          ...(platform ? { platform } : {}),
        }),
      );
    }
  }
}

function imageRefOf(s: UpState['services'][string]): string {
  return s.kept[0]?.desired.imageRef ?? s.create[0]!.desired.imageRef;
}

/** Kept replicas not under their canonical name are renamed, in an order where each target name is free first. */
function emitRenames(b: PlanBuilder, state: UpState, ready: Ready): void {
  const pending = state.order.flatMap((service) =>
    state.services[service]!.kept.filter((k) => k.verdict.action === 'keep' && !k.slot.canonicalName),
  );
  const holders = new Map<string, string>();
  for (const service of state.order)
    for (const k of state.services[service]!.kept) holders.set(k.slot.container.name, k.slot.container.id);
  for (const r of state.removals) holders.set(r.container.name, r.container.id);
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (const k of [...pending]) {
      const target = k.desired.name;
      const holder = holders.get(target);
      if (holder !== undefined && holder !== k.slot.container.id && !ready.freed.has(target)) continue;
      const c = k.slot.container;
      const reason: Reason =
        c.labels[Label.replaces] !== undefined
          ? { code: 'leftover', detail: 'replacement of an interrupted recreate, moved into place' }
          : { code: 'wrong_name', detail: `named ${c.name}` };
      const id = b.add({
        kind: 'rename-container',
        resource: `service:${k.desired.service}:${k.desired.number}`,
        reason,
        name: c.name,
        containerId: c.id,
        newName: target,
        dependsOn: [ready.freed.get(target)],
      });
      ready.freed.set(c.name, id);
      ready.containers.set(`${k.desired.service}:${k.desired.number}`, id);
      pending.splice(pending.indexOf(k), 1);
      progress = true;
    }
  }
  for (const k of pending) b.note(`cannot rename ${k.slot.container.name} to ${k.desired.name}: the name is taken`);
}

/**
 * What a create of `desired` waits for: its networks, volumes, image, the name, and its donors
 * (`service:x` namespaces, volumes_from).
 */
function createDeps(model: StackModel, desired: DesiredContainer, name: string, ready: Ready): (number | undefined)[] {
  const spec = model.services[desired.service]!;
  const deps = wantedNetworks(desired).map((n) => ready.networks.get(n));
  for (const m of spec.volumes)
    if (m.type === 'volume' && m.source !== undefined)
      deps.push(ready.volumes.get(model.volumes[m.source]?.name ?? m.source));
  deps.push(ready.images.get(desired.imageRef), ready.freed.get(name));
  for (const donor of donorServices(spec)) deps.push(ready.containers.get(`${donor}:1`));
  return deps;
}

/**
 * The depends_on conditions a start of `service` waits for, naming the dependency replicas
 * that exist after this plan. Only the planner knows them: replica numbers are identities, so
 * after a scale down they need not be 1..n.
 */
function waitConditions(model: StackModel, observed: ObservedState, state: UpState, service: string): WaitCondition[] {
  const spec = model.services[service]!;
  const result: WaitCondition[] = [];
  for (const dep of Object.keys(spec.dependsOn).sort()) {
    if (!model.services[dep]) continue;
    const how = spec.dependsOn[dep]!;
    const planned = state.services[dep];
    const names = planned
      ? [...planned.kept.map((k) => k.desired), ...planned.create.map((c) => c.desired)]
          .sort((a, b) => a.number - b.number)
          .map((d) => d.name)
      : observed.containers
          .filter(
            (c) =>
              c.labels[Label.project] === model.name &&
              c.labels[Label.service] === dep &&
              c.labels[Label.oneoff] !== 'True',
          )
          .map((c) => c.name)
          .sort();
    for (const container of names)
      result.push({ service: dep, container, condition: how.condition, required: how.required });
  }
  return result;
}

/** The old container's anonymous volumes mounted at the same targets in the replacement (Compose keeps their data). */
function carryAnonymousVolumes(
  model: StackModel,
  desired: DesiredContainer,
  old: ObservedContainer,
): { body: DesiredContainer['body']; carried: string[] } {
  const named = new Set(Object.values(model.volumes).map((v) => v.name));
  const hostConfig = (desired.body['HostConfig'] ?? {}) as Record<string, unknown>;
  const mounts = (hostConfig['Mounts'] ?? []) as Record<string, unknown>[];
  const targets: string[] = [];
  const carried = mounts.map((m) => {
    if (m['Type'] !== 'volume' || m['Source'] !== undefined) return m;
    const prior = old.mounts.find(
      (o) => o.type === 'volume' && o.destination === m['Target'] && o.name !== undefined && !named.has(o.name),
    );
    if (prior) targets.push(String(m['Target']));
    return prior ? { ...m, Source: prior.name } : m;
  });
  return {
    body: { ...desired.body, HostConfig: { ...hostConfig, ...(mounts.length > 0 ? { Mounts: carried } : {}) } },
    carried: targets,
  };
}

/** The host-access notes of a service (host-access.ts) when this plan creates or recreates its containers. */
function privilegeNotes(model: StackModel, state: UpState, service: string, options: UpOptions): string[] {
  const s = state.services[service];
  if (!s || (s.create.length === 0 && !s.kept.some((k) => k.verdict.action === 'recreate'))) return [];
  return hostAccessNotes(model, model.services[service]!, options.hostPaths);
}

/** Dependencies with `restart: true` that this plan recreates (their running dependents restart). */
function recreatedDependencies(model: StackModel, state: UpState, service: string): string[] {
  const spec = model.services[service]!;
  return Object.keys(spec.dependsOn)
    .filter(
      (dep) =>
        spec.dependsOn[dep]!.restart && (state.services[dep]?.kept ?? []).some((k) => k.verdict.action === 'recreate'),
    )
    .sort();
}

/**
 * ```
 * missing:   create ──▶ start (after the dependencies' starts)
 * recreate:  create <id12>_<name> (replaces=old) ──▶ [stop old] ──▶ remove old ──▶ rename ──▶ start
 * stopped:   start
 * ```
 */
function emitService(
  b: PlanBuilder,
  model: StackModel,
  observed: ObservedState,
  state: UpState,
  service: string,
  options: UpOptions,
  ready: Ready,
): void {
  const s = state.services[service]!;
  const depStarts = (state.graph.dependencies[service] ?? []).flatMap((d) => ready.starts.get(d) ?? []);
  const waitFor = waitConditions(model, observed, state, service);
  const restartFor = recreatedDependencies(model, state, service);
  // With pre_start hooks, starts are queued and emitted after the hooks (when they run).
  const deferStarts = s.spec.preStart.length > 0;
  const pending: PendingStart[] = [];
  const starts: number[] = [];
  let staysRunning = false;
  const emitStart = (p: PendingStart, hooks?: number): number =>
    b.add({
      kind: 'start-container',
      resource: ref(p.desired),
      reason: p.reason,
      name: p.desired.name,
      ...(p.containerId ? { containerId: p.containerId } : {}),
      ...(waitFor.length > 0 ? { waitFor } : {}),
      ...postStart(model, p.desired),
      dependsOn: [p.after, ...depStarts, hooks],
    });
  const start = (desired: DesiredContainer, reason: Reason, after: number | undefined, containerId?: string): void => {
    if (options.noStart) return;
    const p = { desired, reason, after, ...(containerId ? { containerId } : {}) };
    if (deferStarts) pending.push(p);
    else starts.push(emitStart(p));
  };
  const ref = (d: DesiredContainer): string => `service:${d.service}:${d.number}`;
  type Slot = {
    readonly number: number;
    readonly kept?: KeptReplica;
    readonly create?: { desired: DesiredContainer; reason: Reason };
  };
  const slots: Slot[] = [
    ...s.kept.map((k) => ({ number: k.desired.number, kept: k })),
    ...s.create.map((c) => ({ number: c.desired.number, create: c })),
  ].sort((x, y) => x.number - y.number);
  for (const slot of slots) {
    if (slot.create) {
      const { desired, reason } = slot.create;
      const created = b.add({
        kind: 'create-container',
        resource: ref(desired),
        reason,
        name: desired.name,
        body: desired.body,
        connect: desired.connect,
        ...filesOf(desired),
        dependsOn: createDeps(model, desired, desired.name, ready),
      });
      ready.containers.set(`${service}:${desired.number}`, created);
      start(desired, reason, created);
      continue;
    }
    const k = slot.kept!;
    const old = k.slot.container;
    if (k.verdict.action === 'keep') {
      if (k.verdict.start)
        start(
          k.desired,
          { code: 'stopped', detail: `container is ${old.state}` },
          ready.containers.get(`${service}:${k.desired.number}`),
          old.id,
        );
      else if (STOPPABLE.has(old.state)) staysRunning = true;
      if (!k.verdict.start && restartFor.length > 0 && STOPPABLE.has(old.state) && !options.noStart) {
        // depends_on `restart: true`: the dependency was recreated, so this one restarts after it.
        const reason: Reason = {
          code: 'dependency_restarted',
          detail: `${restartFor.join(', ')} recreated (depends_on restart: true)`,
        };
        const stopped = b.add({
          kind: 'stop-container',
          resource: ref(k.desired),
          reason,
          name: old.name,
          containerId: old.id,
          dependsOn: [...depStarts],
          ...stopTimeout(model, old),
        });
        start(k.desired, reason, stopped, old.id);
      }
      continue;
    }
    const reason: Reason =
      k.verdict.code === 'forced'
        ? { code: 'forced', detail: 'force-recreate' }
        : k.verdict.detail !== undefined
          ? { code: 'diverged', detail: k.verdict.detail }
          : divergedReason(k.desired, old, s.resolvedImageId);
    const temp = `${old.id.slice(0, 12)}_${k.desired.name}`;
    const base = options.renewAnonVolumes
      ? { body: k.desired.body, carried: [] }
      : carryAnonymousVolumes(model, k.desired, old);
    const body = {
      ...base.body,
      Labels: { ...(base.body['Labels'] as Record<string, string>), [Label.replaces]: old.id },
    };
    const recreate: Reason = { code: 'recreate', detail: `replaced by ${temp}` };
    const carriedVolumes = base.carried.length > 0 ? { carriedVolumes: base.carried } : {};
    const created = b.add({
      kind: 'create-container',
      resource: ref(k.desired),
      reason,
      name: temp,
      body,
      connect: k.desired.connect,
      replaces: old.id,
      ...carriedVolumes,
      ...filesOf(k.desired),
      dependsOn: createDeps(model, k.desired, temp, ready),
    });
    const stopped = STOPPABLE.has(old.state)
      ? b.add({
          kind: 'stop-container',
          resource: ref(k.desired),
          reason: recreate,
          name: old.name,
          containerId: old.id,
          dependsOn: [created],
          ...stopTimeout(model, old),
        })
      : undefined;
    const removed = b.add({
      kind: 'remove-container',
      resource: ref(k.desired),
      reason: recreate,
      name: old.name,
      containerId: old.id,
      removeVolumes: options.renewAnonVolumes ?? false,
      dependsOn: [created, stopped],
    });
    ready.freed.set(old.name, removed);
    const renamed = b.add({
      kind: 'rename-container',
      resource: ref(k.desired),
      reason: { code: 'recreate', detail: `into ${k.desired.name}` },
      name: temp,
      newName: k.desired.name,
      dependsOn: [removed, ready.freed.get(k.desired.name)],
    });
    ready.containers.set(`${service}:${k.desired.number}`, renamed);
    start(k.desired, reason, renamed);
  }
  const hooks = staysRunning ? undefined : emitPreStart(b, model, observed, pending, waitFor, depStarts, ready);
  for (const p of pending) starts.push(emitStart(p, hooks));
  ready.starts.set(service, starts);
}

/** A start emitStart queued: after `after` (the create or rename that made the container). */
interface PendingStart {
  readonly desired: DesiredContainer;
  readonly reason: Reason;
  readonly after: number | undefined;
  readonly containerId?: string;
}

/**
 * The service's `pre_start` hooks, when this plan starts its containers and none stays running
 * (Compose runs them once per service then: first up, recreate, a start after a stop; not when a
 * replica is added beside a running one). Returns the last hook's id, which the starts follow.
 *
 * ```
 * [pull hook image] ──▶ hook 0 (waits for depends_on, after the first replica's create) ──▶ hook 1 ──▶ … ──▶ starts
 * ```
 */
function emitPreStart(
  b: PlanBuilder,
  model: StackModel,
  observed: ObservedState,
  pending: readonly PendingStart[],
  waitFor: readonly WaitCondition[],
  depStarts: readonly number[],
  ready: Ready,
): number | undefined {
  const first = [...pending].sort((x, y) => x.desired.number - y.desired.number)[0];
  if (!first) return undefined;
  const spec = model.services[first.desired.service]!;
  if (spec.preStart.length === 0) return undefined;
  let previous: number | undefined;
  for (const hook of preStartContainers(model, spec, first.desired, first.containerId ?? first.desired.name)) {
    let image: number | undefined;
    if (spec.preStart[hook.index]!.image !== undefined && !resolveImage(hook.image, observed.images)) {
      image = ready.images.get(hook.image);
      if (image === undefined) {
        image = b.add({
          kind: 'pull-image',
          resource: `image:${spec.name}`,
          reason: { code: 'image_missing', detail: `${hook.image} (pre_start) not found locally` },
          image: hook.image,
          ...(spec.platform ? { platform: spec.platform } : {}),
        });
        ready.images.set(hook.image, image);
      }
    }
    const name = `${spec.name} pre_start[${hook.index}]`;
    previous = b.add({
      kind: 'run-pre-start',
      resource: `service:${spec.name}`,
      reason: { code: 'pre_start', detail: `before ${spec.name} starts` },
      name,
      service: spec.name,
      index: hook.index,
      body: hook.body,
      connect: hook.connect,
      ...(previous === undefined && waitFor.length > 0 ? { waitFor } : {}),
      dependsOn: previous === undefined ? [first.after, image, ...depStarts] : [previous, image],
    });
  }
  return previous;
}
