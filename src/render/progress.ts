/**
 * Progress of a running plan: listr2 on a TTY (progress-tty.ts, loaded lazily), plain lines
 * in CI or when piped, NDJSON with `--progress json`, nothing with `quiet`. Only names and
 * kinds are printed, never create bodies (they hold environment values).
 */
import type { Action, ObservedState, Plan } from '../planner/types.js';
import { Label } from '../labels.js';
import type { ActionEvent, ActionLike } from '../pipeline/reconcile.js';
import type { Terminal } from './terminal.js';
import { jsonEvent } from './json.js';
import { inertText } from '../errors.js';
import type { DependencyCondition } from '../model.js';
import { LineTracker, linePerAction, type ProgressLine } from './progress-lines.js';

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
  /** The lines a plan is shown as, where a chain of actions is one line (default: one per action). */
  lines?(actions: readonly A[]): ProgressLine<A>[];
}

/** The lines of a plan in the target's words. */
export function linesOf<A extends ActionLike>(words: ActionWords<A>, actions: readonly A[]): ProgressLine<A>[] {
  return words.lines
    ? words.lines(actions)
    : linePerAction(
        actions,
        (a) => words.subject(a),
        (a, done) => words.verb(a, done),
      );
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

const CONDITION: Record<DependencyCondition, string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
};

/** The verb for an action, in progress ("Starting", "Waiting for db (healthy)") or done ("Started"). */
export function verbOf(action: Action, done: boolean): string {
  const verbs = VERBS[action.kind];
  if ((action.kind === 'start-container' || action.kind === 'run-pre-start') && action.waitFor?.length && !done) {
    const services = [...new Map(action.waitFor.map((w) => [w.service, CONDITION[w.condition]])).entries()];
    return `Waiting for ${services.map(([service, condition]) => `${service} (${condition})`).join(', ')}`;
  }
  return verbs[done ? 1 : 0];
}

/**
 * Container lines: a recreate (create under a temporary name, stop and remove the old one,
 * rename) is one `Container demo-web-1  Recreated` line, as Compose shows it.
 */
function containerLines(actions: readonly Action[]): ProgressLine<Action>[] {
  const chains = new Map<string, Action[]>();
  for (const a of actions) if (a.kind === 'create-container' && a.replaces) chains.set(a.resource, [a]);
  const inChain = (a: Action): Action[] | undefined =>
    a.reason.code === 'recreate' && ['stop-container', 'remove-container', 'rename-container'].includes(a.kind)
      ? chains.get(a.resource)
      : undefined;
  for (const a of actions) inChain(a)?.push(a);
  const lines: ProgressLine<Action>[] = [];
  for (const a of actions) {
    if (inChain(a)) continue;
    const chain = a.kind === 'create-container' && a.replaces ? chains.get(a.resource) : undefined;
    if (!chain) {
      const waits = 'waitFor' in a ? (a.waitFor ?? []) : [];
      const announce = waits.some((w) => w.condition !== 'service_started');
      lines.push({ members: [a], subject: subjectOf(a), verb: (done) => verbOf(a, done), announce });
      continue;
    }
    const rename = chain.find((m) => m.kind === 'rename-container');
    const name = rename?.kind === 'rename-container' ? rename.newName : (a as { name: string }).name;
    lines.push({ members: chain, subject: `Container ${name}`, verb: (done) => (done ? 'Recreated' : 'Recreate') });
  }
  return lines;
}

/**
 * The containers of `services` that a run of `plan` left running as they were, by name: Compose
 * lists them as `Container demo-db-1  Running` after `up -d`, so a no-op `up` says something.
 */
export function leftRunning(observed: ObservedState, plan: Plan, services: ReadonlySet<string>): string[] {
  const touched = new Set<string>();
  for (const a of plan.actions) {
    if ('name' in a) touched.add(a.name);
    if (a.kind === 'rename-container') touched.add(a.newName);
  }
  return observed.containers
    .filter((c) => c.state === 'running' && !touched.has(c.name))
    .filter((c) => c.labels[Label.oneoff] !== 'True' && c.labels[Label.hook] === undefined)
    .filter((c) => services.has(c.labels[Label.service] ?? ''))
    .map((c) => c.name);
}

/** `Container demo-db-1  Running` lines (plain and tty modes; json and quiet print none). */
export function reportRunning(ctx: Terminal, names: readonly string[]): void {
  if (ctx.progress !== 'plain' && ctx.progress !== 'tty') return;
  const tick = ctx.color ? '\u001b[32m✔\u001b[0m' : '✔';
  // One write: at a few hundred containers, a write per line is a few ms of a no-op `up`.
  if (names.length > 0) ctx.stderr.write(names.map((name) => ` ${tick} Container ${name}  Running\n`).join(''));
}

/** The words of the container target's actions. */
export const containerWords: ActionWords<Action> = { subject: subjectOf, verb: verbOf, lines: containerLines };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * One plain line per finished line of the plan; a start is printed only when the line
 * announces it (a wait for health), so lines stay in order of outcome.
 */
function plainProgress<A extends ActionLike>(ctx: Terminal, words: ActionWords<A>): Progress<A> {
  const paint = (code: string, text: string): string => (ctx.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  let tracker = new LineTracker<A>([]);
  return {
    begin(actions) {
      tracker = new LineTracker(linesOf(words, actions));
    },
    onEvent(event) {
      const seen = tracker.onEvent(event);
      if (!seen) return;
      const { subject } = seen.line;
      if (seen.type === 'start') {
        if (seen.line.announce) ctx.stderr.write(` ${paint('33', '-')} ${subject}  ${seen.line.verb(false)}\n`);
      } else if (seen.type === 'done')
        ctx.stderr.write(` ${paint('32', '✔')} ${subject}  ${seen.line.verb(true)}  ${seconds(seen.ms)}\n`);
      else if (seen.type === 'failed')
        ctx.stderr.write(
          ` ${paint('31', '✘')} ${subject}  Error  ${inertText(seen.error?.message.split('\n')[0] ?? '')}\n`,
        );
      else ctx.stderr.write(` ${paint('33', '-')} ${subject}  Skipped\n`);
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
