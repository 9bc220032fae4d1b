/**
 * The develop.watch actions against running replicas: sync (upload + delete), restart and
 * exec, plus initial_sync, and the binding of a model's rules to path filters. Each step
 * reports a short phrase for the reload line and never throws: a failure is a phrase and a
 * `false`, and the session keeps watching.
 */
import type { Diagnostic } from '../errors.js';
import type { StackModel, WatchRule } from '../model.js';
import type { Engine } from '../engine/types.js';
import { execInContainer } from '../engine/archive.js';
import type { ReplicaRef } from '../engine/observe.js';
import { listRunningReplicas } from '../engine/observe.js';
import { restartContainers } from '../pipeline/lifecycle.js';
import type { PathFilter } from './ignore.js';
import { createPathFilter, readDockerignore } from './ignore.js';
import type { BoundRule, WatchWork } from './rules.js';
import { checkRules, collectRules, isSyncAction } from './rules.js';
import { applySync, prepareSync, walkRule } from './sync.js';

/**
 * The usable rules of the watched services with their filters (the build context's
 * .dockerignore included), and warnings for the rules that cannot work.
 */
export async function bindRules(
  model: StackModel,
  services: readonly string[],
): Promise<{ rules: BoundRule[]; warnings: Diagnostic[] }> {
  const ignores = new Map<string, { contextDir: string; patterns: string[] }>();
  for (const [name, service] of Object.entries(model.services)) {
    const build = service.build;
    if (!service.develop?.watch.length || !build || !build.context.startsWith('/')) continue;
    ignores.set(name, { contextDir: build.context, patterns: await readDockerignore(build.context, build.dockerfile) });
  }
  const bind = (service: string, rule: WatchRule): PathFilter => {
    const context = ignores.get(service);
    return createPathFilter({
      root: rule.path,
      ignore: rule.ignore,
      include: rule.include,
      ...(context ? { context } : {}),
    });
  };
  const { usable, warnings } = checkRules(model, collectRules(model, services, bind));
  return { rules: usable, warnings };
}

/** Identity of what is watched: when it is unchanged after a reload, the watchers stay. */
export function watchKey(sources: readonly string[], rules: readonly BoundRule[]): string {
  return JSON.stringify({ sources, rules: rules.map((r) => [r.service, r.index, r.rule]) });
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function replicasOf(
  engine: Engine,
  model: StackModel,
  service: string,
  done: string[],
  signal?: AbortSignal,
): Promise<ReplicaRef[]> {
  const replicas = await listRunningReplicas(engine, model.name, service, signal);
  if (replicas.length === 0) done.push(`${service} has no running container: skipped`);
  return replicas;
}

async function syncPaths(
  engine: Engine,
  model: StackModel,
  rule: BoundRule,
  paths: readonly string[],
  done: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const replicas = await replicasOf(engine, model, rule.service, done, signal);
    if (replicas.length === 0) return true;
    const prepared = await prepareSync(rule, paths);
    if (!prepared.tar && prepared.removed.length === 0) return true;
    await applySync(engine, replicas, prepared, signal);
    const parts = [
      prepared.copied.length > 0 ? `synced ${plural(prepared.copied.length, 'path')}` : '',
      prepared.removed.length > 0 ? `removed ${plural(prepared.removed.length, 'path')}` : '',
    ];
    done.push(`${parts.filter(Boolean).join(', ')} in ${rule.service} (${plural(replicas.length, 'replica')})`);
    return true;
  } catch (error) {
    done.push(`sync to ${rule.service} failed: ${message(error)}`);
    return false;
  }
}

async function restartService(
  engine: Engine,
  model: StackModel,
  service: string,
  done: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const replicas = await replicasOf(engine, model, service, done, signal);
    if (replicas.length === 0) return true;
    await restartContainers(
      engine,
      replicas.map((r) => r.id),
      model.services[service],
      signal,
    );
    done.push(`restarted ${service}`);
    return true;
  } catch (error) {
    done.push(`restart of ${service} failed: ${message(error)}`);
    return false;
  }
}

async function execRule(
  engine: Engine,
  model: StackModel,
  rule: BoundRule,
  done: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  const exec = rule.rule.exec;
  if (!exec) return true;
  const shown = `\`${exec.command.join(' ')}\``;
  try {
    const replicas = await replicasOf(engine, model, rule.service, done, signal);
    const results = await Promise.all(
      replicas.map((r) =>
        execInContainer(engine, r.id, exec.command, {
          environment: exec.environment,
          ...(exec.user !== undefined ? { user: exec.user } : {}),
          ...(exec.privileged !== undefined ? { privileged: exec.privileged } : {}),
          ...(exec.workingDir !== undefined ? { workingDir: exec.workingDir } : {}),
          ...(signal ? { signal } : {}),
        }),
      ),
    );
    const failed = results.find((r) => r.exitCode !== 0);
    if (failed) {
      done.push(
        `${shown} in ${rule.service} exited ${failed.exitCode}: ${failed.output.trim().split('\n').slice(-1)[0] ?? ''}`,
      );
      return false;
    }
    if (replicas.length > 0) done.push(`ran ${shown} in ${rule.service}`);
    return true;
  } catch (error) {
    done.push(`${shown} in ${rule.service} failed: ${message(error)}`);
    return false;
  }
}

/** Runs the sync, restart and exec parts of a batch's work, in that order per service. */
export async function runServiceActions(
  engine: Engine,
  model: StackModel,
  work: WatchWork,
  done: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  let ok = true;
  for (const job of work.syncs) ok = (await syncPaths(engine, model, job.rule, job.paths, done, signal)) && ok;
  for (const service of work.restart) ok = (await restartService(engine, model, service, done, signal)) && ok;
  for (const rule of work.exec) ok = (await execRule(engine, model, rule, done, signal)) && ok;
  return ok;
}

/** `initial_sync`: copies every accepted file under each such sync rule into its service's replicas. */
export async function runInitialSync(
  engine: Engine,
  model: StackModel,
  rules: readonly BoundRule[],
  done: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  let ok = true;
  for (const rule of rules) {
    if (!rule.rule.initialSync || !isSyncAction(rule.rule.action)) continue;
    ok = (await syncPaths(engine, model, rule, await walkRule(rule), done, signal)) && ok;
  }
  return ok;
}
