/**
 * The one line a reload prints: what changed, what was done, how long it took. Also the
 * summary of an applied plan in a few words ("recreated web, created db").
 */
import { relative } from 'node:path';
import { serviceOf } from '../planner/wait-conditions.js';

/** The parts of a plan action the reload line reads (a planner `Action` fits). */
export interface ActionLike {
  readonly kind: string;
  readonly resource: string;
  readonly replaces?: string;
}

/** One reload, as printed (and as the JSON object in `--progress json`). */
export interface ReloadReport {
  /** Paths relative to the project directory. */
  readonly changed: readonly string[];
  /** The run at start (initial up / initial_sync), not caused by a change. */
  readonly initial?: boolean;
  /** Short phrases, e.g. "recreated web", "synced 2 files to web (2 replicas)". */
  readonly done: readonly string[];
  readonly durationMs: number;
  /** False when something failed (the stack may be partly updated; the next change retries). */
  readonly ok: boolean;
}

/**
 * "recreated web, created db, removed old" from the actions of an applied plan; "up to date"
 * when there were none. Container actions are grouped by service, the rest counted.
 */
export function describeActions(actions: readonly ActionLike[]): string {
  if (actions.length === 0) return 'stack up to date';
  const verbs = new Map<string, Set<string>>();
  const add = (verb: string, service: string): void => {
    const set = verbs.get(verb) ?? new Set<string>();
    set.add(service);
    verbs.set(verb, set);
  };
  const recreated = new Set<string>();
  for (const a of actions) {
    const service = serviceOf(a.resource);
    if (service && a.kind === 'create-container' && a.replaces !== undefined) recreated.add(service);
  }
  for (const a of actions) {
    const service = serviceOf(a.resource);
    if (a.kind === 'build-image') add('built', a.resource.replace(/^image:/, ''));
    if (!service || recreated.has(service)) continue;
    if (a.kind === 'create-container') add('created', service);
    else if (a.kind === 'remove-container') add('removed', service);
    else if (a.kind === 'start-container') add('started', service);
    else if (a.kind === 'stop-container') add('stopped', service);
  }
  for (const s of recreated) add('recreated', s);
  const order = ['built', 'recreated', 'created', 'started', 'stopped', 'removed'];
  const phrases = order.filter((v) => verbs.has(v)).map((v) => `${v} ${[...(verbs.get(v) ?? [])].sort().join(', ')}`);
  const count = `${actions.length} action${actions.length === 1 ? '' : 's'}`;
  return phrases.length > 0 ? `${phrases.join('; ')} (${count})` : count;
}

/** "12 ms" or "1.24 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** At most three paths, then "+N more". */
export function formatChanged(paths: readonly string[]): string {
  if (paths.length === 0) return 'nothing';
  const shown = paths.slice(0, 3).join(', ');
  return paths.length > 3 ? `${shown} +${paths.length - 3} more` : shown;
}

/** Paths relative to the project directory, for display. */
export function displayPaths(workingDir: string, paths: readonly string[]): string[] {
  return paths.map((p) => {
    const rel = relative(workingDir, p);
    return rel === '' || rel.startsWith('..') ? p : rel;
  });
}

/** `↻ stack.yaml changed → recreated web (3 actions) in 1.24 s`; `✗` when something failed. */
export function formatReloadLine(report: ReloadReport, color: boolean): string {
  const mark = report.ok ? '↻' : '✗';
  const painted = color ? `\u001b[${report.ok ? '36' : '31'};1m${mark}\u001b[0m` : mark;
  const done = report.done.length > 0 ? report.done.join('; ') : 'nothing to do';
  const cause = report.initial && report.changed.length === 0 ? 'start' : `${formatChanged(report.changed)} changed`;
  return `${painted} ${cause} → ${done} in ${formatDuration(report.durationMs)}`;
}
