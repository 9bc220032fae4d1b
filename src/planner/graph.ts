/**
 * The service dependency graph: who must be started before whom. Built from `depends_on`
 * and `network_mode: service:x` (the container joins x's network namespace, so x must exist
 * first). Every iteration is over sorted names so the plan is deterministic.
 */
import type { ServiceSpec, StackModel } from '../model.js';

/** Services and the services each one depends on (edges only to services in the graph). */
export interface ServiceGraph {
  /** Every service, sorted. */
  readonly services: readonly string[];
  /** service → the services it needs, sorted. */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
}

/** A topological order, or the first cycle found as `a -> b -> a`. */
export type TopoResult =
  { readonly ok: true; readonly order: readonly string[] } | { readonly ok: false; readonly cycle: string };

/** The service `network_mode: service:x` points at, if any. */
export function networkModeService(networkMode: string | undefined): string | undefined {
  return networkMode?.startsWith('service:') ? networkMode.slice('service:'.length) : undefined;
}

/**
 * The services whose replica 1 a service's containers are built on: `network_mode`, `pid`,
 * `ipc` as `service:x`, and `volumes_from` services. They are created first, and a new
 * container of theirs makes the service's containers stale.
 */
export function donorServices(spec: ServiceSpec): string[] {
  const modes = [spec.networkMode, spec.pid, spec.ipc].map(networkModeService).filter((t) => t !== undefined);
  const from = (spec.volumesFrom ?? []).filter((v) => v.kind === 'service').map((v) => v.name);
  return [...new Set([...modes, ...from])].filter((d) => d !== spec.name).sort();
}

/**
 * Builds the graph from the model's enabled services; edges to disabled/unknown services are
 * dropped (the loader reports them).
 */
export function buildGraph(model: StackModel): ServiceGraph {
  const services = Object.keys(model.services).sort();
  const known = new Set(services);
  const dependencies: Record<string, readonly string[]> = {};
  for (const name of services) {
    const spec = model.services[name]!;
    const deps = new Set(Object.keys(spec.dependsOn));
    for (const donor of donorServices(spec)) deps.add(donor);
    for (const link of spec.links ?? []) deps.add(link.service);
    dependencies[name] = [...deps].filter((d) => known.has(d) && d !== name).sort();
  }
  return { services, dependencies };
}

/** Builds a graph from explicit edges (used by `down` without a model, from the depends_on label). */
export function graphFromEdges(edges: Readonly<Record<string, readonly string[]>>): ServiceGraph {
  const services = Object.keys(edges).sort();
  const known = new Set(services);
  const dependencies: Record<string, readonly string[]> = {};
  for (const name of services)
    dependencies[name] = [...new Set(edges[name])].filter((d) => known.has(d) && d !== name).sort();
  return { services, dependencies };
}

/**
 * Dependencies first. Kahn's algorithm picking the smallest ready name each step, so the
 * order is a pure function of the graph.
 */
export function topoOrder(graph: ServiceGraph): TopoResult {
  // In-degrees and reverse edges once, and a heap of the ready names: O((n + e) log n). The
  // rescan of every remaining service per step was quadratic (~10 ms of a no-op `up` at N=200).
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const name of graph.services) {
    const deps = new Set(graph.dependencies[name]);
    waiting.set(name, deps.size);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(name);
      else dependents.set(dep, [name]);
    }
  }
  const ready = new NameHeap();
  for (const [name, count] of waiting) if (count === 0) ready.push(name);
  const order: string[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    order.push(next);
    for (const dependent of dependents.get(next) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length < waiting.size) {
    const placed = new Set(order);
    const rest = [...waiting.keys()].filter((name) => !placed.has(name));
    return { ok: false, cycle: findCycle(graph) ?? rest.join(' -> ') };
  }
  return { ok: true, order };
}

/** A binary min-heap of names in code-unit order (as `Array.prototype.sort` orders strings). */
class NameHeap {
  private readonly items: string[] = [];
  push(name: string): void {
    const items = this.items;
    let i = items.push(name) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= name) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = name;
  }
  pop(): string | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Dependents first: the order to stop and remove in. A cyclic graph falls back to reverse name
 * order (down must still make progress).
 */
export function reverseOrder(graph: ServiceGraph): readonly string[] {
  const result = topoOrder(graph);
  return result.ok ? [...result.order].reverse() : [...graph.services].reverse();
}

/** The first cycle in sorted DFS order as `a -> b -> a`, or undefined. Stable text for error messages. */
export function findCycle(graph: ServiceGraph): string | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of graph.dependencies[node] ?? []) {
      const seen = state.get(dep);
      if (seen === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep].join(' -> ');
      if (seen === undefined) {
        const found = visit(dep);
        if (found !== undefined) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.services) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The services named plus, unless `noDeps`, everything they transitively depend on (what
 * `up web` brings up). No names = every service. Unknown names are ignored here: the CLI
 * validates them against the model before planning.
 */
export function selectServices(
  graph: ServiceGraph,
  names: readonly string[] | undefined,
  noDeps = false,
): ReadonlySet<string> {
  if (names === undefined || names.length === 0) return new Set(graph.services);
  const selected = new Set<string>();
  const known = new Set(graph.services);
  const add = (name: string): void => {
    if (!known.has(name) || selected.has(name)) return;
    selected.add(name);
    if (!noDeps) for (const dep of graph.dependencies[name] ?? []) add(dep);
  };
  for (const name of [...names].sort()) add(name);
  return selected;
}

/** Services that some other service depends on with `service_completed_successfully` (run-once jobs). */
export function completionDependencies(model: StackModel): ReadonlySet<string> {
  const result = new Set<string>();
  for (const spec of Object.values(model.services)) {
    for (const [dep, how] of Object.entries(spec.dependsOn))
      if (how.condition === 'service_completed_successfully') result.add(dep);
  }
  return result;
}
