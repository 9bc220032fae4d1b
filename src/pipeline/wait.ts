/**
 * Waiting for depends_on conditions and `--wait`, driven by the engine's event stream: one
 * GET /events per run (project label, since the moment we subscribed), each relevant event
 * triggers a re-inspect of the container and the condition is judged on that state
 * (level-triggered: an event only says "look again"). No polling.
 */
import { StackError, displayValue } from '../errors.js';
import { Label } from '../labels.js';
import type { DependencyCondition } from '../model.js';
import type { WaitCondition } from '../planner/types.js';
import type { Engine, EngineContainerInspect, EngineEvent } from '../engine/types.js';
import { statusOf } from '../engine/errors.js';

/** What to wait for: a depends_on condition, or (for `--wait`) healthy when checked, else running. */
export type WaitKind = DependencyCondition | 'running_or_healthy';

/** One container to wait on. */
export interface WaitTarget {
  readonly service: string;
  readonly container: string;
  readonly condition: WaitKind;
  readonly required: boolean;
}

/** Options of a wait. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** A `required: false` dependency that failed: reported, not fatal. */
  readonly onWarning?: (message: string) => void;
  /**
   * Given by a run that plans again when a dependency stops (the reconcile loop): the containers
   * the run itself starts. A waited-for container not among them was running when the run
   * observed it, so an exit with a stop's exit code during the wait counts as a stop by someone
   * else (presumed) even when the engine no longer reports the request. Absent (`start`, `run`):
   * only a stop request the engine reports counts.
   */
  readonly startedByRun?: ReadonlySet<string>;
}

type Verdict =
  | { readonly done: true }
  | { readonly done: false }
  | { readonly failed: string; readonly exitCode?: number; readonly detail?: string };

/** "last health check (exit 1): wget: can't connect", the probe's output on one line, bounded. */
function lastHealthCheck(c: EngineContainerInspect): string | undefined {
  const last = c.State.Health?.Log?.at(-1);
  if (!last) return undefined;
  const output = last.Output.trim().replace(/\s*\n\s*/g, ' | ');
  const shown = output.length > 300 ? `${output.slice(0, 300)}…` : output;
  return `last health check (exit ${last.ExitCode}): ${shown || '(no output)'}`;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Judges one condition on an inspected container. Exported for unit tests. */
export function judge(kind: WaitKind, c: EngineContainerInspect): Verdict {
  const s = c.State;
  const exited = s.Status === 'exited' || s.Status === 'dead';
  const health = s.Health?.Status;
  switch (kind) {
    case 'service_started':
      return s.Running || s.StartedAt !== ZERO_TIME ? { done: true } : { done: false };
    case 'service_completed_successfully':
      if (!exited) return { done: false };
      return s.ExitCode === 0 ? { done: true } : { failed: `exited with code ${s.ExitCode}`, exitCode: s.ExitCode };
    case 'service_healthy':
    case 'running_or_healthy':
      if (exited) return { failed: `exited with code ${s.ExitCode}`, exitCode: s.ExitCode };
      if (health === 'healthy') return { done: true };
      if (health === 'unhealthy') {
        const detail = lastHealthCheck(c);
        return { failed: 'is unhealthy', ...(detail ? { detail } : {}) };
      }
      if (health === undefined || health === 'none') {
        if (kind === 'service_healthy') return { failed: 'has no healthcheck (service_healthy needs one)' };
        return s.Running ? { done: true } : { done: false };
      }
      return { done: false };
  }
}

function describe(kind: WaitKind): string {
  switch (kind) {
    case 'service_started':
      return 'to start';
    case 'service_healthy':
      return 'to be healthy';
    case 'service_completed_successfully':
      return 'to complete successfully';
    case 'running_or_healthy':
      return 'to be running (healthy when it has a healthcheck)';
  }
}

/** The last `n` lines a container wrote (stdout and stderr), for failure messages. */
export async function lastLogLines(engine: Engine, container: string, n = 10, signal?: AbortSignal): Promise<string[]> {
  try {
    const inspect = await engine.inspectContainer(container, signal);
    const chunks: Buffer[] = [];
    for await (const chunk of engine.containerLogs(container, {
      tail: n,
      tty: inspect.Config.Tty === true,
      ...(signal ? { signal } : {}),
    }))
      chunks.push(chunk.data);
    return Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .slice(-n);
  } catch {
    return [];
  }
}

/** DEPENDENCY_FAILED, carrying the dependency's service and exit code (when it exited). */
export class DependencyFailedError extends StackError {
  constructor(
    message: string,
    readonly service: string,
    readonly dependencyExitCode: number | undefined,
  ) {
    super('DEPENDENCY_FAILED', message);
    this.name = 'DependencyFailedError';
  }
}

/** How a stop of a dependency is known: the engine reports the request, or its exit code is a stop's. */
export type StopEvidence = 'requested' | 'presumed';

/**
 * A dependency that exited because someone asked the engine to stop or kill it (an earlier run
 * of stack whose last stop the engine carried out after the client died, a killed `stack stop`,
 * a user): not a failure of the service. The loop observes and plans again (level-triggered).
 */
export class DependencyStoppedError extends DependencyFailedError {
  readonly stoppedOnRequest = true;
  constructor(service: string, container: string, exitCode: number | undefined, evidence: StopEvidence) {
    super(
      evidence === 'requested'
        ? `service "${service}" was stopped during this run by a stop request, ` +
            `not by a failure of its own (container ${container})`
        : `service "${service}" stopped during this run with a stop's exit code ${exitCode ?? '?'}, ` +
            `and this run did not stop it (container ${container})`,
      service,
      exitCode,
    );
    this.name = 'DependencyStoppedError';
  }
}

/**
 * Whether an exited container was stopped on request: the engine logged a `kill` or `stop`
 * event for it between its start and its exit (a crash or a clean exit of its own logs only
 * `die`). Read from the engine's event history, a ring of 256 events on Engine 20.10 that a busy
 * engine refills in seconds: a yes is certain, a no is not. Unknown counts as no.
 */
export async function stoppedOnRequest(
  engine: Engine,
  c: EngineContainerInspect,
  signal?: AbortSignal,
): Promise<boolean> {
  const started = Date.parse(c.State.StartedAt);
  const finished = Date.parse(c.State.FinishedAt);
  if (!Number.isFinite(started) || !Number.isFinite(finished) || c.State.StartedAt === ZERO_TIME) return false;
  try {
    // `until` a second past the exit: the `stop` event follows the `die`, and the engine keeps the
    // stream open until then.
    const events = engine.events({
      since: Math.floor(started / 1000),
      until: Math.floor(finished / 1000) + 1,
      filters: { type: ['container'], container: [c.Id], event: ['kill', 'stop'] },
      ...(signal ? { signal } : {}),
    });
    for await (const event of events) if (event.Action === 'kill' || event.Action === 'stop') return true;
  } catch {
    // no history: judged as an exit of its own
  }
  return false;
}

/** Signal numbers of the stop signals images set (`STOPSIGNAL`, `stop_signal`). */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGWINCH: 28,
};

