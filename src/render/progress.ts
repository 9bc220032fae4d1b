/**
 * Progress of a running plan: listr2 on a TTY (progress-tty.ts, loaded lazily), plain lines
 * in CI or when piped, NDJSON with `--progress json`, nothing with `quiet`. Only names and
 * kinds are printed, never create bodies (they hold environment values).
 */
import type { Action } from '../planner/types.js';
import type { ActionEvent, ActionLike } from '../pipeline/reconcile.js';
import type { Terminal } from './terminal.js';
import { jsonEvent } from './json.js';
import { inertText } from '../errors.js';

/** A renderer of execution events. */
export interface Progress<A extends ActionLike = Action> {
  /** Called once with the actions about to run. */
  begin(actions: readonly A[]): void;
  onEvent(event: ActionEvent<A>): void;
  /** Flushes and stops (listr2 needs its tasks to settle). */
  end(): Promise<void>;
}

/** How a target's actions are named in progress lines: `Container demo-web-1`, `Started`. */
export interface ActionWords<A extends ActionLike> {
  subject(action: A): string;
  /** In progress ("Starting") or done ("Started"). */
  verb(action: A, done: boolean): string;
}

const VERBS: Record<Action['kind'], [string, string]> = {
  'create-network': ['Creating', 'Created'],
  'remove-network': ['Removing', 'Removed'],
  'create-volume': ['Creating', 'Created'],
  'remove-volume': ['Removing', 'Removed'],
  'create-container': ['Creating', 'Created'],
  'start-container': ['Starting', 'Started'],
  'run-pre-start': ['Running', 'Completed'],
  'stop-container': ['Stopping', 'Stopped'],
  'remove-container': ['Removing', 'Removed'],
  'rename-container': ['Renaming', 'Renamed'],
  'connect-network': ['Connecting', 'Connected'],
  'disconnect-network': ['Disconnecting', 'Disconnected'],
  'pull-image': ['Pulling', 'Pulled'],
  'build-image': ['Building', 'Built'],
};

/** "Container demo-web-1", "Network demo_default", "Image busybox". */
export function subjectOf(action: Action): string {
  switch (action.kind) {
    case 'create-network':
    case 'remove-network':
      return `Network ${action.name}`;
    case 'create-volume':
    case 'remove-volume':
      return `Volume ${action.name}`;
    case 'pull-image':
    case 'build-image':
      return `Image ${action.image}`;
    case 'connect-network':
    case 'disconnect-network':
      return `Container ${action.name} → ${action.network}`;
    case 'rename-container':
      return `Container ${action.name} → ${action.newName}`;
    case 'run-pre-start':
      return `Hook ${action.name}`;
    default:
      return `Container ${action.name}`;
  }
}

/** The verb for an action, in progress ("Starting") or done ("Started"). */
export function verbOf(action: Action, done: boolean): string {
  const verbs = VERBS[action.kind];
  const waiting =
    (action.kind === 'start-container' || action.kind === 'run-pre-start') &&
    action.waitFor &&
    action.waitFor.length > 0 &&
    !done;
  return waiting ? 'Waiting' : verbs[done ? 1 : 0];
}

/** The words of the container target's actions. */
export const containerWords: ActionWords<Action> = { subject: subjectOf, verb: verbOf };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** One plain line per finished action (starts are not printed: lines stay in order of outcome). */
function plainProgress<A extends ActionLike>(ctx: Terminal, words: ActionWords<A>): Progress<A> {
  const paint = (code: string, text: string): string => (ctx.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    begin() {},
    onEvent(event) {
      const subject = words.subject(event.action);
      if (event.type === 'action-done')
        ctx.stderr.write(` ${paint('32', '✔')} ${subject}  ${words.verb(event.action, true)}  ${seconds(event.ms)}\n`);
      else if (event.type === 'action-failed')
        ctx.stderr.write(
          ` ${paint('31', '✘')} ${subject}  Error  ${inertText(event.error?.message.split('\n')[0] ?? '')}\n`,
        );
      else if (event.type === 'action-skipped') ctx.stderr.write(` ${paint('33', '-')} ${subject}  Skipped\n`);
    },
    async end() {},
  };
}

/** NDJSON: one object per event, with the action's id, kind, resource and name (no bodies). */
function jsonProgress<A extends ActionLike>(ctx: Terminal, words: ActionWords<A>): Progress<A> {
  return {
    begin() {},
    onEvent(event) {
      const a = event.action;
      const line = {
        id: a.id,
        kind: a.kind,
        resource: a.resource,
        subject: words.subject(a),
        ms: event.ms,
        ...(event.error ? { error: inertText(event.error.message) } : {}),
      };
      ctx.stderr.write(jsonEvent(event.type, line));
    },
    async end() {},
  };
}

/** The renderer of container actions for the context's progress mode. */
export function createProgress(ctx: Terminal): Promise<Progress> {
  return createActionProgress(ctx, containerWords);
}

/** The renderer for the context's progress mode, for any target's actions (`words` names them). */
export async function createActionProgress<A extends ActionLike>(
  ctx: Terminal,
  words: ActionWords<A>,
): Promise<Progress<A>> {
  switch (ctx.progress) {
    case 'quiet':
      return { begin() {}, onEvent() {}, async end() {} };
    case 'json':
      return jsonProgress(ctx, words);
    case 'plain':
      return plainProgress(ctx, words);
    case 'tty': {
      // listr2's colours (colorette) read NO_COLOR when loaded and treat an empty value as set;
      // make them follow the CLI's decision (colorAllowed: only a non-empty NO_COLOR disables).
      if (ctx.color) delete process.env['NO_COLOR'];
      else process.env['NO_COLOR'] ??= '1';
      const { ttyProgress } = await import('./progress-tty.js');
      return ttyProgress(ctx, words);
    }
  }
}
