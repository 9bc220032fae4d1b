export { resolveTarget } from './target.js';
export type { TargetName } from './target.js';
export {
  connectSwarm,
  prepareSwarm,
  planSwarm,
  upSwarm,
  downSwarm,
  psSwarm,
  renderSwarmPs,
  logsSwarm,
  lsSwarm,
  configSwarm,
} from './commands.js';
export type { PreparedSwarm, PrepareSwarmOptions, SwarmUpOptions, SwarmPsRow, SwarmLogLine } from './commands.js';
export type { SwarmClient } from './client.js';
export { renderSwarmPlan } from './plan.js';
export type { SwarmPlan, SwarmAction, SwarmActionKind } from './plan.js';
export { planSwarmUp, planSwarmDown, serviceChanges } from './planner.js';
export { convertStack } from './convert.js';
export { observeSwarm, requireManager } from './observe.js';
export { executeSwarmPlan } from './execute.js';
export type { SwarmExecuteOptions, SwarmExecutorCalls } from './execute.js';
export { waitForServices, judgeService, renderSwarmProgress } from './wait.js';
export type { ServiceProgress } from './wait.js';
export { validateForSwarm } from './validate.js';
export { SwarmLabel } from './labels.js';
export type { DesiredSwarm, DesiredService } from './spec.js';
export type { ObservedSwarm, ObservedService } from './observed.js';
