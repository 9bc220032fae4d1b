/**
 * After an apply: wait for the stack to settle (`up --wait`), on the containers the engine has
 * now. (Stopping what an attached run started is `changeServiceStates` in lifecycle.ts.)
 */
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import type { Engine } from '../engine/types.js';
import { listProjectContainers, primaryName } from '../engine/observe.js';
import { completionDependencies } from '../planner/graph.js';
import { replicaNames } from '../planner/wait-conditions.js';

/**
 * Waits until every selected service is running (healthy when it has a healthcheck; run-once
 * jobs exited 0). The targets are the containers the run left (`--scale` counts, numbers that
 * need not be 1..n after a scale down); a service that wants replicas but has none is waited
 * on by its canonical names, so the wait names it.
 */
export async function waitForServices(
  engine: Engine,
  model: StackModel,
  selected: ReadonlySet<string>,
  options: { scale?: Readonly<Record<string, number>>; timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  const { ContainerWatcher } = await import('./wait.js');
  const jobs = completionDependencies(model);
  const present = await listProjectContainers(engine, model.name, { services: [...selected] }, options.signal);
  const watcher = new ContainerWatcher(engine, model.name, options.signal);
  try {
    const targets = [...selected].sort().flatMap((service) => {
      const mine = present
        .filter((c) => (c.Labels ?? {})[Label.service] === service)
        .map((c) => primaryName(c.Names) || c.Id);
      const wanted = replicaNames(model, service, options.scale);
      return (wanted.length === 0 ? [] : mine.length > 0 ? mine : wanted).map((container) => ({
        service,
        container,
        condition: jobs.has(service) ? ('service_completed_successfully' as const) : ('running_or_healthy' as const),
        required: true,
      }));
    });
    await Promise.all(targets.map((t) => watcher.waitFor(t, { timeoutMs: options.timeoutMs, signal: options.signal })));
  } finally {
    watcher.close();
  }
}
