/**
 * Fills `waitFor` on start-container actions from the model's depends_on, and orders each such
 * start after every action on its dependencies' containers (so a recreate of a dependency is
 * finished before we judge it). Pure: plan + model in, plan out; `planUp` calls it last, so
 * `stack plan` shows the same waits `up` runs. Actions that already carry `waitFor` (converged
 * dependencies, filled from the observed containers) are left alone.
 */
import type { StackModel } from '../model.js';
import type { Action, Plan, WaitCondition } from './types.js';
import { byCodePoint } from '../order.js';

/**
 * The engine names of a service's replicas: `container_name`, or `<project>-<service>-<n>` for
 * n up to the effective count (`scale`, as `up --scale` gives it, else the file's replicas).
 */
export function replicaNames(model: StackModel, service: string, scale?: Readonly<Record<string, number>>): string[] {
  const spec = model.services[service];
  if (!spec) return [];
  const count = scale?.[service] ?? spec.replicas;
  if (count === 0) return [];
  if (spec.containerName) return [spec.containerName];
  return Array.from({ length: count }, (_, i) => `${model.name}-${service}-${i + 1}`);
}

/** The service a resource ref names (`service:web:1` → `web`). */
export function serviceOf(resource: string): string | undefined {
  const match = /^service:([^:]+)(?::\d+)?$/.exec(resource);
  return match?.[1];
}

function ancestors(actions: ReadonlyMap<number, Action>, id: number): Set<number> {
  const seen = new Set<number>();
  const stack = [id];
  while (stack.length > 0) {
    const current = actions.get(stack.pop()!);
    for (const dep of current?.dependsOn ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return seen;
}

/** Returns the plan with depends_on conditions on every start of a service that has them. */
export function addWaitConditions(plan: Plan, model: StackModel, scale?: Readonly<Record<string, number>>): Plan {
  const byId = new Map(plan.actions.map((a) => [a.id, a]));
  const byService = new Map<string, number[]>();
  for (const action of plan.actions) {
    const service = serviceOf(action.resource);
    if (service) byService.set(service, [...(byService.get(service) ?? []), action.id]);
  }
  const actions = plan.actions.map((action): Action => {
    if (action.kind !== 'start-container' || action.waitFor) return action;
    const service = serviceOf(action.resource);
    const spec = service ? model.services[service] : undefined;
    if (!spec) return action;
    const waitFor: WaitCondition[] = [];
    const extra = new Set<number>();
    const above = ancestors(byId, action.id);
    for (const [dep, condition] of Object.entries(spec.dependsOn).sort(([a], [b]) => byCodePoint(a, b))) {
      if (!model.services[dep]) continue; // disabled or not selected: the loader already warned
      // Nothing in this plan touches the dependency: either it is converged (the planner then
      // fills waitFor from the observed containers itself) or it is left out (`up --no-deps`,
      // scaled to 0) and has no container to wait for.
      if (!byService.has(dep)) continue;
      for (const container of replicaNames(model, dep, scale))
        waitFor.push({ service: dep, container, condition: condition.condition, required: condition.required });
      if (!condition.required) continue;
      for (const id of byService.get(dep) ?? []) {
        // Never create a cycle: skip an action that itself waits on this start.
        if (id !== action.id && !above.has(id) && !ancestors(byId, id).has(action.id)) extra.add(id);
      }
    }
    if (waitFor.length === 0) return action;
    const dependsOn = [...new Set([...action.dependsOn, ...extra])].sort((a, b) => a - b);
    return { ...action, dependsOn, waitFor };
  });
  return { ...plan, actions };
}
