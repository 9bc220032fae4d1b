/**
 * The engine half of the container-name clash check (the decision is in
 * src/planner/name-clash.ts). Observe lists containers by project label, so it cannot see
 * another project's container under a name this plan wants. One list call by name, made only
 * when the plan claims names no observed container holds: a converged `up` (zero actions)
 * and a plan that only starts, stops or recreates in place cost nothing.
 */
import type { Engine } from '../engine/types.js';
import { MAX_QUERY_FILTERS, toObservedContainer } from '../engine/observe.js';
import type { ObservedState, Plan } from '../planner/types.js';
import type { NameClash } from '../planner/name-clash.js';
import { foreignHolders, nameClashError, namesToClaim } from '../planner/name-clash.js';

/** `^/name$` as the engine's name filter (a regular expression over `/name`) wants it. */
function exactNameFilter(name: string): string {
  return `^/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** Containers of other projects (or none) holding names the plan gives the project's containers. */
export async function findNameClashes(
  engine: Engine,
  plan: Plan,
  observed: ObservedState,
  signal?: AbortSignal,
): Promise<NameClash[]> {
  const names = namesToClaim(plan, observed);
  if (names.length === 0) return [];
  // Many names: one list of every container, matched here. A name filter per container made
  // an 18 KB query for 500 services (past the 16 KB header limit of Node-based socket
  // proxies: the cold `up` failed) and took the engine ~0.6 s to match; the full list, ~30 ms.
  const filters = names.length > MAX_QUERY_FILTERS ? {} : { filters: { name: names.map(exactNameFilter) } };
  const listed = await engine.listContainers({ all: true, ...filters }, signal);
  return foreignHolders(plan.project, names, listed.map(toObservedContainer));
}

/** Throws NAME_CONFLICT (before anything is written) when another project holds a name the plan needs. */
export async function assertNoNameClashes(
  engine: Engine,
  plan: Plan,
  observed: ObservedState,
  signal?: AbortSignal,
): Promise<void> {
  const error = nameClashError(plan, await findNameClashes(engine, plan, observed, signal));
  if (error) throw error;
}
