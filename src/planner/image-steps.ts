/**
 * One image decision. `up` makes images present before planning containers (the image step:
 * src/images/plan-images.ts decides, src/images/ensure.ts runs it), so the container plan it
 * runs has no image actions. `stack plan` shows the same decisions as the first actions of the
 * plan: `withImageSteps` puts them in front and makes each create wait for its image. Pure.
 */
import type { Action, Plan, ReasonCode } from './types.js';

/** One pull or build the image step would run, for the services that use it. */
export interface ImageStep {
  readonly kind: 'pull' | 'build';
  readonly image: string;
  readonly services: readonly string[];
  readonly platform?: string;
  readonly reason: { readonly code: string; readonly detail: string };
}

function reasonCode(step: ImageStep): ReasonCode {
  if (step.kind === 'build') return 'image_build';
  return step.reason.code === 'missing' ? 'image_missing' : 'image_pull_always';
}

/** The plan with the image steps first (ids 1..k) and every other id shifted after them. */
export function withImageSteps(plan: Plan, steps: readonly ImageStep[]): Plan {
  if (steps.length === 0) return plan;
  const shift = steps.length;
  const images: Action[] = steps.map((step, i) => {
    const base = {
      id: i + 1,
      resource: `image:${step.services[0] ?? step.image}`,
      reason: { code: reasonCode(step), detail: `${step.image}: ${step.reason.detail}` },
      dependsOn: [],
      destructive: false,
    } as const;
    return step.kind === 'build'
      ? { ...base, kind: 'build-image', image: step.image, service: step.services[0] ?? '' }
      : { ...base, kind: 'pull-image', image: step.image, ...(step.platform ? { platform: step.platform } : {}) };
  });
  const imageOf = new Map<string, number>();
  steps.forEach((step, i) => step.services.forEach((s) => imageOf.set(s, i + 1)));
  const actions = plan.actions.map((a): Action => {
    const dependsOn = a.dependsOn.map((d) => d + shift);
    const service = a.kind === 'create-container' ? /^service:([^:]+)/.exec(a.resource)?.[1] : undefined;
    const image = service !== undefined ? imageOf.get(service) : undefined;
    return { ...a, id: a.id + shift, dependsOn: image !== undefined ? [image, ...dependsOn] : dependsOn };
  });
  return { ...plan, actions: [...images, ...actions] };
}
