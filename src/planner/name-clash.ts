/**
 * Container names are global on the engine but derived per project: project `rsa` with service
 * `b-c` and project `rsa-b` with service `c` both make `rsa-b-c-1`. Observe lists by project
 * label, so another project's container holding a name this plan wants is invisible to it;
 * the pipeline looks those names up (src/pipeline/name-clash.ts) and this module turns what it
 * finds into one error, raised before anything is written (a 409 halfway through a plan
 * cannot converge on the next run: the name stays taken). Pure.
 */
import { StackError } from '../errors.js';
import { Label } from '../labels.js';
import type { ObservedState, Plan } from './types.js';

/** A container of another project (or of none) holding a name the plan gives one of ours. */
export interface NameClash {
  /** The contested engine name. */
  readonly name: string;
  readonly containerId: string;
  /** Its `com.docker.compose.project` label; undefined when it has none (made by hand). */
  readonly project?: string;
  /** Its `com.docker.compose.service` label, when it has one. */
  readonly service?: string;
}

/**
 * Names this plan gives containers that no observed container of the project holds: created
 * containers (canonical names; the temp names of replacements are unique to their container)
 * and rename targets. A name an observed container of ours holds is freed by the plan first.
 */
export function namesToClaim(plan: Plan, observed: ObservedState): string[] {
  const ours = new Set(observed.containers.map((c) => c.name));
  const names = new Set<string>();
  for (const a of plan.actions) {
    if (a.kind === 'create-container' && a.replaces === undefined && !ours.has(a.name)) names.add(a.name);
    if (a.kind === 'rename-container' && !ours.has(a.newName)) names.add(a.newName);
  }
  return [...names].sort();
}

/** The listed containers that hold one of `names` and are not the project's own. */
export function foreignHolders(
  project: string,
  names: readonly string[],
  listed: readonly { readonly id: string; readonly name: string; readonly labels: Readonly<Record<string, string>> }[],
): NameClash[] {
  const wanted = new Set(names);
  return listed
    .filter((c) => wanted.has(c.name) && c.labels[Label.project] !== project)
    .map((c) => {
      const other = c.labels[Label.project];
      const service = c.labels[Label.service];
      return {
        name: c.name,
        containerId: c.id,
        ...(other !== undefined ? { project: other } : {}),
        ...(service !== undefined ? { service } : {}),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** NAME_CONFLICT naming each contested name, what of ours wants it and who holds it; undefined when there is none. */
export function nameClashError(plan: Plan, clashes: readonly NameClash[]): StackError | undefined {
  if (clashes.length === 0) return undefined;
  const wantedBy = (name: string): string => {
    const a = plan.actions.find(
      (x) =>
        (x.kind === 'create-container' && x.name === name) || (x.kind === 'rename-container' && x.newName === name),
    );
    return a ? ` (${a.resource})` : '';
  };
  const lines = clashes.map((c) => {
    const holder =
      c.project === undefined
        ? 'a container without a project label'
        : `project "${c.project}"${c.service === undefined ? '' : ` (service ${c.service})`}`;
    return `  ${c.name}${wantedBy(c.name)} is already used by ${holder}: container ${c.containerId.slice(0, 12)}`;
  });
  const message =
    `project "${plan.project}" needs container names another project already uses; nothing was changed:\n` +
    `${lines.join('\n')}\n` +
    'rename the service, set container_name, or choose another project name with -p ' +
    '(project + service names that join to the same name clash)';
  return new StackError('NAME_CONFLICT', message);
}
