import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  findCycle,
  graphFromEdges,
  reverseOrder,
  selectServices,
  topoOrder,
} from '../../src/planner/graph.js';
import type { ServiceGraph } from '../../src/planner/graph.js';
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

describe('topoOrder on generated graphs', () => {
  // The definition: repeatedly take the smallest name whose dependencies are all placed.
  function byDefinition(graph: ServiceGraph): string[] | undefined {
    const placed = new Set<string>();
    const order: string[] = [];
    while (order.length < graph.services.length) {
      const next = graph.services
        .filter((s) => !placed.has(s) && graph.dependencies[s]!.every((d) => placed.has(d)))
        .sort()[0];
      if (next === undefined) return undefined;
      placed.add(next);
      order.push(next);
    }
    return order;
  }
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const names = (n: number): string[] =>
    Array.from(
      { length: n },
      (_, i) => ['svc', 'Api', 'db-', 'w_', 'é'][i % 5]! + String(Math.floor(random() * 50)) + i,
    );

  it('is the smallest-ready-name order of 300 random DAGs, and finds the cycle of cyclic ones', () => {
    for (let round = 0; round < 300; round++) {
      const list = names(1 + Math.floor(random() * 40));
      const cyclic = round % 5 === 4;
      const edges: Record<string, string[]> = {};
      list.forEach((name, i) => {
        // A DAG: edges only to earlier names in a random permutation; some cyclic graphs add a back edge.
        edges[name] = list.slice(0, i).filter(() => random() < 0.15);
      });
      if (cyclic && list.length > 1) edges[list[0]!] = [list[list.length - 1]!];
      const graph = graphFromEdges(edges);
      const expected = byDefinition(graph);
      const result = topoOrder(graph);
      if (expected === undefined) expect(result).toEqual({ ok: false, cycle: findCycle(graph) });
      else expect(result).toEqual({ ok: true, order: expected });
    }
  });
});
