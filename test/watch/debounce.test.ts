import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../src/watch/debounce.js';
import { FakeClock } from './fake-clock.js';

/** A run whose end the test controls, recording what it saw. */
function recorder(clock: FakeClock, runMs: number) {
  const runs: { batch: readonly number[]; sawState: number; startedAt: number }[] = [];
  let state = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const run = async (batch: readonly number[]): Promise<void> => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    // Level-triggered: the run reads the current state, not the batch.
    runs.push({ batch, sawState: state, startedAt: clock.now() });
    await new Promise<void>((resolve) => clock.setTimeout(resolve, runMs));
    concurrent--;
  };
  return {
    runs,
    run,
    setState: (value: number) => (state = value),
    get maxConcurrent() {
      return maxConcurrent;
    },
  };
}

describe('coalescer', () => {
  it('100 rapid triggers cause one run after the quiet period and the last state wins', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 200, run: rec.run });
    for (let i = 1; i <= 100; i++) {
      rec.setState(i);
      c.trigger(i);
      await clock.advance(20);
    }
    await clock.advance(1000);
    expect(rec.runs).toHaveLength(1);
    expect(rec.runs[0]!.sawState).toBe(100);
    expect(rec.runs[0]!.batch).toHaveLength(100);
  });

  it('a quiet period the blocked event loop did not observe does not end a burst', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 100, run: rec.run });
    for (let i = 1; i <= 100; i++) {
      rec.setState(i);
      c.trigger(i);
      // Twice the loop is blocked for 150 ms: the quiet timer comes due meanwhile, and the
      // triggers of that time are delivered just after it (here 10 ms later).
      if (i === 30 || i === 60) {
        clock.stall(150);
        await clock.advance(0);
        await clock.advance(10);
      } else await clock.advance(20);
    }
    await clock.advance(1000);
    expect(rec.runs).toHaveLength(1);
    expect(rec.runs[0]!.sawState).toBe(100);
  });

  it('100 triggers over 2 s with a max wait and slow runs cause at most 2 runs, one at a time, last state wins', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 700);
    const c = createCoalescer<number>({ clock, quietMs: 200, maxWaitMs: 1000, run: rec.run });
    for (let i = 1; i <= 100; i++) {
      rec.setState(i);
      c.trigger(i);
      await clock.advance(20);
    }
    await clock.advance(5000);
    await c.idle();
    expect(rec.runs.length).toBeLessThanOrEqual(2);
    expect(rec.maxConcurrent).toBe(1);
    expect(rec.runs.at(-1)!.sawState).toBe(100);
    expect(rec.runs.flatMap((r) => r.batch)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('triggers during a run become exactly one queued rerun, not one run each', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 1000);
    const c = createCoalescer<number>({ clock, quietMs: 100, run: rec.run });
    c.trigger(0);
    await clock.advance(150); // run 1 in flight until t=1100
    for (let i = 1; i <= 30; i++) {
      rec.setState(i);
      c.trigger(i);
      await clock.advance(10);
    }
    expect(rec.runs).toHaveLength(1);
    await clock.advance(2000);
    expect(rec.runs).toHaveLength(2);
    expect(rec.runs[1]!.sawState).toBe(30);
    // the rerun starts as soon as run 1 ends: its quiet period has already passed
    expect(rec.runs[1]!.startedAt).toBe(1100);
  });

  it('a long stream still runs by the max wait', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 10);
    const c = createCoalescer<number>({ clock, quietMs: 200, maxWaitMs: 500, run: rec.run });
    for (let i = 0; i < 60; i++) {
      c.trigger(i);
      await clock.advance(50);
    }
    expect(rec.runs.length).toBeGreaterThanOrEqual(5);
    expect(rec.runs[0]!.startedAt).toBe(500);
  });

  it('a failing run is reported and the next batch still runs', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let calls = 0;
    const c = createCoalescer<number>({
      clock,
      quietMs: 10,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    c.trigger(1);
    await clock.advance(20);
    c.trigger(2);
    await clock.advance(20);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('close drops the pending batch and idle resolves', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 10);
    const c = createCoalescer<number>({ clock, quietMs: 100, run: rec.run });
    c.trigger(1);
    c.close();
    await c.idle();
    await clock.advance(500);
    expect(rec.runs).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leading: the first trigger after a quiet period runs at once, not after the quiet period', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 200, leading: true, run: rec.run });
    await clock.advance(1000);
    c.trigger(1);
    await clock.advance(0);
    expect(rec.runs.map((r) => r.startedAt)).toEqual([1000]);
    await clock.advance(1000);
    expect(rec.runs).toHaveLength(1);
  });

  it('leading: the rest of a burst is coalesced into one rerun after the quiet period, and the last state wins', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 200, leading: true, run: rec.run });
    for (let i = 1; i <= 100; i++) {
      rec.setState(i);
      c.trigger(i);
      await clock.advance(20);
    }
    await clock.advance(1000);
    await c.idle();
    expect(rec.runs).toHaveLength(2);
    expect(rec.runs[0]!.batch).toEqual([1]);
    expect(rec.runs[1]!.sawState).toBe(100);
    expect(rec.maxConcurrent).toBe(1);
  });

  it('leading: a trigger within the quiet period after a run waits for the quiet period', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 200, leading: true, run: rec.run });
    c.trigger(1);
    await clock.advance(100); // the run took 50 ms and ended 50 ms ago
    c.trigger(2);
    await clock.advance(100);
    expect(rec.runs).toHaveLength(1);
    await clock.advance(200);
    expect(rec.runs.map((r) => r.startedAt)).toEqual([0, 300]);
  });

  it('leading with confirm: a burst whose repeats were dropped still ends with a run that sees the last state', async () => {
    // chokidar reports the first write of a save and drops the rest (its 50 ms throttle): one
    // trigger, while the file is still being written.
    const clock = new FakeClock();
    const rec = recorder(clock, 50);
    const c = createCoalescer<number>({ clock, quietMs: 200, leading: true, confirm: (n) => -n, run: rec.run });
    rec.setState(1);
    c.trigger(1);
    await clock.advance(10);
    rec.setState(2); // the rest of the save, no trigger
    await clock.advance(1000);
    await c.idle();
    expect(rec.runs.map((r) => [r.batch, r.sawState, r.startedAt])).toEqual([
      [[1], 1, 0],
      [[-1], 2, 250],
    ]);
    // The confirmation is not confirmed again: the coalescer goes quiet.
    await clock.advance(1000);
    expect(rec.runs).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });
});
