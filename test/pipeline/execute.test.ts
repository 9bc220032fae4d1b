import { describe, expect, it } from 'vitest';
import type { Action, Plan } from '../../src/planner/types.js';
import { executePlan } from '../../src/pipeline/execute.js';
import type { ExecuteEvent } from '../../src/pipeline/execute.js';
import { fakeEngine } from '../support/fake-engine.js';

const reason = { code: 'missing', detail: 'not found' } as const;
const base = { reason, destructive: false };

/** network → (web: create → start), (db: create → start), web-start after db-start. */
function upPlan(): Plan {
  const actions: Action[] = [
    { ...base, id: 1, kind: 'create-network', resource: 'network:default', name: 'p_default', body: {}, dependsOn: [] },
    {
      ...base,
      id: 2,
      kind: 'create-container',
      resource: 'service:db:1',
      name: 'p-db-1',
      body: {},
      connect: {},
      dependsOn: [1],
    },
    { ...base, id: 3, kind: 'start-container', resource: 'service:db:1', name: 'p-db-1', dependsOn: [2] },
    {
      ...base,
      id: 4,
      kind: 'create-container',
      resource: 'service:web:1',
      name: 'p-web-1',
      body: {},
      connect: { p_other: {} },
      dependsOn: [1],
    },
    { ...base, id: 5, kind: 'start-container', resource: 'service:web:1', name: 'p-web-1', dependsOn: [3, 4] },
    { ...base, id: 6, kind: 'create-volume', resource: 'volume:data', name: 'p_data', body: {}, dependsOn: [] },
  ];
  return { version: 1, project: 'p', actions, notes: [], orphans: [] };
}

describe('executePlan', () => {
  it('runs each action as its engine call, in dependency order, resolving created containers by name', async () => {
    const engine = fakeEngine();
    const summary = await executePlan(engine, upPlan());
    expect(summary.failures).toEqual([]);
    expect([...summary.statuses.values()].every((s) => s === 'ok')).toBe(true);
    const order = engine.calls.map((c) => `${c.method} ${String(c.args[0])}`);
    expect(order.indexOf('createNetwork p_default')).toBeLessThan(
      order.findIndex((c) => c.startsWith('createContainer p-db-1')),
    );
    expect(order.findIndex((c) => c.startsWith('startContainer id-p-web-1'))).toBeGreaterThan(
      order.findIndex((c) => c.startsWith('startContainer id-p-db-1')),
    );
    // the created container's ID, not its name, reaches start and connect
    expect(engine.calls.find((c) => c.method === 'connectNetwork')?.args).toEqual([
      'p_other',
      expect.stringMatching(/^id-p-web-1$/),
    ]);
  });

  it('a failed action skips its dependents while independent actions finish, and the summary names it', async () => {
    const engine = fakeEngine();
    engine.failOn('startContainer', 'id-p-db-1', 500, 'port is already allocated');
    const events: ExecuteEvent[] = [];
    const plan = upPlan();
    const summary = await executePlan(engine, plan, { parallel: 1, onEvent: (e) => events.push(e) });
    expect(summary.statuses.get(3)).toBe('failed');
    expect(summary.statuses.get(5)).toBe('skipped');
    expect(summary.statuses.get(4)).toBe('ok');
    expect(summary.statuses.get(6)).toBe('ok');
    expect(summary.failures.map((f) => [f.action.resource, f.error.message])).toEqual([
      ['service:db:1', expect.stringContaining('port is already allocated')],
    ]);
    expect(events.filter((e) => e.type === 'action-skipped').map((e) => e.action.id)).toEqual([5]);
  });

  it('one concurrency limit bounds every engine call', async () => {
    const engine = fakeEngine();
    engine.delay(20);
    const actions: Action[] = Array.from({ length: 10 }, (_, i) => ({
      ...base,
      id: i + 1,
      kind: 'create-volume' as const,
      resource: `volume:v${i}`,
      name: `v${i}`,
      body: {},
      dependsOn: [],
    }));
    await executePlan(engine, { version: 1, project: 'p', actions, notes: [], orphans: [] }, { parallel: 3 });
    expect(engine.maxInFlight).toBe(3);
    expect(engine.calls).toHaveLength(10);
  });

  it('after an abort no new action starts; in-flight ones finish', async () => {
    const engine = fakeEngine();
    engine.delay(30);
    const controller = new AbortController();
    const actions: Action[] = Array.from({ length: 6 }, (_, i) => ({
      ...base,
      id: i + 1,
      kind: 'create-volume' as const,
      resource: `volume:v${i}`,
      name: `v${i}`,
      body: {},
      dependsOn: i === 0 ? [] : [i],
    }));
    // Ctrl-C lands while the second action is in flight (no clock: the call itself aborts).
    const create = engine.createVolume.bind(engine);
    engine.createVolume = (name, body, signal) => {
      if (name === 'v1') controller.abort();
      return create(name, body, signal);
    };
    const summary = await executePlan(
      engine,
      { version: 1, project: 'p', actions, notes: [], orphans: [] },
      { signal: controller.signal },
    );
    expect(summary.interrupted).toBe(true);
    expect(engine.calls).toHaveLength(2);
    expect(summary.statuses.get(2)).toBe('ok');
    expect(summary.statuses.get(3)).toBe('skipped');
  });

  it('a rename makes the new name resolve to the same container', async () => {
    const engine = fakeEngine();
    const actions: Action[] = [
      {
        ...base,
        id: 1,
        kind: 'create-container',
        resource: 'service:web:1',
        name: 'tmp_web',
        body: {},
        connect: {},
        dependsOn: [],
      },
      {
        ...base,
        id: 2,
        kind: 'rename-container',
        resource: 'service:web:1',
        name: 'tmp_web',
        newName: 'p-web-1',
        dependsOn: [1],
      },
      { ...base, id: 3, kind: 'start-container', resource: 'service:web:1', name: 'p-web-1', dependsOn: [2] },
    ];
    const summary = await executePlan(engine, { version: 1, project: 'p', actions, notes: [], orphans: [] });
    const id = summary.containerIds.get('tmp_web');
    expect(summary.containerIds.get('p-web-1')).toBe(id);
    expect(engine.calls.map((c) => c.method)).toEqual(['createContainer', 'renameContainer', 'startContainer']);
    expect(engine.calls[2]?.args[0]).toBe(id);
  });
});
