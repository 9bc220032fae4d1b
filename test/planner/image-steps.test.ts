import { describe, expect, it } from 'vitest';
import { withImageSteps } from '../../src/planner/image-steps.js';
import { renderPlan } from '../../src/planner/render.js';
import type { Action, Plan } from '../../src/planner/types.js';

const create = (id: number, service: string, dependsOn: number[] = []): Action =>
  ({
    id,
    kind: 'create-container',
    resource: `service:${service}:1`,
    name: `p-${service}-1`,
    body: {},
    connect: {},
    reason: { code: 'missing', detail: 'not created yet' },
    dependsOn,
    destructive: false,
  }) as Action;
const plan: Plan = {
  version: 1,
  project: 'p',
  actions: [
    {
      id: 1,
      kind: 'create-network',
      resource: 'network:default',
      name: 'p_default',
      body: {},
      reason: { code: 'missing', detail: 'not created yet' },
      dependsOn: [],
      destructive: false,
    } as Action,
    create(2, 'web', [1]),
    create(3, 'db', [1]),
  ],
  notes: [],
  orphans: [],
};

describe('image steps in the plan (one image decision)', () => {
  it('puts the pulls and builds first, shifts the other ids, and makes each create wait for its image', () => {
    const out = withImageSteps(plan, [
      {
        kind: 'pull',
        image: 'redis:7',
        services: ['db'],
        reason: { code: 'policy_always', detail: 'pull_policy: always' },
      },
      { kind: 'build', image: 'p-web', services: ['web'], reason: { code: 'missing', detail: 'not built yet' } },
    ]);
    expect(out.actions.map((a) => `${a.id} ${a.kind} ${a.resource} <- ${a.dependsOn.join(',')}`)).toEqual([
      '1 pull-image image:db <- ',
      '2 build-image image:web <- ',
      '3 create-network network:default <- ',
      '4 create-container service:web:1 <- 2,3',
      '5 create-container service:db:1 <- 1,3',
    ]);
    expect(renderPlan(out, 'text')).toContain('redis:7: pull_policy: always');
  });

  it('leaves a plan without image steps untouched', () => {
    expect(withImageSteps(plan, [])).toBe(plan);
  });
});
