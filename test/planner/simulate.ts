/**
 * A small in-memory engine: applies a plan's actions in id order to an ObservedState, as
 * strictly as the real engine (name conflicts, removing a running container, removing a
 * network with running endpoints, a volume in use, a missing image or network: all throw).
 * Property tests use it to check that one apply converges.
 */
import { Label } from '../../src/labels.js';
import { normalizeImageRef, resolveImage } from '../../src/planner/images.js';
import type { Action, ObservedContainer, ObservedMount, ObservedState, Plan } from '../../src/planner/types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Thrown when a plan does something the engine would refuse. */
export class SimulationError extends Error {}

function fail(action: Action, why: string): never {
  throw new SimulationError(`#${action.id} ${action.kind} ${action.resource}: ${why}`);
}

/** Applies every action of `plan` to a copy of `observed` and returns the new state. */
export function applyPlan(observed: ObservedState, plan: Plan): ObservedState {
  const containers: Mutable<ObservedContainer>[] = observed.containers.map((c) => ({
    ...c,
    networks: { ...c.networks },
    mounts: [...c.mounts],
  }));
  const networks = [...observed.networks];
  const volumes = [...observed.volumes];
  const images = [...observed.images];
  // Ids never repeat across applies: continue after the highest id this simulator issued.
  const issued = [
    ...containers.map((c) => c.id),
    ...networks.map((n) => n.id),
    ...volumes.map((v) => v.name),
    ...containers.flatMap((c) => c.mounts.map((m) => m.name ?? '')),
  ]
    .map((id) => /^(?:c|n|anon)(\d+)f*$/.exec(id)?.[1])
    .filter((n) => n !== undefined)
    .map(Number);
  let counter = Math.max(1000, ...issued) + 1;
  const nextId = (prefix: string): string => `${prefix}${String(counter++)}`.padEnd(64, 'f');
  const byRef = (a: Action & { name: string }, id?: string): Mutable<ObservedContainer> =>
    (id !== undefined ? containers.find((c) => c.id === id) : containers.find((c) => c.name === a.name)) ??
    fail(a, `no container ${id ?? a.name}`);

  for (const a of plan.actions) {
    switch (a.kind) {
      case 'create-container': {
        if (containers.some((c) => c.name === a.name)) fail(a, `name ${a.name} in use`);
        const ref = String(a.body['Image']);
        const img = resolveImage(ref, images) ?? fail(a, `image ${ref} not found`);
        const host = (a.body['HostConfig'] ?? {}) as Record<string, unknown>;
        const attached: Record<string, { networkId: string }> = {};
        const mode = host['NetworkMode'];
        for (const net of [...(typeof mode === 'string' ? [mode] : []), ...Object.keys(a.connect)]) {
          const found = networks.find((n) => n.name === net);
          if (found) attached[net] = { networkId: found.id };
          else if (net.startsWith('container:')) {
            if (!containers.some((c) => c.name === net.slice('container:'.length))) fail(a, `${net} not found`);
          } else if (!['host', 'bridge', 'none', 'default'].includes(net)) fail(a, `network ${net} not found`);
        }
        const mounts: ObservedMount[] = ((host['Mounts'] ?? []) as Record<string, unknown>[]).map((m) => {
          const type = String(m['Type']);
          if (type !== 'volume') return { type, source: String(m['Source'] ?? ''), destination: String(m['Target']) };
          const name = m['Source'] === undefined ? nextId('anon') : String(m['Source']);
          return { type, name, source: `/var/lib/docker/volumes/${name}/_data`, destination: String(m['Target']) };
        });
        containers.push({
          id: nextId('c'),
          name: a.name,
          labels: { ...(a.body['Labels'] as Record<string, string>) },
          state: 'created',
          image: ref,
          imageId: img.id,
          networks: attached,
          mounts,
          created: counter,
        });
        break;
      }
      case 'start-container': {
        const c = byRef(a, a.containerId);
        if (c.state === 'running') fail(a, 'already running');
        c.state = 'running';
        delete c.exitCode;
        break;
      }
      case 'run-pre-start': {
        // The hook container comes and goes (a successful hook); its donor must exist and not run yet.
        const host = (a.body['HostConfig'] ?? {}) as Record<string, unknown>;
        const donor = String((host['VolumesFrom'] as string[] | undefined)?.[0]);
        const found = containers.find((c) => c.id === donor || c.name === donor) ?? fail(a, `donor ${donor} not found`);
        if (found.state === 'running') fail(a, 'pre_start hook after its service started');
        const ref = String(a.body['Image']);
        if (!resolveImage(ref, images)) fail(a, `image ${ref} not found`);
        break;
      }
      case 'stop-container': {
        const c = byRef(a, a.containerId);
        c.state = 'exited';
        c.exitCode = 143;
        break;
      }
      case 'remove-container': {
        const c = byRef(a, a.containerId);
        if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') fail(a, 'container is running');
        containers.splice(containers.indexOf(c), 1);
        break;
      }
      case 'rename-container': {
        const c = byRef(a, a.containerId);
        if (containers.some((o) => o.name === a.newName && o !== c)) fail(a, `name ${a.newName} in use`);
        c.name = a.newName;
        break;
      }
      case 'connect-network': {
        const c = byRef(a);
        const n = networks.find((x) => x.name === a.network) ?? fail(a, 'no such network');
        c.networks = { ...c.networks, [a.network]: { networkId: n.id } };
        break;
      }
      case 'disconnect-network': {
        const c = byRef(a);
        const { [a.network]: _gone, ...rest } = c.networks;
        c.networks = rest;
        break;
      }
      case 'create-network': {
        if (networks.some((n) => n.name === a.name)) fail(a, 'network exists');
        networks.push({
          id: nextId('n'),
          name: a.name,
          labels: { ...(a.body['Labels'] as Record<string, string>) },
          driver: String(a.body['Driver'] ?? 'bridge'),
        });
        break;
      }
      case 'remove-network': {
        const n = networks.find((x) => x.id === a.networkId) ?? fail(a, 'no such network');
        if (containers.some((c) => c.state === 'running' && c.networks[n.name]?.networkId === n.id))
          fail(a, 'network has active endpoints');
        networks.splice(networks.indexOf(n), 1);
        break;
      }
      case 'create-volume': {
        if (volumes.some((v) => v.name === a.name)) fail(a, 'volume exists');
        volumes.push({
          name: a.name,
          labels: { ...(a.body['Labels'] as Record<string, string>) },
          driver: String(a.body['Driver'] ?? 'local'),
        });
        break;
      }
      case 'remove-volume': {
        const v = volumes.find((x) => x.name === a.name) ?? fail(a, 'no such volume');
        if (containers.some((c) => c.mounts.some((m) => m.name === v.name))) fail(a, 'volume in use');
        volumes.splice(volumes.indexOf(v), 1);
        break;
      }
      case 'pull-image':
      case 'build-image':
        images.push({
          id: fetchedImageId(a.image),
          repoTags: [normalizeImageRef(a.image)],
          repoDigests: [],
          created: counter,
        });
        break;
    }
  }
  return { project: observed.project, containers, networks, volumes, images };
}

/** The ID a pull or build of `ref` yields in the simulator (the generator uses it for containers whose image was deleted and comes back unchanged). */
export function fetchedImageId(ref: string): string {
  return `sha256:fetched-${normalizeImageRef(ref)}`;
}

/** True when a resource carries the project's ownership label. */
export function owned(labels: Readonly<Record<string, string>>, project: string): boolean {
  return labels[Label.project] === project;
}
