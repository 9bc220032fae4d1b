/**
 * Attached `up` after the apply, as Compose v2 runs it: the containers of the attached services
 * are followed through the engine's event stream (a restarted or recreated container too),
 * each exit is reported with its code, and the session ends when no attached container is
 * left running, or at the first exit (or failure) when asked to abort. Decisions only; the CLI
 * prints the logs and the lines.
 *
 *   start of an attached container ─▶ onStart (follow its logs) ─▶ running set += id
 *   die (or a stop without die: a container stopped in its restart back-off)
 *       ─▶ inspect: restarting? (restart policy) ─▶ onExit(code, restarting)
 *        ─▶ abort mode and the first exit (or the first non-zero one): onAbort (the CLI stops the rest)
 *        ─▶ not restarting: running set −= id ─▶ empty? done (aborted, or all exited)
 */
import { Label } from '../labels.js';
import type { Engine, EngineContainer } from '../engine/types.js';
import { parseStatus, primaryName } from '../engine/observe.js';

/** A container of the session, as reported to the CLI. */
export interface AttachedContainer {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  /** `web-1`, as log lines are prefixed. */
  readonly prefix: string;
}

/** An exit of an attached container. */
export interface AttachedExit extends AttachedContainer {
  readonly exitCode: number;
  /** The engine restarts it (restart policy): the session goes on. */
  readonly restarting: boolean;
  /** When the engine reported it (ns since the epoch; 0 when unknown: an exit found at start). */
  readonly timeNano: number;
}

/** How the session ends. */
export interface AttachOutcome {
  /**
   * `all-exited`, `aborted` (abort mode), `interrupted` (the signal), `engine-lost` (the event
   * stream ended: dockerd died or went away).
   */
  readonly reason: 'all-exited' | 'aborted' | 'interrupted' | 'engine-lost';
  /** The exit that aborted the session (abort mode). */
  readonly trigger?: AttachedExit;
  /** Every exit seen, in order. */
  readonly exits: readonly AttachedExit[];
}

/** Options of `superviseAttached`. */
export interface AttachOptions {
  /** The services whose containers are attached (absent: every service of the project, `logs -f` by name). */
  readonly services?: ReadonlySet<string>;
  /** Only the replicas of this container number (`logs --index`). */
  readonly index?: number;
  /**
   * The session ends only at the signal (`up --watch`: a reload replaces containers, so a
   * moment with none running is not the end).
   */
  readonly untilSignal?: boolean;
  /** `exit` (--abort-on-container-exit): end at the first exit; `failure`: at the first non-zero one. */
  readonly abortOn?: 'exit' | 'failure';
  readonly signal: AbortSignal;
  /** Epoch ms when the command started: exits the event stream replays from before are ignored. */
  readonly notBeforeMs: number;
  /**
   * An attached container to follow: one of `initial` with the `since` given (unix seconds), or
   * one (re)started since, without (from its beginning, or where its last stream stopped).
   */
  readonly onStart: (container: AttachedContainer, since?: number) => void;
  readonly onExit: (exit: AttachedExit) => void;
  /** Abort mode: called once, at the exit that aborts; the session then runs until every attached container is gone. */
  readonly onAbort?: (trigger: AttachedExit) => void;
}

function describe(id: string, labels: Readonly<Record<string, string>>, name: string): AttachedContainer {
  const service = labels[Label.service] ?? '';
  const number = labels[Label.containerNumber];
  return { id, name, service, prefix: number ? `${service}-${number}` : name || id.slice(0, 12) };
}

/**
 * Follows the attached containers from `initial` (the project's containers after the apply)
 * until the session ends; resolves with how it ended.
 */
