import { describe, expect, it } from 'vitest';
import { buildGraph, findCycle, reverseOrder, selectServices, topoOrder } from '../../src/planner/graph.js';
import { model, service } from './helpers.js';

const on = (...deps: string[]) =>
  Object.fromEntries(deps.map((d) => [d, { condition: 'service_started' as const, required: true, restart: false }]));

describe('service graph', () => {
  const m = model('p', [
    service('web', { dependsOn: on('api') }),
    service('api', { dependsOn: on('db', 'cache') }),
    service('db'),
    service('cache'),
    service('sidecar', { networkMode: 'service:web' }),
  ]);

  it('orders dependencies first, ties by name, and network_mode service:x counts as a dependency', () => {
    expect(topoOrder(buildGraph(m))).toEqual({ ok: true, order: ['cache', 'db', 'api', 'web', 'sidecar'] });
    expect(reverseOrder(buildGraph(m))).toEqual(['sidecar', 'web', 'api', 'db', 'cache']);
  });

  it('reports a cycle as a -> b -> a', () => {
    const cyclic = model('p', [
      service('a', { dependsOn: on('b') }),
      service('b', { dependsOn: on('c') }),
      service('c', { dependsOn: on('a') }),
      service('d'),
    ]);
    expect(findCycle(buildGraph(cyclic))).toBe('a -> b -> c -> a');
    expect(topoOrder(buildGraph(cyclic))).toEqual({ ok: false, cycle: 'a -> b -> c -> a' });
    expect(findCycle(buildGraph(m))).toBeUndefined();
  });

  it('selects the services named plus their transitive dependencies, or only them with noDeps', () => {
    expect([...selectServices(buildGraph(m), ['web'])].sort()).toEqual(['api', 'cache', 'db', 'web']);
    expect([...selectServices(buildGraph(m), ['web'], true)]).toEqual(['web']);
    expect(selectServices(buildGraph(m), undefined).size).toBe(5);
  });
});
