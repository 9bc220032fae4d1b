/**
 * The end of an `up` execution, level-triggered (issue 20 item 15): a container the run found
 * running and left alone that is no longer running, and whose exit is a stop's (killed by the
 * grace period's SIGKILL or its stop signal; an exit 0 only when the engine reports the stop
 * request, for a job may just have finished), was stopped
 * meanwhile by someone else: a stop an earlier, killed run of stack left with the engine, a
 * killed `stack stop`, a user. The loop observes and plans again (bounded) instead of ending
 * on a state that is no longer converged. A container that crashed on its own (another exit
 * code) is left for the next run, as before.
 *
 *   containers running when observed, not stopped or removed by the plan
 *     ─▶ the ones that exited since (the run's event stream saw their `die`; without a
 *        stream, one list call) ─▶ inspect each ─▶ stopped (not running, a stop's exit)?
 */
import type { Engine, EngineContainerInspect } from '../engine/types.js';
import { listProjectContainers } from '../engine/observe.js';
import type { ObservedState, Plan } from '../planner/types.js';
import type { ContainerWatcher } from './wait.js';
import { exitLooksLikeStop, stoppedOnRequest } from './wait.js';

/**
 * Why the run is worth observing and planning again: "container p-db-1 (exit code 0) was
 * stopped during this run, not by it", or undefined when every container the run found running
 * and left alone still runs (or exited on its own).
 */
export async function describeStoppedMeanwhile(
  engine: Engine,
  project: string,
  plan: Pick<Plan, 'actions'>,
  observed: Pick<ObservedState, 'containers'>,
  watcher: ContainerWatcher | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  const touched = new Set(
    plan.actions.flatMap((a) => (a.kind === 'stop-container' || a.kind === 'remove-container' ? [a.containerId] : [])),
  );
  let candidates = observed.containers.filter((c) => c.state === 'running' && !touched.has(c.id)).map((c) => c.id);
  if (candidates.length === 0) return undefined;
  if (watcher?.watching) candidates = candidates.filter((id) => watcher.exited(id));
  else {
    const exited = await listProjectContainers(engine, project, { ids: candidates }, signal);
    const gone = new Set(exited.filter((c) => c.State !== 'running').map((c) => c.Id));
    candidates = candidates.filter((id) => gone.has(id));
  }
  const stopped: string[] = [];
  for (const id of candidates) {
    let inspect: EngineContainerInspect;
    try {
      inspect = await engine.inspectContainer(id, signal);
    } catch {
      continue; // removed meanwhile: the next run sees that
    }
    const s = inspect.State;
    if (s.Running || s.Restarting === true) continue;
    // Exit 0 is also a job that finished: a stop only when the engine reports the request (the
    // stream closed with the execution; the history waits for the `stop` that follows the `die`).
    const stop =
      s.ExitCode === 0
        ? watcher?.stopRequested(id) === true || (await stoppedOnRequest(engine, inspect, signal))
        : exitLooksLikeStop(inspect);
    if (stop) stopped.push(`${inspect.Name.replace(/^\//, '')} (exit code ${s.ExitCode})`);
  }
  if (stopped.length === 0) return undefined;
  return `container${stopped.length === 1 ? '' : 's'} ${stopped.join(', ')} stopped during this run, not by it`;
}
