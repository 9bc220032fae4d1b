/**
 * The pure planner of the swarm target: (desired, observed) → plan. No I/O, no clock.
 *
 *   remove a service whose mode changed, or that joins a changed network
 *     → remove a changed network                               (after the services joining it)
 *     → create networks (changed or missing), secrets, configs
 *     → create / update services, each after its depends_on   (after every create above)
 *       → remove orphan services (with removeOrphans)
 *         → remove secrets, configs, networks no longer used   (after every service action)
 *
 * A service whose hash label matches, with the replicas and image of its spec unchanged, has
 * no action: a converged stack plans to zero actions and `up` makes zero writes.
 */
import { byCodePoint } from '../../order.js';
import { HASH_VERSION } from '../../planner/hash.js';
import { SwarmLabel } from './labels.js';
import type { ObservedObject, ObservedService, ObservedSwarm } from './observed.js';
import type { RemovalReason, SwarmAction, SwarmPlan, UnnumberedAction } from './plan.js';
import type { DesiredNetwork, DesiredService, DesiredSwarm } from './spec.js';

/** Policy of a plan, passed in. */
export interface SwarmPlanOptions {
  /** Remove services of the stack that the file no longer has. */
  readonly removeOrphans: boolean;
}

const MISSING = { code: 'missing', detail: 'not on the swarm' } as const;
const LINGERING = {
  code: 'missing',
  detail: 'not on the swarm; the manager still holds its copy of the removed one: created once that is gone',
} as const;

