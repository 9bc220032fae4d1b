/**
 * The plan of the swarm target as data: one action per engine call, each with the actions it
 * must wait for, printable as text. A converged stack plans to no actions.
 */
import type { ServiceSpecBody } from './spec.js';

/** Why a service is updated (display only, stable, snake_case): a field group, or one of these. */
export type UpdateReason = string;

export type SwarmAction =
  | {
      readonly kind: 'create-network';
      readonly ref: string;
      readonly after: readonly string[];
      readonly name: string;
      readonly body: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'create-secret' | 'create-config';
      readonly ref: string;
      readonly after: readonly string[];
      readonly name: string;
      readonly key: string;
      readonly data: string;
      readonly labels: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'create-service';
      readonly ref: string;
      readonly after: readonly string[];
      readonly name: string;
      readonly key: string;
      readonly spec: ServiceSpecBody;
    }
  | {
      readonly kind: 'update-service';
      readonly ref: string;
      readonly after: readonly string[];
      readonly name: string;
      readonly key: string;
      readonly id: string;
      /** The observed version the update is based on. */
      readonly version: number;
      readonly spec: ServiceSpecBody;
      readonly reasons: readonly UpdateReason[];
    }
  | {
      readonly kind: 'remove-service' | 'remove-network' | 'remove-secret' | 'remove-config';
      readonly ref: string;
      readonly after: readonly string[];
      readonly name: string;
      readonly id: string;
      readonly reason: 'orphan' | 'rotated' | 'down' | 'mode_changed';
    };

export type SwarmActionKind = SwarmAction['kind'];

/** The plan of one run. */
export interface SwarmPlan {
  readonly project: string;
  readonly actions: readonly SwarmAction[];
}

/** The plan as text, one line per action (`stack plan --target swarm`). */
export function renderSwarmPlan(plan: SwarmPlan): string {
  if (plan.actions.length === 0) return `${plan.project}: up to date (no changes)\n`;
  const lines = plan.actions.map((action) => {
    const [verb, what] = action.kind.split('-') as [string, string];
    const sign = verb === 'create' ? '+' : verb === 'update' ? '~' : '-';
    const detail =
      action.kind === 'update-service'
        ? ` (version ${action.version}): ${action.reasons.join(', ')}`
        : action.kind.startsWith('remove-') && 'reason' in action
          ? ` (${action.reason})`
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
