/**
 * External networks and volumes that the selected services use but the engine does not have.
 * Compose v2 refuses such a run before it creates anything; so does `up` (the pipeline throws
 * EXTERNAL_NOT_FOUND on a non-empty result). Pure: model and observed state in.
 */
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import { containerName } from './desired.js';
import { donorServices } from './graph.js';
import type { ObservedState } from './types.js';

/** One service using one missing external resource. */
export interface MissingExternal {
  readonly service: string;
  readonly kind: 'network' | 'volume';
  /** Engine name of the resource. */
  readonly name: string;
}

/** The missing external resources of the `services`, by service then kind then name. */
export function missingExternals(
  model: StackModel,
  observed: ObservedState,
  services: Iterable<string>,
): MissingExternal[] {
  const networks = new Set(observed.networks.map((n) => n.name));
  const volumes = new Set(observed.volumes.map((v) => v.name));
  const out: MissingExternal[] = [];
  for (const service of [...services].sort()) {
    const spec = model.services[service];
    if (!spec) continue;
    for (const key of Object.keys(spec.networks).sort()) {
      const net = model.networks[key];
      if (net?.external && !networks.has(net.name)) out.push({ service, kind: 'network', name: net.name });
    }
    const sources = [
      ...new Set(spec.volumes.filter((m) => m.type === 'volume' && m.source !== undefined).map((m) => m.source!)),
    ].sort();
    for (const key of sources) {
      const vol = model.volumes[key];
      if (vol?.external && !volumes.has(vol.name)) out.push({ service, kind: 'volume', name: vol.name });
    }
  }
  return out;
}

/** `service "app" uses external network "shared", which does not exist`, one line each. */
export function describeMissingExternals(missing: readonly MissingExternal[]): string {
  return missing
    .map(
      (m) =>
        `service "${m.service}" uses external ${m.kind} "${m.name}", which does not exist ` +
        `(create it with \`docker ${m.kind} create ${m.name}\`)`,
    )
    .join('\n');
}

/**
 * A selected service whose donor (network_mode/pid/ipc `service:x`, volumes_from) has no container
 * and is not part of the run.
 */
export interface MissingDonor {
  readonly service: string;
  readonly donor: string;
  /** The donor's replica-1 container name. */
  readonly container: string;
}

/** Donors left out of the run (`--no-deps`, or not selected) that have no container to join. */
export function missingDonors(
  model: StackModel,
  observed: ObservedState,
  services: ReadonlySet<string>,
): MissingDonor[] {
  const out: MissingDonor[] = [];
  for (const service of [...services].sort()) {
    const spec = model.services[service];
    if (!spec) continue;
    for (const donor of donorServices(spec)) {
      const donorSpec = model.services[donor];
      if (!donorSpec || services.has(donor)) continue;
      const container = containerName(model.name, donorSpec, 1);
      if (!observed.containers.some((c) => c.name === container && c.labels[Label.project] === model.name))
        out.push({ service, donor, container });
    }
  }
  return out;
}

/** `service "app" needs container x-db-1 of service "db", which does not exist`, one line each. */
export function describeMissingDonors(missing: readonly MissingDonor[]): string {
  return missing
    .map(
      (m) =>
        `service "${m.service}" is built on container ${m.container} of service "${m.donor}", ` +
        `which does not exist (start it: \`stack up -d ${m.donor}\`)`,
    )
    .join('\n');
}