function parseFieldHashes(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why an observed service differs from its desired one, in rule order; empty when it does not.
 * Rules:
 * 1. No hash label: made by `docker stack deploy` or by hand: taken over by one update.
 * 2. The hash differs: name the field groups whose short hash differs (all of them when the
 *    field-hashes label is unreadable, e.g. written by another hash version).
 * 3. Same hash, but the live spec was changed behind our back (`docker service scale`, or an
 *    image changed with `docker service update`): name it; the label alone would hide it.
 */
export function serviceChanges(desired: DesiredService, observed: ObservedService): string[] {
  const hash = observed.labels[SwarmLabel.configHash];
  if (hash === undefined) return ['not_managed_by_stack'];
  if (hash !== desired.hash) {
    const before = parseFieldHashes(observed.labels[SwarmLabel.fieldHashes]);
    if (!before) return ['config_hash'];
    const groups = Object.keys(desired.fieldHashes).filter((group) => before[group] !== desired.fieldHashes[group]);
    return groups.length > 0 ? groups.sort(byCodePoint) : ['config_hash'];
  }
  const reasons: string[] = [];
  if (desired.replicas !== undefined && observed.replicas !== undefined && observed.replicas !== desired.replicas)
    reasons.push('replicas_drifted');
  const image = desired.image;
  if (observed.image !== undefined && image !== undefined && observed.image !== image) reasons.push('image_drifted');
  return reasons;
}

const DETAILS: Record<RemovalReason, string> = {
  orphan: 'no longer in the stack file',
  rotated: 'its content changed: replaced by a new object',
  down: 'down',
  mode_changed: 'Swarm cannot change a service mode: removed and created again',
  network_changed: 'Swarm cannot update a network: removed and created again',
};

/** Why an action is planned (display only). */
type Reason = { readonly code: RemovalReason; readonly detail: string };

function removal(
  kind: 'remove-service' | 'remove-network' | 'remove-secret' | 'remove-config',
  object: ObservedObject,
  why: RemovalReason | Reason,
  after: readonly string[],
  resource = `${kind.slice(7)}:${object.name}`,
): UnnumberedAction {
  const reason = typeof why === 'string' ? { code: why, detail: DETAILS[why] } : why;
  return { kind, resource, after, name: object.name, objectId: object.id, reason };
}

function removals(
  kind: 'remove-network' | 'remove-secret' | 'remove-config',
  objects: readonly ObservedObject[],
  keep: ReadonlySet<string>,
  code: 'orphan' | 'rotated',
  after: readonly string[],
): UnnumberedAction[] {
  return objects
    .filter((o) => !keep.has(o.name))
    .sort((a, b) => byCodePoint(a.name, b.name))
    .map((o) => removal(kind, o, code, after));
}

/** Numbers the actions from 1, in plan order. */
function numbered(
  observed: ObservedSwarm,
  project: string,
  actions: readonly UnnumberedAction[],
  notes: readonly string[] = [],
): SwarmPlan {
  const objectIds: Record<string, string> = {};
  for (const o of observed.secrets) objectIds[`secret:${o.name}`] = o.id;
  for (const o of observed.configs) objectIds[`config:${o.name}`] = o.id;
  const withIds = actions.map((a, i): SwarmAction => ({ ...a, id: i + 1 }));
  return { project, actions: withIds, notes, objectIds };
}

/**
 * Why a network of the stack differs from the file: the field groups whose short hash changed
 * (`config_hash` when the field-hashes label is unreadable); empty when it does not. A network
 * without our hash label (made by `docker stack deploy`, by hand, or by an older stack) or
 * hashed by another scheme is never recreated on a guess, as for the local target.
 */
export function networkChanges(desired: DesiredNetwork, observed: ObservedObject): string[] {
  const stored = observed.labels[SwarmLabel.resourceHash];
  if (stored === undefined || !stored.startsWith(`${HASH_VERSION}:`) || stored === desired.hash) return [];
  const before = parseFieldHashes(observed.labels[SwarmLabel.fieldHashes]);
  const groups = before ? Object.keys(desired.fieldHashes).filter((g) => before[g] !== desired.fieldHashes[g]) : [];
  return groups.length > 0 ? groups.sort(byCodePoint) : ['config_hash'];
}

/** A network the plan removes and creates again, and the services of the stack that join it. */
interface ChangedNetwork {
  readonly desired: DesiredNetwork;
  readonly observed: ObservedObject;
  readonly changes: readonly string[];
  readonly users: readonly ObservedService[];
}

/**
 * The networks whose configuration changed. Swarm cannot update a network and refuses to
 * remove one a service joins, so (as the local target recreates the containers on a changed
 * network) the services joining it are removed, the network is removed and created, and the
 * services are created again. A service outside this plan's reach (an orphan kept without
 * removeOrphans) keeps the network as it is, with a note.
 */
function changedNetworks(
  desired: DesiredSwarm,
  observed: ObservedSwarm,
  options: SwarmPlanOptions,
  notes: string[],
): ChangedNetwork[] {
  const desiredNames = new Set(desired.services.map((s) => s.name));
  const changed: ChangedNetwork[] = [];
  for (const net of desired.networks) {
    const seen = net.external ? undefined : observed.networks.find((o) => o.name === net.name);
    const changes = seen ? networkChanges(net, seen) : [];
    if (!seen || changes.length === 0) continue;
    const users = observed.services.filter((s) => s.networks?.some((t) => t === seen.id || t === seen.name));
    const kept = users.filter((s) => !desiredNames.has(s.name) && !options.removeOrphans).map((s) => s.name);
    if (kept.length > 0) {
      notes.push(
        `network ${net.name}: configuration changed (${changes.join(', ')}) but kept: ` +
          `in use by ${kept.join(', ')} (not in the stack file; --remove-orphans removes them)`,
      );
      continue;
    }
    changed.push({ desired: net, observed: seen, changes, users });
  }
  return changed;
}

/** The plan that brings the cluster to `desired`. */
export function planSwarmUp(desired: DesiredSwarm, observed: ObservedSwarm, options: SwarmPlanOptions): SwarmPlan {
  const actions: UnnumberedAction[] = [];
  const notes: string[] = [];
  const has = (list: readonly ObservedObject[], name: string): boolean => list.some((o) => o.name === name);
  const creates: string[] = [];
  const changed = changedNetworks(desired, observed, options, notes);

  // First what each service needs, then the actions: a dependency without an action of its
  // own is already there, and nothing waits for it.
  const decided = desired.services.map((service) => {
    const current = observed.services.find((o) => o.name === service.name);
    // Swarm refuses to change a service's mode (replicated, global, jobs) and to remove a
    // network a service joins: the cases where a service is removed and created again.
    const network = changed.find((n) => n.users.some((u) => u.name === service.name));
    const recreate: Reason | undefined =
      current?.mode !== undefined && current.mode !== service.mode
        ? { code: 'mode_changed', detail: DETAILS.mode_changed }
        : network
          ? { code: 'network_changed', detail: `network ${network.desired.name}: ${network.changes.join(', ')}` }
          : undefined;
    return { service, current, recreate, reasons: current ? serviceChanges(service, current) : [] };
  });
  const acting = new Set(
    decided.filter((d) => !d.current || d.recreate || d.reasons.length > 0).map((d) => d.service.key),
  );
  const removalRef = (name: string) => {
    const key = decided.find((d) => d.service.name === name)?.service.key;
    return key === undefined ? `service:${name}` : `service-removal:${key}`;
  };

  //   remove services to create again → remove changed networks → create networks, secrets, configs
  for (const { service, current, recreate } of decided)
    if (current && recreate) actions.push(removal('remove-service', current, recreate, [], removalRef(service.name)));
  for (const net of changed) {
    const removeRef = `network-removal:${net.desired.name}`;
    const reason = { code: 'network_changed' as const, detail: net.changes.join(', ') };
    notes.push(
      `network ${net.desired.name}: ${net.changes.join(', ')} changed; ${DETAILS.network_changed}` +
        (net.users.length > 0 ? `, with the services that join it (${net.users.map((u) => u.name).join(', ')})` : ''),
    );
    const users = net.users.map((u) => removalRef(u.name));
    actions.push(removal('remove-network', net.observed, reason, users, removeRef));
    const resource = `network:${net.desired.name}`;
    actions.push({
      kind: 'create-network',
      resource,
      after: [removeRef],
      name: net.desired.name,
      body: net.desired.body,
      reason,
    });
    creates.push(resource);
  }
  const lingering = new Set(observed.lingeringNetworks ?? []);
  for (const net of desired.networks) {
    if (net.external || has(observed.networks, net.name)) continue;
    const resource = `network:${net.name}`;
    actions.push({
      kind: 'create-network',
      resource,
      after: [],
      name: net.name,
      body: net.body,
      ...(lingering.has(net.name) ? { lingering: true, reason: LINGERING } : { reason: MISSING }),
    });
    creates.push(resource);
  }
  for (const object of [...desired.secrets, ...desired.configs]) {
    if (object.external || has(object.kind === 'secret' ? observed.secrets : observed.configs, object.name)) continue;
    const resource = `${object.kind}:${object.name}`;
    actions.push({
      kind: object.kind === 'secret' ? 'create-secret' : 'create-config',
      resource,
      after: [],
      name: object.name,
      key: object.key,
      data: object.data ?? '',
      labels: object.labels,
      reason: MISSING,
    });
    creates.push(resource);
  }

  const serviceActions: string[] = [];
  for (const { service, current, recreate, reasons } of decided) {
    if (!acting.has(service.key)) continue;
    const resource = `service:${service.key}`;
    const after = [...creates, ...service.dependsOn.filter((d) => acting.has(d)).map((d) => `service:${d}`)];
    serviceActions.push(resource);
    const base = { resource, name: service.name, key: service.key, spec: service.spec };
    if (current && recreate)
      actions.push({ kind: 'create-service', ...base, after: [...after, removalRef(service.name)], reason: recreate });
    else if (!current) actions.push({ kind: 'create-service', ...base, after, reason: MISSING });
    else
      actions.push({
        kind: 'update-service',
        ...base,
        after,
        objectId: current.id,
        version: current.version,
        reasons,
        reason: { code: 'changed', detail: reasons.join(', ') },
      });
  }

  const desiredNames = new Set(desired.services.map((s) => s.name));
  const orphans = observed.services
    .filter((o) => !desiredNames.has(o.name))
    .sort((a, b) => byCodePoint(a.name, b.name));
  if (options.removeOrphans) {
    for (const orphan of orphans) {
      const action = removal('remove-service', orphan, 'orphan', []);
      actions.push(action);
      serviceActions.push(action.resource);
    }
  } else if (orphans.length > 0) {
    notes.push(
      `orphan services kept: ${orphans.map((o) => o.name).join(', ')} ` +
        '(not in the stack file; --remove-orphans removes them)',
    );
  }
  // Objects no longer named go once no service can use them: after every service action, and
  // only when no orphan service is kept (it may still use them).
  if (options.removeOrphans || orphans.length === 0) {
    actions.push(
      ...removals(
        'remove-secret',
        observed.secrets,
        new Set(desired.secrets.map((s) => s.name)),
        'rotated',
        serviceActions,
      ),
    );
    actions.push(
      ...removals(
        'remove-config',
        observed.configs,
        new Set(desired.configs.map((s) => s.name)),
        'rotated',
        serviceActions,
      ),
    );
    actions.push(
      ...removals(
        'remove-network',
        observed.networks,
        new Set(desired.networks.map((s) => s.name)),
        'orphan',
        serviceActions,
      ),
    );
  }
  return numbered(observed, desired.project, actions, notes);
}

/** `down`: every service of the stack, then its networks, secrets and configs. */
export function planSwarmDown(observed: ObservedSwarm): SwarmPlan {
  const sorted = (list: readonly ObservedObject[]) => [...list].sort((a, b) => byCodePoint(a.name, b.name));
  const services = sorted(observed.services).map((s) => removal('remove-service', s, 'down', []));
  const after = services.map((a) => a.resource);
  const objects = (kind: 'remove-network' | 'remove-secret' | 'remove-config', list: readonly ObservedObject[]) =>
    sorted(list).map((o) => removal(kind, o, 'down', after));
  return numbered(observed, observed.project, [
    ...services,
    ...objects('remove-secret', observed.secrets),
    ...objects('remove-config', observed.configs),
    ...objects('remove-network', observed.networks),
  ]);
}
