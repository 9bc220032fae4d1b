// The stops a dead lease holder may have left with the engine (issue 20 item 15): how long the
// next run waits for them, and what a run records about its own stops.
import { describe, expect, it } from 'vitest';
import { inheritedStopsUntil } from '../../src/pipeline/engine-lease.js';
import type { LeaseHolder } from '../../src/pipeline/engine-lease.js';
import { longestStopGrace } from '../../src/pipeline/stack.js';
import type { Action } from '../../src/planner/types.js';

const NOW = 1_800_000_000_000;
const holder = (stopGrace: number, expires: number): LeaseHolder => ({
  token: 't',
  host: 'h',
  pid: 1,
  command: 'stack up',
  expires,
  stopGrace,
});

describe('inheritedStopsUntil', () => {
  it('a holder that sent no stops leaves nothing to wait for', () => {
    expect(inheritedStopsUntil(holder(0, NOW + 60_000), NOW)).toBeUndefined();
  });
  it('a holder that died just now (lease still valid): its grace and a margin from now', () => {
    expect(inheritedStopsUntil(holder(10, NOW + 40_000), NOW)).toBe(NOW + 13_000);
  });
  it('a holder whose lease expired 5 s ago: counted from the expiry', () => {
    expect(inheritedStopsUntil(holder(10, NOW - 5_000), NOW)).toBe(NOW + 8_000);
  });
  it('a holder that died long ago: its stops have landed', () => {
    expect(inheritedStopsUntil(holder(30, NOW - 3_600_000), NOW)).toBeUndefined();
  });
});

describe('longestStopGrace', () => {
  const stop = (timeoutSeconds?: number): Action => ({
    id: 1,
    kind: 'stop-container',
    resource: 'service:web:1',
    reason: { code: 'forced', detail: '' },
    dependsOn: [],
    destructive: false,
    name: 'p-web-1',
    containerId: 'x',
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  });
  it('is 0 for a plan without stops', () => {
    expect(longestStopGrace({ actions: [] })).toBe(0);
  });
  it("is the engine's 10 s for a stop without its own grace, else the longest given", () => {
    expect(longestStopGrace({ actions: [stop()] })).toBe(10);
    expect(longestStopGrace({ actions: [stop(2), stop(45), stop()] })).toBe(45);
  });
});
