/**
 * The plan of the swarm target as data: one action per engine call, each with the actions it
 * must wait for, printable as text. A converged stack plans to no actions. Actions carry the
 * fields the shared reconcile loop and its renderers read (id, kind, resource, reason).
 */
import type { ServiceSpecBody } from './spec.js';

/** Why a service is updated (display only, stable, snake_case): a field group, or one of these. */
export type UpdateReason = string;

/** Why an object is removed. */
export type RemovalReason = 'orphan' | 'rotated' | 'down' | 'mode_changed' | 'network_changed';

interface ActionBase {
  /** Position in the plan, from 1 (renderers key their lines by it). */
  readonly id: number;
  /** `service:web`, `network:demo_default`, ...: what `after` lists refer to. */
  readonly resource: string;
  /** Resources whose actions must be done first. */
  readonly after: readonly string[];
  /** The engine's name of the object. */
  readonly name: string;
  readonly reason: { readonly code: string; readonly detail: string };
}

export type SwarmAction =
  | (ActionBase & {
      readonly kind: 'create-network';
      readonly body: Readonly<Record<string, unknown>>;
      /** The manager still lists its copy of a removed network of this name: create once it is gone. */
      readonly lingering?: boolean;
    })
  | (ActionBase & {
      readonly kind: 'create-secret' | 'create-config';
      readonly key: string;
      readonly data: string;
      readonly labels: Readonly<Record<string, string>>;
    })
  | (ActionBase & { readonly kind: 'create-service'; readonly key: string; readonly spec: ServiceSpecBody })
  | (ActionBase & {
      readonly kind: 'update-service';
      readonly key: string;
      /** The engine's ID of the service. */
      readonly objectId: string;
      /** The observed version the update is based on. */
      readonly version: number;
      readonly spec: ServiceSpecBody;
      readonly reasons: readonly UpdateReason[];
    })
  | (ActionBase & {
      readonly kind: 'remove-service' | 'remove-network' | 'remove-secret' | 'remove-config';
      /** The engine's ID of the object. */
      readonly objectId: string;
      readonly reason: { readonly code: RemovalReason; readonly detail: string };
    });

export type SwarmActionKind = SwarmAction['kind'];

/** An action as the planner builds it: ids are numbered once the plan is complete. */
export type UnnumberedAction = WithoutId<SwarmAction>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The plan of one run. */
export interface SwarmPlan {
  readonly project: string;
  readonly actions: readonly SwarmAction[];
  /** Said before the changes run ("orphan services kept: ..."). */
  readonly notes: readonly string[];
  /** IDs of the secrets and configs observed, by `secret:<name>` / `config:<name>` (service specs refer to them). */
  readonly objectIds: Readonly<Record<string, string>>;
}

const VERBS: Record<SwarmActionKind, [string, string]> = {
  'create-network': ['Creating', 'Created'],
  'create-secret': ['Creating', 'Created'],
  'create-config': ['Creating', 'Created'],
  'create-service': ['Creating', 'Created'],
  'update-service': ['Updating', 'Updated'],
  'remove-service': ['Removing', 'Removed'],
  'remove-network': ['Removing', 'Removed'],
  'remove-secret': ['Removing', 'Removed'],
  'remove-config': ['Removing', 'Removed'],
};

/** How progress renderers name a swarm action: `Service demo_web`, `Updating` / `Updated`. */
export const describeSwarmAction = {
  subject(action: SwarmAction): string {
    const what = action.kind.slice(action.kind.indexOf('-') + 1);
    return `${what[0]!.toUpperCase()}${what.slice(1)} ${action.name}`;
  },
  verb(action: SwarmAction, done: boolean): string {
    return VERBS[action.kind][done ? 1 : 0];
  },
};

/** The plan as text, one line per action (`stack plan --target swarm`). */
export function renderSwarmPlan(plan: SwarmPlan): string {
  if (plan.actions.length === 0) return `${plan.project}: up to date (no changes)\n`;
  const lines = plan.actions.map((action) => {
    const [verb, what] = action.kind.split('-') as [string, string];
    const sign = verb === 'create' ? '+' : verb === 'update' ? '~' : '-';
    // A removal says why; a create only when it is not simply missing; a changed network names its fields.
    const { code, detail: why } = action.reason;
    const detail =
      action.kind === 'update-service'
        ? ` (version ${action.version}): ${action.reasons.join(', ')}`
        : code === 'network_changed'
          ? ` (${code}: ${why})`
          : verb === 'remove' || code !== 'missing'
            ? ` (${code})`
            : '';
    return `${sign} ${verb} ${what} ${action.name}${detail}`;
  });
  const counts = new Map<string, number>();
  for (const action of plan.actions) {
    const verb = action.kind.split('-')[0]!;
    counts.set(verb, (counts.get(verb) ?? 0) + 1);
  }
  const summary = [...counts].map(([verb, n]) => `${n} to ${verb}`).join(', ');
  return `${lines.join('\n')}\n${plan.project}: ${summary}\n`;
}
