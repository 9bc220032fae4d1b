/**
 * External networks and volumes that the selected services use but the engine does not have.
 * Compose v2 refuses such a run before it creates anything; so does `up` (the pipeline throws
 * EXTERNAL_NOT_FOUND on a non-empty result). Pure: model and observed state in.
 */
import type { StackModel } from '../model.js';
import type { ObservedState } from './types.js';

/** One service using one missing external resource. */
export interface MissingExternal {
  readonly service: string;
  readonly kind: 'network' | 'volume';
  /** Engine name of the resource. */
  readonly name: string;
}

/** The missing external resources of the `services`, by service then kind then name. */
export function missingExternals(model: StackModel, observed: ObservedState, services: Iterable<string>): MissingExternal[] {
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
    const sources = [...new Set(spec.volumes.filter((m) => m.type === 'volume' && m.source !== undefined).map((m) => m.source!))].sort();
    for (const key of sources) {
      const vol = model.volumes[key];
      if (vol?.external && !volumes.has(vol.name)) out.push({ service, kind: 'volume', name: vol.name });
    }
  }
  return out;
}

/** `service "app" uses external network "shared", which does not exist`, one line each. */
export function describeMissingExternals(missing: readonly MissingExternal[]): string {
  return missing.map((m) => `service "${m.service}" uses external ${m.kind} "${m.name}", which does not exist (create it with \`docker ${m.kind} create ${m.name}\`)`).join('\n');
}
