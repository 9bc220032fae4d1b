/** The planner's public surface: pure functions from (StackModel, ObservedState) to Plan. Re-exports only. */
export type * from './types.js';
export { planUp } from './plan-up.js';
export { planDown } from './plan-down.js';
export { renderPlan, renderAction, summarizePlan } from './render.js';
export type { PlanSummary } from './render.js';
export { buildGraph, topoOrder, reverseOrder, findCycle, selectServices } from './graph.js';
export type { ServiceGraph, TopoResult } from './graph.js';
export { desiredContainer, desiredNetwork, desiredVolume, containerName } from './desired.js';
export type { DesiredContainer, DesiredResource } from './desired.js';
export { hashContainer, hashResource, canonicalJson, HASH_VERSION } from './hash.js';
export { addWaitConditions, replicaNames, serviceOf } from './wait-conditions.js';
