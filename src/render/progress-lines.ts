/**
 * What the tty and plain renderers show: one line per action, except where a target shows a
 * chain of actions as one line, as Compose does. A recreate (create under a temporary name,
 * stop, remove, rename) is one `Container demo-web-1  Recreated` line; its start stays its own.
 * `--progress json` keeps one event per action (its schema is per action).
 */
import type { ActionEvent, ActionLike } from '../pipeline/reconcile.js';

/** One line of progress: the actions it stands for, and its words. */
export interface ProgressLine<A extends ActionLike> {
  readonly members: readonly A[];
  readonly subject: string;
  /** In progress ("Recreate", "Waiting for db (healthy)") or done ("Recreated"). */
  verb(done: boolean): string;
  /** Plain mode prints its start too: a wait that can be long (health, completion), so a CI log says why it pauses. */
  readonly announce?: boolean;
}

/** What happened to a line: the first member started, all are done, one failed, or it was skipped. */
export interface LineEvent<A extends ActionLike> {
  readonly type: 'start' | 'done' | 'failed' | 'skipped';
  readonly line: ProgressLine<A>;
  /** The members' time added up (they run one after another). */
  readonly ms: number;
  readonly error?: Error;
}

interface LineState<A extends ActionLike> {
  readonly line: ProgressLine<A>;
  started: boolean;
  settled: boolean;
  done: number;
  ms: number;
}

/** Turns action events into line events: one start, then one of done, failed or skipped. */
export class LineTracker<A extends ActionLike> {
  private readonly byAction = new Map<number, LineState<A>>();

  constructor(readonly lines: readonly ProgressLine<A>[]) {
    for (const line of lines) {
      const state: LineState<A> = { line, started: false, settled: false, done: 0, ms: 0 };
      for (const member of line.members) this.byAction.set(member.id, state);
    }
  }

  onEvent(event: ActionEvent<A>): LineEvent<A> | undefined {
    const state = this.byAction.get(event.action.id);
    if (!state || state.settled) return undefined;
    const { line } = state;
    switch (event.type) {
      case 'action-start':
        if (state.started) return undefined;
        state.started = true;
        return { type: 'start', line, ms: 0 };
      case 'action-done':
        state.done += 1;
        state.ms += event.ms;
        if (state.done < line.members.length) return undefined;
        state.settled = true;
        return { type: 'done', line, ms: state.ms };
      case 'action-failed':
        state.settled = true;
        return { type: 'failed', line, ms: state.ms + event.ms, ...(event.error ? { error: event.error } : {}) };
      case 'action-skipped':
        state.settled = true;
        return { type: 'skipped', line, ms: 0 };
    }
  }
}

/** One line per action, named by the target's words. */
export function linePerAction<A extends ActionLike>(
  actions: readonly A[],
  subject: (action: A) => string,
  verb: (action: A, done: boolean) => string,
): ProgressLine<A>[] {
  return actions.map((action) => ({
    members: [action],
    subject: subject(action),
    verb: (done) => verb(action, done),
  }));
}
