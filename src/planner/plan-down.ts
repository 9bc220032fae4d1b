/**
 * planDown: stop and remove what the project owns, dependents first. Works with a model (from
 * the stack file) or with only a project name (then the dependency order comes from the
 * containers' com.docker.compose.depends_on labels). Never touches a resource without the
 * project's label: external and foreign resources are not in reach.
 */
import { Label } from '../labels.js';
import type { HookSpec, StackModel } from '../model.js';
import { stopGraceSeconds } from '../model.js';
import { PlanBuilder } from './builder.js';
import type { ServiceGraph } from './graph.js';
import { buildGraph, graphFromEdges, reverseOrder } from './graph.js';
import type { DownOptions, ObservedContainer, ObservedState, Plan, Reason } from './types.js';
import { sharedProjectNotes } from './shared-project.js';
import { containerRef } from './up-state.js';

const STOPPABLE: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);

function isModel(target: StackModel | { readonly project: string }): target is StackModel {
  return 'services' in target;
}

/** The graph from the depends_on labels of the observed containers (`db:service_healthy:false,...`). */
function graphFromLabels(containers: readonly ObservedContainer[]): ServiceGraph {
  const edges: Record<string, string[]> = {};
  for (const c of containers) {
    const service = c.labels[Label.service];
    if (service === undefined) continue;
    const deps = (c.labels[Label.dependsOn] ?? '')
      .split(',')
      .map((d) => d.split(':')[0]!)
      .filter((d) => d !== '');
    edges[service] = [...(edges[service] ?? []), ...deps];
  }
  for (const deps of Object.values(edges)) for (const d of deps) edges[d] ??= [];
  return graphFromEdges(edges);
}

/**
 * ```
 * orphans (with removeOrphans, or no model):  [stop] → remove
 * one-off containers: only with removeOrphans, with their service
 * services, dependents first:  [stop, after the dependents' removals] → remove
 * networks (not with services):  remove, after every container removal
 * volumes (with volumes, not with services):  remove (destructive), after every container removal
 * ```
 */
