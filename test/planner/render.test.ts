import { describe, expect, it } from 'vitest';
import { planUp, renderPlan, summarizePlan } from '../../src/planner/index.js';
import { emptyObserved, image, model, service } from './helpers.js';

describe('renderPlan', () => {
  const m = model('demo', [service('web', { environment: { TOKEN: 'hunter2' } })]);
  const plan = planUp(m, emptyObserved('demo', [image('web:latest')]));

  it('renders versioned JSON with snake_case keys and masked environment values', () => {
    const json = JSON.parse(renderPlan(plan, 'json')) as { format_version: number; actions: Record<string, unknown>[] };
    expect(json.format_version).toBe(1);
    expect(JSON.parse(renderPlan(plan, 'json')).summary).toMatchObject({
      actions: 3,
      by_kind: { 'create-container': 1 },
    });
    expect(json.actions[1]).toMatchObject({
      id: 2,
      kind: 'create-container',
      depends_on: [1],
      reason: { code: 'missing' },
    });
    expect((json.actions[1]!['body'] as { Env: string[] }).Env).toEqual(['TOKEN=***']);
    expect(renderPlan(plan, 'json')).not.toContain('hunter2');
    expect(renderPlan(plan, 'text')).not.toContain('hunter2');
  });

  it('summarises counts by kind', () => {
    expect(summarizePlan(plan)).toEqual({
      actions: 3,
      destructive: 0,
      byKind: { 'create-network': 1, 'create-container': 1, 'start-container': 1 },
      recreate: 0,
      orphans: 0,
      notes: 0,
    });
  });

  it('is JSON-serialisable without loss', () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});
