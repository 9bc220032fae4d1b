/**
 * Coalescing of bursts: triggers collect into one batch that runs after a quiet period; one
 * run at a time; triggers that arrive while a run is in flight become at most one queued
 * rerun (the next batch), never a queue of runs. The clock is injected so tests drive time.
 * With `leading`, the first trigger after a quiet period runs at once (a save is applied
 * without waiting), and the rest of its burst is coalesced into one rerun as above: runs are
 * level-triggered, so the rerun converges whatever the first one saw half-written. A burst
 * can also end without a trigger after the first (chokidar drops repeats inside its 50 ms
 * throttle): `confirm` then turns the leading batch into a confirmation batch that runs a
 * quiet period later, so the last state of the files is applied in every case.
 *
 *   trigger ──▶ pending batch ──(quiet ms, or max wait)──▶ run(batch) ──▶ idle
 *                    ▲                                         │
 *                    └── triggers during the run ──────────────┘ (one rerun when it ends)
 */

/** The timer functions the coalescer uses; `systemClock` in production, a fake in tests. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** Options of `createCoalescer`. */
export interface CoalescerOptions<T> {
  readonly clock: Clock;
  /** Quiet period: a batch runs this long after its last trigger. */
  readonly quietMs: number;
  /**
   * Run the first trigger of a burst at once instead of after the quiet period (for the
   * triggers this accepts, when a function). Default false.
   */
  readonly leading?: boolean | ((item: T) => boolean);
  /**
   * With `leading`: the items of a leading batch to run again a quiet period later (the run
   * can tell them apart and skip what did not change meanwhile); undefined: none.
   */
  readonly confirm?: (item: T) => T | undefined;
  /** Upper bound from a batch's first trigger to its run, so a file written non-stop still applies. 0 = none. */
  readonly maxWaitMs?: number;
  /** Runs one batch (the triggers in arrival order). Never called concurrently. */
  readonly run: (batch: readonly T[]) => Promise<void>;
  /** A rejected run lands here; the coalescer keeps going. */
  readonly onError?: (error: unknown) => void;
}

/** A running coalescer. */
export interface Coalescer<T> {
  /** Adds a change to the pending batch and (re)arms the quiet timer. */
  trigger(item: T): void;
  /** Resolves when nothing is pending or running. */
  idle(): Promise<void>;
  /** Drops the pending batch and stops arming timers; an in-flight run finishes. */
  close(): void;
  /** True while a run is in flight. */
  readonly running: boolean;
}

/** Creates a coalescer: at most one run in flight and at most one batch waiting behind it. */
export function createCoalescer<T>(options: CoalescerOptions<T>): Coalescer<T> {
  const { clock, quietMs } = options;
  const maxWaitMs = options.maxWaitMs ?? 0;
  let pending: T[] = [];
  let firstAt = 0;
  let lastAt = Number.NEGATIVE_INFINITY;
  // When the last run ended: a trigger within the quiet period after it belongs to the same burst.
  let ranAt = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let running = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  const settle = (): void => {
    if (running || pending.length > 0) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };

  const disarm = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  // When the pending batch is due: quiet period after the last trigger, capped by max wait.
  const arm = (): void => {
    disarm();
    if (closed || running || pending.length === 0) return;
    const now = clock.now();
    let due = lastAt + quietMs;
    if (maxWaitMs > 0) due = Math.min(due, firstAt + maxWaitMs);
    const fireAt = Math.max(now, due);
    timer = clock.setTimeout(() => {
      // Late by more than a fifth of the quiet period: the event loop was blocked, and the
      // triggers of that time are queued behind this timer (file events, and the stat chokidar
      // makes before emitting one). The quiet period was not observed: wait half of it again.
      if (clock.now() - fireAt > quietMs / 5) timer = clock.setTimeout(() => fire(), quietMs / 2);
      else fire();
    }, fireAt - now);
  };

  const fire = (leading = false): void => {
    timer = undefined;
    if (closed || running || pending.length === 0) return;
    const batch = pending;
    pending = [];
    running = true;
    void options
      .run(batch)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = false;
        ranAt = clock.now();
        if (leading && options.confirm && !closed) {
          const again = batch.flatMap((item) => {
            const next = options.confirm?.(item);
            return next === undefined ? [] : [next];
          });
          if (pending.length === 0 && again.length > 0) firstAt = ranAt;
          lastAt = Math.max(lastAt, ranAt);
          pending.push(...again);
        }
        // Triggers that came in during the run form the one queued rerun.
        if (pending.length > 0 && !closed) arm();
        settle();
      });
  };

  return {
    trigger(item: T): void {
      if (closed) return;
      const now = clock.now();
      const quiet = pending.length === 0 && !running && now - Math.max(lastAt, ranAt) >= quietMs;
      if (pending.length === 0) firstAt = now;
      lastAt = now;
      pending.push(item);
      if (running) return;
      const leading = typeof options.leading === 'function' ? options.leading(item) : options.leading === true;
      if (leading && quiet) {
        disarm();
        timer = clock.setTimeout(() => fire(true), 0);
      } else arm();
    },
    idle(): Promise<void> {
      if (!running && pending.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    close(): void {
      closed = true;
      disarm();
      pending = [];
      settle();
    },
    get running(): boolean {
      return running;
    },
  };
}
