/**
 * From a batch of file changes to the work it asks for: a reload when a stack source changed,
 * and per service the develop.watch actions of the rules the changed paths fall under. Pure:
 * no file system, no engine. Sync decides copy vs delete later, from what exists on disk when
 * it runs (level-triggered), so the event kind never matters here.
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../errors.js';
import { diagnostic } from '../errors.js';
import type { StackModel, WatchAction, WatchRule } from '../model.js';
import type { PathFilter } from './ignore.js';
import { relativeInside } from './ignore.js';
import { byCodePoint } from '../order.js';

/** What chokidar reported, with an absolute path. */
export interface FileChange {
  readonly kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
  readonly path: string;
}

/** One develop.watch rule of one service, with its compiled path filter. */
export interface BoundRule {
  readonly service: string;
  /** Position of the rule in the service's develop.watch list. */
  readonly index: number;
  readonly rule: WatchRule;
  readonly filter: PathFilter;
}

/** Host paths to bring in line inside a service's containers under one rule. */
export interface SyncJob {
  readonly service: string;
  readonly rule: BoundRule;
  /** Absolute host paths, deduplicated, in first-seen order. */
  readonly paths: readonly string[];
}

/** What one batch asks for. Rebuilt services get no sync, restart or exec: they are recreated. */
export interface WatchWork {
  /** Stack sources (stack files, overrides, .env, env_files, extended files) that changed. */
  readonly sources: readonly string[];
  readonly rebuild: readonly string[];
  readonly syncs: readonly SyncJob[];
  /** Services to restart after their syncs (`restart`, `sync+restart`). */
  readonly restart: readonly string[];
  /** `sync+exec` rules to run after their syncs. */
  readonly exec: readonly BoundRule[];
  /** Every changed path that mattered (sources and rule paths), for the reload line. */
  readonly changed: readonly string[];
}

const SYNCS: ReadonlySet<WatchAction> = new Set<WatchAction>(['sync', 'sync+restart', 'sync+exec']);

/** True when the action copies files into the container. */
export function isSyncAction(action: WatchAction): boolean {
  return SYNCS.has(action);
}

/** The rules of `services` (all when empty) that have develop.watch entries. */
export function collectRules(
  model: StackModel,
  services: readonly string[],
  bind: (service: string, rule: WatchRule) => PathFilter,
): BoundRule[] {
  const wanted = services.length > 0 ? new Set(services) : undefined;
  const rules: BoundRule[] = [];
  for (const name of Object.keys(model.services).sort()) {
    if (wanted && !wanted.has(name)) continue;
    const watch = model.services[name]?.develop?.watch ?? [];
    watch.forEach((rule, index) => rules.push({ service: name, index, rule, filter: bind(name, rule) }));
  }
  return rules;
}

/** The rules a changed path falls under (inside the rule's path and accepted by its filter). */
export function matchRules(rules: readonly BoundRule[], path: string): BoundRule[] {
  return rules.filter((r) => relativeInside(r.rule.path, path) !== undefined && r.filter.accepts(path));
}

/**
 * Where a host path under a sync rule lands in the container, or undefined when it is outside the
 * rule or the rule has no target.
 */
export function containerPath(rule: WatchRule, hostPath: string): string | undefined {
  if (rule.target === undefined) return undefined;
  const rel = relativeInside(rule.path, hostPath);
  if (rel === undefined) return undefined;
  return rel === '' ? posix.normalize(rule.target) : posix.join(rule.target, rel);
}

/**
 * Classifies a batch: a path in `sources` asks for a reload; a path under rules asks, per
 * service, for a rebuild when any matching rule rebuilds (it wins: the service is
 * recreated), else for every matching rule's sync / restart / exec.
 */
export function planWatchWork(
  changes: readonly FileChange[],
  sources: ReadonlySet<string>,
  rules: readonly BoundRule[],
): WatchWork {
  const sourceHits = new Set<string>();
  const changed = new Set<string>();
  const perService = new Map<string, Map<BoundRule, Set<string>>>();
  for (const change of changes) {
    if (sources.has(change.path)) {
      sourceHits.add(change.path);
      changed.add(change.path);
    }
    for (const rule of matchRules(rules, change.path)) {
      changed.add(change.path);
      const byRule = perService.get(rule.service) ?? new Map<BoundRule, Set<string>>();
      perService.set(rule.service, byRule);
      const paths = byRule.get(rule) ?? new Set<string>();
      byRule.set(rule, paths);
      paths.add(change.path);
    }
  }
  const rebuild: string[] = [];
  const syncs: SyncJob[] = [];
  const restart: string[] = [];
  const exec: BoundRule[] = [];
  for (const [service, byRule] of [...perService].sort(([a], [b]) => byCodePoint(a, b))) {
    const matched = [...byRule.keys()].sort((a, b) => a.index - b.index);
    if (matched.some((r) => r.rule.action === 'rebuild')) {
      rebuild.push(service);
      continue;
    }
    for (const rule of matched) {
      if (isSyncAction(rule.rule.action)) syncs.push({ service, rule, paths: [...(byRule.get(rule) ?? [])] });
      if (rule.rule.action === 'sync+exec') exec.push(rule);
    }
    if (matched.some((r) => r.rule.action === 'restart' || r.rule.action === 'sync+restart')) restart.push(service);
  }
  return { sources: [...sourceHits], rebuild, syncs, restart, exec, changed: [...changed] };
}

/**
 * Rules that cannot work, as warnings (the loader accepts them): a sync without `target`, a
 * `sync+exec` without `exec.command`. They are left out of `usable`.
 */
export function checkRules(
  model: StackModel,
  rules: readonly BoundRule[],
): { usable: BoundRule[]; warnings: Diagnostic[] } {
  const usable: BoundRule[] = [];
  const warnings: Diagnostic[] = [];
  for (const r of rules) {
    const where = `services.${r.service}.develop.watch[${r.index}]`;
    const location = model.services[r.service]?.location;
    let problem: string | undefined;
    if (isSyncAction(r.rule.action) && r.rule.target === undefined)
      problem = `${where}: action ${r.rule.action} needs a target (the path in the container)`;
    else if (r.rule.action === 'sync+exec' && (r.rule.exec?.command.length ?? 0) === 0)
      problem = `${where}: action sync+exec needs exec.command`;
    if (problem)
      warnings.push(diagnostic('INVALID_VALUE', `${problem}; this rule is ignored`, location, undefined, 'warning'));
    else usable.push(r);
  }
  return { usable, warnings };
}
