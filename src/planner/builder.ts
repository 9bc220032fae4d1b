/**
 * Accumulates actions with sequential ids. Dependencies are normalised here (sorted, unique,
 * only earlier ids) so every planner function can pass whatever ids it collected.
 */
import type { Action, Plan } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * An action before it has an id; `dependsOn` may contain undefined (nothing to wait for) and
 * `destructive` defaults to false.
 */
export type NewAction = DistributiveOmit<Action, 'id' | 'dependsOn' | 'destructive'> & {
  readonly dependsOn?: readonly (number | undefined)[];
  readonly destructive?: boolean;
};

/** Collects actions, notes and orphans into a Plan. */
export class PlanBuilder {
  private readonly actions: Action[] = [];
  private readonly notes: string[] = [];
  private readonly orphans = new Set<string>();

  constructor(private readonly project: string) {}

  /** Appends an action and returns its id. */
  add(action: NewAction): number {
    const id = this.actions.length + 1;
    const deps = [...new Set((action.dependsOn ?? []).filter((d): d is number => d !== undefined && d < id))].sort(
      (a, b) => a - b,
    );
    this.actions.push({ ...action, id, dependsOn: deps, destructive: action.destructive ?? false });
    return id;
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  orphan(ref: string): void {
    this.orphans.add(ref);
  }

  build(): Plan {
    return {
      version: 1,
      project: this.project,
      actions: [...this.actions],
      notes: [...this.notes],
      orphans: [...this.orphans].sort(),
    };
  }
}
