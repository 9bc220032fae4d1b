/**
 * `stack run` as a library operation: the service's dependencies through `upStack` (the
 * one-off's own service left out of the plan), its depends_on conditions waited for, then its
 * one-off container created from the planner's desired body.
 *
 *   upStack(services: [service] minus service, images of service too) → wait conditions → create
 *
 * Attaching, starting and waiting for the exit are the caller's (the CLI owns the terminal).
 */
import type { ServiceSpec, StackModel } from '../model.js';
import { stopGraceSeconds } from '../model.js';
import type { Duplex } from 'node:stream';
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
export async function prepareOneOff(
  engine: Engine,
  model: StackModel,
  options: OneOffStackOptions,
  hooks: OperationHooks,
): Promise<PreparedOneOff> {
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
  for (const [network, endpoint] of Object.entries(desired.connect))
    await engine.connectNetwork(network, id, endpoint, hooks.signal);
  return { id, name: desired.name };
}

async function waitForDependencies(
  engine: Engine,
  model: StackModel,
  conditions: readonly WaitCondition[],
  hooks: OperationHooks,
): Promise<void> {
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

/** A created one-off, attached: the terminal side pipes `socket`; the rest are engine calls. */
export interface OneOffSession {
  /** Hijacked connection: write stdin, read output (multiplexed unless tty). */
  readonly socket: Duplex;
  /** The exit code, once the container exits (the wait was registered before the start). */
  readonly exitCode: Promise<number>;
  start(signal?: AbortSignal): Promise<void>;
  /** Follows the terminal size; a failure is ignored (the container may have ended). */
  resize(rows: number, columns: number): void;
  /** Stops the container with the service's grace period (Ctrl-C), then removes it with `--rm`. */
  stop(): Promise<void>;
  /** Removes the container if `--rm` asked for it; never fails. */
  cleanup(): Promise<void>;
}

/**
 * attach → register the exit wait, so an exit right after the start is never missed. A one-off
 * that cannot even be attached is removed (nothing left behind).
 */
export async function attachOneOff(
  engine: Engine,
  id: string,
  options: { interactive: boolean; autoRemove: boolean; service?: Pick<ServiceSpec, 'stopGracePeriod'> },
): Promise<OneOffSession> {
  let socket: Duplex;
  let wait: { readonly exitCode: Promise<number> };
  try {
    socket = await engine.attachContainer(id, { stdin: options.interactive });
    wait = await engine.waitContainer(id, 'next-exit');
  } catch (error) {
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
    throw error;
  }
  const cleanup = async (): Promise<void> => {
    if (options.autoRemove) await engine.removeContainer(id, { force: true }).catch(() => undefined);
  };
  return {
    socket,
    exitCode: wait.exitCode,
    start: (signal) => engine.startContainer(id, signal),
    resize: (rows, columns) => void engine.resizeContainer(id, rows, columns).catch(() => undefined),
    stop: async () => {
      await engine.stopContainer(id, stopGraceSeconds(options.service)).catch(() => undefined);
      await cleanup();
    },
    cleanup,
  };
}

/** `run -d`: starts the one-off and leaves it running. */
export function startOneOff(engine: Engine, id: string, signal?: AbortSignal): Promise<void> {
  return engine.startContainer(id, signal);
}
