/**
 * `stack run` as a library operation: the service's dependencies through `upStack` (the
 * one-off's own service left out of the plan), its depends_on conditions waited for, then its
 * one-off container created from the planner's desired body.
 *
 *   upStack(services: [service] minus service, images of service too) → wait conditions → create
 *
 * Attaching, starting and waiting for the exit are the caller's (the CLI owns the terminal).
 */
import type { StackModel } from '../model.js';
import type { Engine } from '../engine/types.js';
import type { OneOffOptions } from '../planner/one-off.js';
import type { WaitCondition } from '../planner/types.js';
import type { ImageOptions, OperationHooks } from './stack.js';
import { upStack } from './stack.js';

/** Options of `prepareOneOff`. */
export interface OneOffStackOptions {
  readonly oneOff: OneOffOptions;
  /** `--no-deps`: leave the dependencies as they are (networks and volumes are still created). */
  readonly noDeps?: boolean;
  readonly removeOrphans?: boolean;
  readonly images?: ImageOptions;
}

/** The created (not started) one-off container. */
export interface PreparedOneOff {
  readonly id: string;
  readonly name: string;
}

/** Dependencies up and waited for, then the one-off created; see the file comment. */
export async function prepareOneOff(engine: Engine, model: StackModel, options: OneOffStackOptions, hooks: OperationHooks): Promise<PreparedOneOff> {
  const service = options.oneOff.service;
  const result = await upStack(
    engine,
    model,
    {
      plan: {
        services: [service],
        exclude: [service],
        allowDestructive: true,
        ...(options.noDeps ? { noDeps: true } : {}),
        ...(options.removeOrphans ? { removeOrphans: true } : {}),
      },
      ...(options.images ? { images: options.images } : {}),
    },
    hooks,
  );
  const pinned = result.model ?? model;
  const { desiredOneOff, oneOffWaits } = await import('../planner/one-off.js');
  if (!options.noDeps) await waitForDependencies(engine, pinned, oneOffWaits(pinned, service), hooks);
  const desired = desiredOneOff(pinned, undefined, options.oneOff);
  const id = await engine.createContainer(desired.name, desired.body, hooks.signal);
  for (const [network, endpoint] of Object.entries(desired.connect)) await engine.connectNetwork(network, id, endpoint, hooks.signal);
  return { id, name: desired.name };
}

async function waitForDependencies(engine: Engine, model: StackModel, conditions: readonly WaitCondition[], hooks: OperationHooks): Promise<void> {
  if (conditions.length === 0) return;
  const { ContainerWatcher, waitForConditions } = await import('./wait.js');
  const watcher = new ContainerWatcher(engine, model.name, hooks.signal);
  try {
    await waitForConditions(watcher, conditions, {
      timeoutMs: hooks.waitTimeoutMs ?? 300_000,
      signal: hooks.signal,
      ...(hooks.onWarning ? { onWarning: hooks.onWarning } : {}),
    });
  } finally {
    watcher.close();
  }
}
