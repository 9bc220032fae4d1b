/**
 * How a failed apply is reported (APPLY_FAILED): each failed resource with the engine's cause,
 * and a hint where the engine itself is stuck.
 */
import { describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import { containerTarget } from '../../src/pipeline/apply.js';
import { applyRun } from '../../src/pipeline/reconcile.js';
import type { Plan } from '../../src/planner/types.js';
import type { Action } from '../../src/planner/types.js';
import type { Engine } from '../../src/engine/types.js';

const removeNetwork = {
  id: 3,
  kind: 'remove-network',
  resource: 'network:default',
  name: 'demo_default',
  networkId: 'n1',
  reason: { code: 'orphan', detail: 'down' },
  dependsOn: [],
  destructive: false,
} as unknown as Action;
// remove-network failures never ask the engine for more: a record of calls proves it.
const calls: string[] = [];
const plan: Plan = { project: 'demo', actions: [removeNetwork], notes: [], orphans: [] } as unknown as Plan;
const engine = new Proxy({}, { get: (_, key) => () => calls.push(String(key)) }) as unknown as Engine;

async function reported(message: string): Promise<StackError> {
  const summary = {
    statuses: new Map(),
    failures: [{ action: removeNetwork, error: new StackError('ENGINE_ERROR', message) }],
    skipped: [],
    interrupted: false,
    containerIds: new Map(),
  };
  // The loop with the container target's failure report; the plan runs "through" a target whose
  // executor returns the summary above (an engine fake as data, never called: see `calls`).
  const target = {
    ...containerTarget(engine, { project: 'demo' }, () => plan),
    observe: () => Promise.resolve({} as never),
    refine: () => Promise.resolve(undefined),
    validate: () => Promise.resolve(),
    execute: () => Promise.resolve(summary as never),
    check: () => Promise.resolve([]),
  };
  return applyRun(target, { signal: new AbortController().signal, yes: true }).then(
    () => expect.fail('no error thrown'),
    (error: unknown) => error as StackError,
  );
}

describe('APPLY_FAILED report', () => {
  it('a network the engine says still has endpoints gets the dockerd-restart hint', async () => {
    const error = await reported(
      'network demo_default: error while removing network: network demo_default id n1 has active endpoints',
    );
    expect(error.code).toBe('APPLY_FAILED');
    expect(error.message).toContain('network:default: remove-network demo_default failed');
    expect(error.message).toMatch(
      /hint: if `docker network inspect demo_default` lists no containers, .*restarting dockerd/,
    );
    expect(calls).toEqual([]);
  });

  it('any other network failure is reported without it', async () => {
    const error = await reported('network demo_default: not found');
    expect(error.message).not.toContain('hint:');
  });
});
