/**
 * Replica slots of one service: which observed container holds each number, which are
 * duplicates or surplus, which numbers are missing. Numbers are identities, not positions:
 * after scaling down from 3 to 2 by removing an outdated replica 1, replicas 2 and 3 stay
 * as they are (Compose does the same), so a converged service needs no renumbering.
 */
import type { ObservedContainer } from './types.js';

/** A candidate for a slot, with what the ranking needs to know. */
export interface SlotCandidate {
  readonly container: ObservedContainer;
  readonly number: number;
  readonly upToDate: boolean;
  readonly canonicalName: boolean;
}

/** The outcome for one service. */
export interface SlotAssignment {
  /** One container per kept number, ascending. */
  readonly keepers: readonly SlotCandidate[];
  /** Same number as a keeper. */
  readonly duplicates: readonly SlotCandidate[];
  /** Beyond the wanted count. */
  readonly surplus: readonly SlotCandidate[];
  /** Numbers to create, ascending. */
  readonly missing: readonly number[];
}

const running = (c: ObservedContainer): boolean => c.state === 'running' || c.state === 'restarting';

function compareIds(a: ObservedContainer, b: ObservedContainer): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Best keeper first: up to date, running, already canonically named, newest; id breaks ties. */
function keeperOrder(a: SlotCandidate, b: SlotCandidate): number {
  return (
    Number(b.upToDate) - Number(a.upToDate) ||
    Number(running(b.container)) - Number(running(a.container)) ||
    Number(b.canonicalName) - Number(a.canonicalName) ||
    b.container.created - a.container.created ||
    compareIds(a.container, b.container)
  );
}

/** First to go on scale down: outdated, then stopped, then highest number. */
function surplusOrder(a: SlotCandidate, b: SlotCandidate): number {
  return (
    Number(a.upToDate) - Number(b.upToDate) ||
    Number(running(a.container)) - Number(running(b.container)) ||
    b.number - a.number
  );
}

/**
 * Resolves duplicates per number, removes the surplus beyond `wanted`, and fills the gap with
 * the lowest free numbers. `positional` keeps numbers within 1..wanted: used for services
 * another one joins with `network_mode: service:x` (or pid/ipc), which is addressed as
 * replica 1 by name.
 */
export function assignSlots(candidates: readonly SlotCandidate[], wanted: number, positional = false): SlotAssignment {
  const byNumber = new Map<number, SlotCandidate[]>();
  for (const c of candidates) byNumber.set(c.number, [...(byNumber.get(c.number) ?? []), c]);
  const kept: SlotCandidate[] = [];
  const duplicates: SlotCandidate[] = [];
  for (const number of [...byNumber.keys()].sort((a, b) => a - b)) {
    const [best, ...rest] = [...byNumber.get(number)!].sort(keeperOrder);
    kept.push(best!);
    duplicates.push(...rest);
  }
  const outOfRange = positional ? kept.filter((k) => k.number > wanted) : [];
  const ranked = kept.filter((k) => !outOfRange.includes(k)).sort(surplusOrder);
  const surplusCount = Math.max(0, ranked.length - wanted);
  const surplus = [...outOfRange, ...ranked.slice(0, surplusCount)];
  const keepers = ranked.slice(surplusCount).sort((a, b) => a.number - b.number);
  const used = new Set(keepers.map((k) => k.number));
  const missing: number[] = [];
  for (let n = 1; missing.length + keepers.length < wanted; n++) if (!used.has(n)) missing.push(n);
  return { keepers, duplicates, surplus, missing };
}
