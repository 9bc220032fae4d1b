/**
 * The pure planner of the swarm target: (desired, observed) → plan. No I/O, no clock.
 *
 *   create networks, secrets, configs that are missing        (nothing to wait for)
 *     → remove a service whose mode changed                    (Swarm cannot update a mode)
 *     → create / update services, each after its depends_on   (after every create above)
 *       → remove orphan services (with removeOrphans)
 *         → remove secrets, configs, networks no longer used   (after every service action)
 *
 * A service whose hash label matches, with the replicas and image of its spec unchanged, has
 * no action: a converged stack plans to zero actions and `up` makes zero writes.
 */
import { byCodePoint } from '../../order.js';
import { SwarmLabel } from './labels.js';
import type { ObservedObject, ObservedService, ObservedSwarm } from './observed.js';
import type { RemovalReason, SwarmAction, SwarmPlan, UnnumberedAction } from './plan.js';
import type { DesiredService, DesiredSwarm } from './spec.js';

/** Policy of a plan, passed in. */
export interface SwarmPlanOptions {
  /** Remove services of the stack that the file no longer has. */
  readonly removeOrphans: boolean;
}

const MISSING = { code: 'missing', detail: 'not on the swarm' } as const;

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
  const image = (desired.spec['TaskTemplate'] as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec
    ?.Image;
  if (observed.image !== undefined && image !== undefined && observed.image !== image) reasons.push('image_drifted');
  return reasons;
}

/** The kind of a desired service's mode (`Replicated`, `Global`, ...). */
function modeOf(service: DesiredService): string | undefined {
  return Object.keys(service.spec['Mode'] ?? {})[0];
}

const DETAILS: Record<RemovalReason, string> = {
  orphan: 'no longer in the stack file',
  rotated: 'its content changed: replaced by a new object',
  down: 'down',
  mode_changed: 'Swarm cannot change a service mode: removed and created again',
};

function removal(
  kind: 'remove-service' | 'remove-network' | 'remove-secret' | 'remove-config',
  object: ObservedObject,
  code: RemovalReason,
  after: readonly string[],
  resource = `${kind.slice(7)}:${object.name}`,
): UnnumberedAction {
  return { kind, resource, after, name: object.name, objectId: object.id, reason: { code, detail: DETAILS[code] } };
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

/** The plan that brings the cluster to `desired`. */
export function planSwarmUp(desired: DesiredSwarm, observed: ObservedSwarm, options: SwarmPlanOptions): SwarmPlan {
  const actions: UnnumberedAction[] = [];
  const has = (list: readonly ObservedObject[], name: string): boolean => list.some((o) => o.name === name);
  const creates: string[] = [];
  for (const net of desired.networks) {
    if (net.external || has(observed.networks, net.name)) continue;
    const resource = `network:${net.name}`;
    actions.push({ kind: 'create-network', resource, after: [], name: net.name, body: net.body, reason: MISSING });
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

  // First what each service needs, then the actions: a dependency without an action of its
  // own is already there, and nothing waits for it.
  const decided = desired.services.map((service) => {
    const current = observed.services.find((o) => o.name === service.name);
    return { service, current, reasons: current ? serviceChanges(service, current) : [] };
  });
  const acting = new Set(decided.filter((d) => !d.current || d.reasons.length > 0).map((d) => d.service.key));
  const serviceActions: string[] = [];
  for (const { service, current, reasons } of decided) {
    if (!acting.has(service.key)) continue;
    const resource = `service:${service.key}`;
    const after = [...creates, ...service.dependsOn.filter((d) => acting.has(d)).map((d) => `service:${d}`)];
    serviceActions.push(resource);
    // Swarm refuses to change a service's mode (replicated, global, jobs): the one case where
    // a service is removed and created again, and the plan says so.
    const modeChanged = current?.mode !== undefined && current.mode !== modeOf(service);
    if (current && modeChanged) {
      const removeRef = `service-removal:${service.key}`;
      actions.push(removal('remove-service', current, 'mode_changed', [], removeRef));
      actions.push({
        kind: 'create-service',
        resource,
        after: [...after, removeRef],
        name: service.name,
        key: service.key,
        spec: service.spec,
        reason: { code: 'mode_changed', detail: DETAILS.mode_changed },
      });
    } else if (!current)
      actions.push({
        kind: 'create-service',
        resource,
        after,
        name: service.name,
        key: service.key,
        spec: service.spec,
        reason: MISSING,
      });
    else
      actions.push({
        kind: 'update-service',
        resource,
        after,
        name: service.name,
        key: service.key,
        objectId: current.id,
        version: current.version,
        spec: service.spec,
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
  }
  const notes =
    orphans.length > 0 && !options.removeOrphans
      ? [
          `orphan services kept: ${orphans.map((o) => o.name).join(', ')} ` +
            '(not in the stack file; --remove-orphans removes them)',
        ]
      : [];
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
