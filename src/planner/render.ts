/**
 * The plan as text (one line per action) and as versioned JSON (snake_case keys, stable
 * reason codes). Environment values never reach either: create bodies carry `Env`, so the
 * text form never prints bodies and the JSON form masks every value after `=`.
 */
import type { Action, ActionKind, Plan } from './types.js';
import { redactVariables } from '../errors.js';

/** Counts for a one-line summary (`3 to create, 1 to recreate, ...`). */
export interface PlanSummary {
  readonly actions: number;
  readonly destructive: number;
  readonly byKind: Readonly<Partial<Record<ActionKind, number>>>;
  /** Containers replaced (create-container actions with `replaces`). */
  readonly recreate: number;
  readonly orphans: number;
  readonly notes: number;
}

/** What the action does to its resource, beyond the kind: names, targets. */
function detailOf(a: Action): string {
  switch (a.kind) {
    case 'create-container': {
      const carried =
        a.carriedVolumes !== undefined && a.carriedVolumes.length > 0
          ? ` keeping anonymous volumes at ${a.carriedVolumes.join(',')}`
          : '';
      const files = a.files && a.files.length > 0 ? ` copying ${a.files.map((f) => f.target).join(',')}` : '';
      return a.replaces !== undefined
        ? ` as ${a.name} replacing ${a.replaces.slice(0, 12)}${carried}${files}`
        : ` as ${a.name}${files}`;
    }
    case 'rename-container':
      return ` ${a.name} to ${a.newName}`;
    case 'remove-container':
      return a.removeVolumes ? ` ${a.name} with its anonymous volumes` : ` ${a.name}`;
    case 'start-container':
      return a.postStart && a.postStart.length > 0
        ? ` ${a.name} then ${a.postStart.length} post_start hook(s)`
        : ` ${a.name}`;
    case 'run-pre-start':
      return ` ${a.name} (${String(a.body['Image'])})`;
    case 'stop-container':
      return a.preStop && a.preStop.length > 0 ? ` ${a.name} after ${a.preStop.length} pre_stop hook(s)` : ` ${a.name}`;
    case 'connect-network':
    case 'disconnect-network':
      return ` ${a.name} ${a.kind === 'connect-network' ? 'to' : 'from'} ${a.network}`;
    case 'create-network':
    case 'remove-network':
    case 'create-volume':
    case 'remove-volume':
      return ` ${a.name}`;
    case 'pull-image':
    case 'build-image':
      return ` ${a.image}`;
  }
}

/** `#3 create-container service:web:1 as 1a2b_demo-web-1 (diverged: environment.DB_URL) after #1,#2 [destructive]` */
export function renderAction(a: Action): string {
  const after = a.dependsOn.length > 0 ? ` after ${a.dependsOn.map((d) => `#${d}`).join(',')}` : '';
  return (
    `#${a.id} ${a.kind} ${a.resource}${detailOf(a)} (${a.reason.code}: ${a.reason.detail})` +
    `${after}${a.destructive ? ' [destructive]' : ''}`
  );
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Masks `K=V` entries of `Env` arrays to `K=***` wherever they appear in a body, and shows
 * every other value that came from a variable (Cmd, Labels, Healthcheck, ...) as `${NAME}`.
 */
function maskEnv(value: unknown, key?: string): unknown {
  if (Array.isArray(value))
    return key === 'Env'
      ? (value as unknown[]).map((e) =>
          typeof e === 'string' && e.includes('=') ? `${e.slice(0, e.indexOf('='))}=***` : e,
        )
      : (value as unknown[]).map((v) => maskEnv(v));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskEnv(v, k)]));
  return typeof value === 'string' ? redactVariables(value) : value;
}

/** Copied secret/config contents are never printed. */
function maskFiles(value: unknown): unknown {
  return Array.isArray(value)
    ? value.map((f: Record<string, unknown>) => (f['content'] === undefined ? f : { ...f, content: '***' }))
    : value;
}

/** Hook environments are masked like container environments. */
function maskHooks(value: unknown): unknown {
  return Array.isArray(value)
    ? value.map((h: Record<string, unknown>) => ({
        ...h,
        environment: Object.fromEntries(Object.keys(h['environment'] ?? {}).map((k) => [k, '***'])),
      }))
    : value;
}

/** One action in the JSON plan: action fields snake_case, engine bodies kept in the engine's casing. */
function jsonAction(a: Action): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a))
    out[snake(k)] =
      k === 'body'
        ? maskEnv(v)
        : k === 'files'
          ? maskFiles(v)
          : k === 'postStart' || k === 'preStop'
            ? maskHooks(v)
            : v;
  return out;
}

function jsonSummary(summary: PlanSummary): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [snake(k), v]));
}

/** `text`: one line per action, then notes and orphans. `json`: `{ format_version: 1, ... }`. */
export function renderPlan(plan: Plan, format: 'text' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify(
      {
        format_version: 1,
        project: plan.project,
        actions: plan.actions.map(jsonAction),
        notes: plan.notes,
        orphans: plan.orphans,
        summary: jsonSummary(summarizePlan(plan)),
      },
      null,
      2,
    );
  }
  const lines = plan.actions.length === 0 ? [`project ${plan.project}: nothing to do`] : plan.actions.map(renderAction);
  for (const orphan of plan.orphans) lines.push(`orphan: ${orphan}`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** Counts of a plan, for the `N to create, M to remove` line and `--detailed-exitcode`. */
export function summarizePlan(plan: Plan): PlanSummary {
  const byKind: Partial<Record<ActionKind, number>> = {};
  for (const a of plan.actions) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  return {
    actions: plan.actions.length,
    destructive: plan.actions.filter((a) => a.destructive).length,
    byKind,
    recreate: plan.actions.filter((a) => a.kind === 'create-container' && a.replaces !== undefined).length,
    orphans: plan.orphans.length,
    notes: plan.notes.length,
  };
}
