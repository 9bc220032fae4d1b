/**
 * Public API of stack: the same pipeline the CLI runs. Re-exports only.
 *
 *   loadStack ─▶ StackModel ─▶ planUp / planDown (pure, with observe) ─▶ apply ─▶ engine
 *
 * `up`, `down` and `planStack` are whole operations (project lock, images, reconcile loop);
 * `observe`, `planUp`, `planDown` and `apply` are the steps, for callers who want the plan in
 * hand before anything changes.
 */
export { loadStack, loadRaw } from './loader/load.js';
export type { LoadOptions, RawStack } from './loader/load.js';
export type * from './model.js';
export { StackError, formatDiagnostic, ExitCode } from './errors.js';
export type { Diagnostic, ErrorCode, Severity, SourceLocation, FormatOptions } from './errors.js';

export { connectEngine } from './engine/client.js';
export type { ConnectOptions } from './engine/client.js';
export type { Engine } from './engine/types.js';
export { observe } from './engine/observe.js';

export { planUp } from './planner/plan-up.js';
export { planDown } from './planner/plan-down.js';
export { renderPlan, summarizePlan } from './planner/render.js';
export type { Action, ObservedState, Plan, UpOptions, DownOptions } from './planner/types.js';

export { applyContainers as apply, planContainers as plan } from './pipeline/apply.js';
export type { ProjectTarget } from './pipeline/apply.js';
export { upStack as up, downStack as down, planStack, planStackDown } from './pipeline/stack.js';
export type { ImageOptions, OperationHooks, OperationResult, UpStackOptions } from './pipeline/stack.js';
export type { ActionEvent, AppliedRun, PlannedRun, ProgressSink, RunHooks, Target } from './pipeline/reconcile.js';
export type { ExecuteSummary } from './pipeline/execute.js';

// The Swarm target: the same file, plan and loop, on a Swarm manager.
export { connectSwarm, prepareSwarm, planSwarm, upSwarm, downSwarm, renderSwarmPlan } from './targets/swarm/index.js';
export type {
  PreparedSwarm,
  PrepareSwarmOptions,
  SwarmAction,
  SwarmClient,
  SwarmGoal,
  SwarmHooks,
  SwarmPlan,
  SwarmUpOptions,
} from './targets/swarm/index.js';
export { applyRun, planRun } from './pipeline/reconcile.js';

// Watch mode: every change of a stack file reconciles the whole stack; develop.watch rules act.
export { watchStack as watch } from './pipeline/watch.js';
export type { WatchStackOptions } from './pipeline/watch.js';
export type { WatchOutcome, ReconcileRequest, ReconcileSummary } from './watch/session.js';
export type { ReloadReport } from './watch/report.js';