/**
 * Whether an exit is what a stop leaves: 0 (the program ended on its stop signal), 128 + the
 * container's stop signal (it died of it), or 137 (the SIGKILL at the end of the grace period,
 * not the OOM killer's). A crash exits otherwise (1, 2, 139 ...). Exported for unit tests.
 */
export function exitLooksLikeStop(c: EngineContainerInspect): boolean {
  const code = c.State.ExitCode;
  if (code === 0) return true;
  if (code === 137) return c.State.OOMKilled !== true;
  const named = c.Config['StopSignal'];
  const name = typeof named === 'string' && named !== '' ? named.toUpperCase() : 'SIGTERM';
  const number = /^\d+$/.test(name) ? Number(name) : SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`];
  return number !== undefined && code === 128 + number;
}

type Listener = (event: EngineEvent) => void;

/**
 * One engine event subscription for a project, shared by every waiter of a run. `close()`
 * ends the stream; it also ends when the parent signal aborts.
 */
export class ContainerWatcher {
  private readonly listeners = new Set<Listener>();
  private readonly controller = new AbortController();
  /** Containers (IDs) the engine reported a `kill` or `stop` for while the stream was open. */
  private readonly stopRequests = new Set<string>();
  /** Containers (IDs) the engine reported a `die` of while the stream was open. */
  private readonly exits = new Set<string>();
  private opened: Promise<void> | undefined;
  private failure: unknown;
  private ended = false;

  constructor(
    private readonly engine: Engine,
    private readonly project: string,
    signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Opens the stream once; resolves when it is connected (events from then on are seen). */
  open(): Promise<void> {
    this.opened ??= new Promise<void>((resolve) => {
      // `since` one second back: the stream replays what happened while it connected (a
      // duplicate only causes one more inspect).
      const since = Math.floor(Date.now() / 1000) - 1;
      const stream = this.engine.events({
        since,
        filters: { type: ['container'], label: [`${Label.project}=${this.project}`] },
        signal: this.controller.signal,
      });
      const iterator = stream[Symbol.asyncIterator]();
      const pump = async (): Promise<void> => {
        const first = iterator.next();
        resolve();
        let next = await first;
        while (!next.done) {
          const event = next.value;
          if (event.Action === 'kill' || event.Action === 'stop') this.stopRequests.add(event.Actor.ID);
          if (event.Action === 'die') this.exits.add(event.Actor.ID);
          for (const listener of [...this.listeners]) listener(event);
          next = await iterator.next();
        }
      };
      // When the stream ends (closed, aborted or failed) every waiter still pending is told.
      pump()
        .catch((error: unknown) => {
          this.failure = error;
        })
        .finally(() => {
          this.ended = true;
          for (const listener of [...this.listeners])
            listener({
              Type: 'stack',
              Action: 'stream-ended',
              Actor: { ID: '', Attributes: {} },
              time: 0,
              timeNano: 0,
            });
        });
    });
    return this.opened;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether the engine reported a stop or kill request for the container (by ID) while the stream
   * was open (and the second it replays): live, so unlike the event history it is never lost.
   */
  stopRequested(id: string): boolean {
    return this.stopRequests.has(id);
  }

  /** Whether the stream is (or was) open: then `exited` saw every exit since. */
  get watching(): boolean {
    return this.opened !== undefined;
  }

  /** Whether the engine reported the container (by ID) exiting while the stream was open. */
  exited(id: string): boolean {
    return this.exits.has(id);
  }

  /**
   * Why a dependency that exited with `exitCode` while waited for did not fail, if it did not:
   * a stop request the engine reported (live on this stream, or in its history), or, when the
   * run did not start it (`startedByRun`), an exit a stop leaves. Undefined: its own exit.
   */
  private async stopEvidence(
    c: EngineContainerInspect,
    target: WaitTarget,
    options: WaitOptions,
  ): Promise<StopEvidence | undefined> {
    if (this.stopRequested(c.Id)) return 'requested';
    if (await stoppedOnRequest(this.engine, c, options.signal)) return 'requested';
    // The history query waits until a second past the exit: the live `stop` may have come meanwhile.
    if (this.stopRequested(c.Id)) return 'requested';
    if (options.startedByRun && !options.startedByRun.has(target.container) && exitLooksLikeStop(c)) return 'presumed';
    return undefined;
  }

  get streamError(): unknown {
    return this.failure;
  }

  close(): void {
    this.controller.abort();
  }

  /**
   * Waits until `target` holds. Rejects with WAIT_TIMEOUT (naming the service) or
   * DEPENDENCY_FAILED (exit code and last log lines); a `required: false` target that fails
   * resolves after `onWarning`.
   */
  async waitFor(target: WaitTarget, options: WaitOptions): Promise<void> {
    await this.open();
    const { engine } = this;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let checking = false;
      let again = false;
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(displayValue(error)));
      };
      const fail = async (why: string, exitCode?: number, detail?: string): Promise<void> => {
        const message =
          `service "${target.service}" ${why} (container ${target.container})` + (detail ? `\n${detail}` : '');
        if (!target.required) {
          options.onWarning?.(`${message}; continuing because the dependency is not required`);
          finish();
          return;
        }
        const lines = await lastLogLines(engine, target.container);
        const tail =
          lines.length > 0 ? `\nlast log lines of ${target.container}:\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
        finish(new DependencyFailedError(`${message}${tail}`, target.service, exitCode));
      };
      const check = async (): Promise<void> => {
        if (settled) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            let inspect: EngineContainerInspect;
            try {
              inspect = await engine.inspectContainer(target.container, options.signal);
            } catch (error) {
              if (statusOf(error) === 404) {
                await fail('has no container');
                return;
              }
              throw error;
            }
            const verdict = judge(target.condition, inspect);
            if ('failed' in verdict) {
              // A dependency stopped by someone else (a late stop of a killed run) did not fail.
              const evidence =
                verdict.exitCode !== undefined && target.condition !== 'service_completed_successfully'
                  ? await this.stopEvidence(inspect, target, options)
                  : undefined;
              if (evidence !== undefined) {
                finish(new DependencyStoppedError(target.service, target.container, verdict.exitCode, evidence));
                return;
              }
              await fail(verdict.failed, verdict.exitCode, verdict.detail);
              return;
            }
            if (verdict.done) {
              finish();
              return;
            }
          } while (again && !settled);
        } catch (error) {
          finish(error);
        } finally {
          checking = false;
        }
      };
      const unsubscribe = this.subscribe((event) => {
        if (event.Type === 'stack') {
          finish(this.failure ?? new StackError('INTERRUPTED', 'the engine event stream ended'));
          return;
        }
        const name = event.Actor.Attributes['name'];
        if (name === target.container || event.Actor.ID === target.container) void check();
      });
      const onAbort = (): void => finish(options.signal?.reason ?? new StackError('INTERRUPTED', 'interrupted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        const seconds = Math.round(options.timeoutMs / 1000);
        finish(
          new StackError(
            'WAIT_TIMEOUT',
            `timed out after ${seconds}s waiting for service "${target.service}" ` +
              `${describe(target.condition)} (container ${target.container})`,
          ),
        );
      }, options.timeoutMs);
      if (this.ended) finish(this.failure ?? new StackError('INTERRUPTED', 'the engine event stream ended'));
      else void check();
    });
  }
}

/** Waits for every condition of a start action (all at once); the first failure rejects. */
export async function waitForConditions(
  watcher: ContainerWatcher,
  conditions: readonly WaitCondition[],
  options: WaitOptions,
): Promise<void> {
  await Promise.all(conditions.map((c) => watcher.waitFor(c, options)));
}
