/**
 * Two directories whose names normalize to the same project (`rs.dup` and `rsdup` both make
 * `rsdup`) share one project on the engine: an `up` in one recreates the other's containers,
 * a `down -v` in one removes the other's volumes. Nothing on the engine tells them apart but
 * the working_dir label Compose and stack write on every container, so that label is compared
 * with the model's directory and any other directory is named in a note. Pure.
 */
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import type { ObservedContainer } from './types.js';

/** How many container names a note lists before "and N more". */
const LISTED = 3;

/**
 * One note per other working directory found on the project's containers, naming it, this
 * run's directory and some of its containers. Empty when every labelled container was made
 * from `model.workingDir` (containers without the label say nothing either way).
 */
export function sharedProjectNotes(model: StackModel, containers: readonly ObservedContainer[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const c of containers) {
    if (c.labels[Label.project] !== model.name) continue;
    const dir = c.labels[Label.workingDir];
    if (dir === undefined || dir === '' || dir === model.workingDir) continue;
    byDir.set(dir, [...(byDir.get(dir) ?? []), c.name]);
  }
  return [...byDir.keys()].sort().map((dir) => {
    const names = byDir.get(dir)!.sort();
    const listed =
      names.slice(0, LISTED).join(', ') + (names.length > LISTED ? ` and ${names.length - LISTED} more` : '');
    return (
      `project ${model.name} is also used from another directory: ${dir} (containers ${listed}), ` +
      `this run is from ${model.workingDir}; ` +
      `both directory names make project "${model.name}", so they share its containers, networks and volumes: ` +
      'give one of them another name with -p or a top-level name:'
    );
  });
}