export function planDown(
  target: StackModel | { readonly project: string },
  observed: ObservedState,
  options: DownOptions = {},
): Plan {
  const project = isModel(target) ? target.name : target.project;
  const b = new PlanBuilder(project);
  const reason: Reason = { code: 'down', detail: 'stack down' };
  const ours = <T extends { readonly labels: Readonly<Record<string, string>> }>(r: T): boolean =>
    r.labels[Label.project] === project;
  // One-off (`stack run`) containers are the user's session: down leaves them unless
  // --remove-orphans, which removes them with their service (as Compose's down does).
  const inReach = (c: ObservedContainer): boolean =>
    ours(c) && (options.removeOrphans === true || c.labels[Label.oneoff] !== 'True');
  const containers = observed.containers
    .filter(inReach)
    .sort((a, b2) => (a.name < b2.name ? -1 : a.name > b2.name ? 1 : a.id < b2.id ? -1 : 1));
  const model = isModel(target) ? target : undefined;
  // Without a model there is no directory to compare with: `-p x down` acts on the name alone.
  if (model) for (const note of sharedProjectNotes(model, containers)) b.note(note);
  const graph = model ? buildGraph(model) : graphFromLabels(containers);
  const known = new Set(graph.services);
  const only = options.services && options.services.length > 0 ? new Set(options.services) : undefined;
  const serviceOf = (c: ObservedContainer): string => c.labels[Label.service] ?? '';
  const removals: number[] = [];
  const plannedRemovals: string[] = [];
  const removedOf = new Map<string, number[]>();

  // pre_stop hooks come from the model; without one (`-p x down`) there are none to run.
  const preStopOf = (c: ObservedContainer): { preStop?: readonly HookSpec[] } => {
    const hooks = c.labels[Label.hook] === undefined ? (model?.services[serviceOf(c)]?.preStop ?? []) : [];
    return hooks.length > 0 ? { preStop: hooks } : {};
  };
  // The engine stops with the container's own grace (its service's stop_grace_period) when no
  // timeout is sent; without a model (`-p x down`) it is not known here.
  const graceOf = (c: ObservedContainer): { graceSeconds?: number } => {
    const grace = stopGraceSeconds(model?.services[serviceOf(c)]);
    return grace === undefined ? {} : { graceSeconds: grace };
  };
  const remove = (c: ObservedContainer, why: Reason, after: readonly number[]): void => {
    const resource = containerRef(c);
    const stop = STOPPABLE.has(c.state)
      ? b.add({
          kind: 'stop-container',
          resource,
          reason: why,
          name: c.name,
          containerId: c.id,
          dependsOn: after,
          ...(options.timeoutSeconds === undefined ? graceOf(c) : { timeoutSeconds: options.timeoutSeconds }),
          ...preStopOf(c),
        })
      : undefined;
    const id = b.add({
      kind: 'remove-container',
      resource,
      reason: why,
      name: c.name,
      containerId: c.id,
      removeVolumes: options.volumes ?? false,
      dependsOn: [...after, stop],
    });
    removals.push(id);
    plannedRemovals.push(c.id);
    removedOf.set(serviceOf(c), [...(removedOf.get(serviceOf(c)) ?? []), id]);
  };

  // Orphans first: nothing in the model depends on them.
  for (const c of containers.filter((c) => !known.has(serviceOf(c)))) {
    if (only && !only.has(serviceOf(c))) continue;
    // Compose: a one-off of a service no longer in the file is an orphan only once it has ended.
    if (c.labels[Label.oneoff] === 'True' && c.state !== 'exited' && c.state !== 'dead') continue;
    b.orphan(containerRef(c));
    if (options.removeOrphans || !model)
      remove(c, model ? { code: 'orphan', detail: 'service no longer in the stack file' } : reason, []);
  }
  const keptOrphans =
    model && !options.removeOrphans && !only ? containers.filter((c) => !known.has(serviceOf(c))) : [];
  if (keptOrphans.length > 0) b.note('orphan containers kept (remove them with --remove-orphans)');

  // A service's containers stop after every container of the services that depend on it is gone.
  const dependents = (service: string): string[] =>
    graph.services.filter((s) => (graph.dependencies[s] ?? []).includes(service));
  for (const service of reverseOrder(graph)) {
    if (only && !only.has(service)) continue;
    const after = dependents(service).flatMap((d) => removedOf.get(d) ?? []);
    for (const c of containers.filter((c) => serviceOf(c) === service)) remove(c, reason, after);
  }
  if (only) return b.build();

  const wantedNetworks = model
    ? new Set(
        Object.values(model.networks)
          .filter((n) => !n.external)
          .map((n) => n.name),
      )
    : undefined;
  for (const n of [...observed.networks].filter(ours).sort((a, b2) => (a.name < b2.name ? -1 : 1))) {
    if (wantedNetworks && !wantedNetworks.has(n.name)) continue;
    // The engine refuses to remove a network with endpoints: anything left on it keeps it.
    const removedIds = new Set(plannedRemovals);
    const users = observed.containers.filter((c) => n.name in c.networks && !removedIds.has(c.id));
    if (users.length > 0) {
      b.note(`network ${n.name} kept: still used by ${users.map((c) => c.name).join(', ')}`);
      continue;
    }
    b.add({
      kind: 'remove-network',
      resource: `network:${n.labels[Label.network] ?? n.name}`,
      reason,
      name: n.name,
      networkId: n.id,
      dependsOn: removals,
    });
  }
  if (options.volumes) {
    const wantedVolumes = model
      ? new Set(
          Object.values(model.volumes)
            .filter((v) => !v.external)
            .map((v) => v.name),
        )
      : undefined;
    for (const v of [...observed.volumes].filter(ours).sort((a, b2) => (a.name < b2.name ? -1 : 1))) {
      if (wantedVolumes && !wantedVolumes.has(v.name)) continue;
      const removedIds = new Set(plannedRemovals);
      const users = observed.containers.filter((c) => c.mounts.some((m) => m.name === v.name) && !removedIds.has(c.id));
      if (users.length > 0) {
        b.note(`volume ${v.name} kept: still used by ${users.map((c) => c.name).join(', ')}`);
        continue;
      }
      b.add({
        kind: 'remove-volume',
        resource: `volume:${v.labels[Label.volume] ?? v.name}`,
        reason,
        name: v.name,
        destructive: true,
        dependsOn: removals,
      });
    }
  }
  return b.build();
}