export async function superviseAttached(
  engine: Engine,
  project: string,
  initial: readonly EngineContainer[],
  since: number,
  options: AttachOptions,
): Promise<AttachOutcome> {
  const { ContainerWatcher } = await import('./wait.js');
  const watcher = new ContainerWatcher(engine, project, options.signal);
  const running = new Set<string>();
  const exits: AttachedExit[] = [];
  // One-offs and pre_start hook containers are not the service's containers.
  const attached = (labels: Readonly<Record<string, string>>): boolean =>
    labels[Label.oneoff] !== 'True' &&
    labels[Label.hook] === undefined &&
    labels[Label.service] !== undefined &&
    (options.services === undefined || options.services.has(labels[Label.service] ?? '')) &&
    (options.index === undefined || labels[Label.containerNumber] === String(options.index));
  let finish: ((outcome: AttachOutcome) => void) | undefined;
  const done = new Promise<AttachOutcome>((resolve) => (finish = resolve));
  const end = (outcome: AttachOutcome): void => {
    if (options.untilSignal && outcome.reason !== 'interrupted' && outcome.reason !== 'engine-lost') return;
    finish?.(outcome);
    finish = undefined;
  };

  // Exits already reported (the event stream replays the last second: an exit seen in the
  // initial list may come again as an event); a start clears the mark.
  const reported = new Set<string>();
  let trigger: AttachedExit | undefined;
  const onDie = async (container: AttachedContainer, code: number | undefined, timeNano = 0): Promise<void> => {
    if (reported.has(container.id)) return;
    reported.add(container.id);
    let restarting = false;
    let exitCode = code ?? 0;
    try {
      const state = (await engine.inspectContainer(container.id)).State;
      restarting = state.Restarting === true || state.Running === true;
      exitCode = code ?? state.ExitCode ?? 0;
    } catch {
      // gone (removed by a recreate or --rm): not restarting
    }
    const exit: AttachedExit = { ...container, exitCode, restarting, timeNano };
    exits.push(exit);
    options.onExit(exit);
    if (!restarting) running.delete(container.id);
    if (trigger === undefined && (options.abortOn === 'exit' || (options.abortOn === 'failure' && code !== 0))) {
      trigger = exit;
      options.onAbort?.(exit);
    }
    if (running.size === 0) end(trigger ? { reason: 'aborted', trigger, exits } : { reason: 'all-exited', exits });
  };

  const unsubscribe = watcher.subscribe((event) => {
    if (event.Type === 'stack' && event.Action === 'stream-ended') {
      if (!options.signal.aborted) end({ reason: 'engine-lost', exits });
      return;
    }
    const labels = event.Actor.Attributes;
    if (!attached(labels)) return;
    const container = describe(event.Actor.ID, labels, labels['name'] ?? '');
    if (event.Action === 'start') {
      reported.delete(container.id);
      running.add(container.id);
      options.onStart(container);
    } else if ((event.Action === 'die' || event.Action === 'stop') && event.timeNano >= options.notBeforeMs * 1e6) {
      // (The stream replays the last second: a die from before this command is not its exit.)
      // A stop comes with a die (either first), except for a container stopped while waiting to
      // restart: then it is the only sign it is gone. The die carries the exit code.
      if (event.Action === 'die' || running.has(container.id))
        void onDie(container, event.Action === 'die' ? Number(labels['exitCode'] ?? '0') : undefined, event.timeNano);
    }
  });
  const onAbort = (): void => end({ reason: 'interrupted', exits });
  const pending: Promise<void>[] = [];
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await watcher.open();
    for (const c of initial) {
      const labels = c.Labels ?? {};
      if (!attached(labels)) continue;
      const container = describe(c.Id, labels, primaryName(c.Names));
      options.onStart(container, since);
      if (c.State === 'running' || c.State === 'restarting') running.add(c.Id);
      // Started by this run and already gone (a job, a crash): its exit is part of the session.
      else if (c.State === 'exited') pending.push(onDie(container, parseStatus(c.Status).exitCode ?? 0));
    }
    await Promise.all(pending);
    if (options.signal.aborted) onAbort();
    else if (running.size === 0) end(trigger ? { reason: 'aborted', trigger, exits } : { reason: 'all-exited', exits });
    return await done;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    unsubscribe();
    watcher.close();
  }
}
