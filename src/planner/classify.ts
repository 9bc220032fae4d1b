/**
 * Classification of observed containers, as ordered rule tables (first match wins). Each rule
 * carries why it is where it is; reorder only with that in mind.
 */
import { Label } from '../labels.js';
import type { StackModel } from '../model.js';
import type { DesiredContainer } from './desired.js';
import { rehashContainer } from './desired.js';
import { HASH_VERSION, hashVersion } from './hash.js';
import type { ObservedContainer } from './types.js';

/** What an observed container is to the planner. */
export type ContainerClass =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'leftover' }
  | { readonly kind: 'hook'; readonly service: string }
  | { readonly kind: 'orphan' }
  | { readonly kind: 'unnumbered'; readonly service: string }
  | { readonly kind: 'replica'; readonly service: string; readonly number: number };

/** What the container rules look at besides the container. */
export interface ClassifyContext {
  readonly project: string;
  readonly model: StackModel;
  /** Services this run acts on. */
  readonly selected: ReadonlySet<string>;
  /** IDs of every observed container (to tell whether a replacement's original still exists). */
  readonly observedIds: ReadonlySet<string>;
}

interface ContainerRule {
  readonly name: string;
  readonly test: (c: ObservedContainer, ctx: ClassifyContext) => ContainerClass | undefined;
}

const serviceOf = (c: ObservedContainer): string | undefined => c.labels[Label.service];

/** The container rules, in order. */
export const CONTAINER_RULES: readonly ContainerRule[] = [
  {
    // Safety first: whatever the snapshot holds, a container of another project (or none) is
    // never ours to touch, whatever its name says.
    name: 'foreign',
    test: (c, ctx) => (c.labels[Label.project] !== ctx.project ? { kind: 'ignore' } : undefined),
  },
  {
    // `stack run` / `compose run` containers belong to the user's session; up leaves them be.
    name: 'one-off',
    test: (c) => (c.labels[Label.oneoff] === 'True' ? { kind: 'ignore' } : undefined),
  },
  {
    // A pre_start hook container (Compose's hook label) is never a replica. One is left only
    // when its hook failed (kept for inspection, as Compose does); Compose removes it when the
    // hooks run again, so it goes when its service is part of the run.
    name: 'hook',
    test: (c, ctx) => {
      if (c.labels[Label.hook] === undefined) return undefined;
      const service = serviceOf(c) ?? '';
      return ctx.selected.has(service) ? { kind: 'hook', service } : { kind: 'ignore' };
    },
  },
  {
    // A replacement whose original still exists: the recreate stopped before `remove old`.
    // Its config may be stale and it holds a temp name, so remove it and replan the recreate
    // from the original. (Before the orphan rule: a leftover of a deleted service is still a
    // leftover, and removing it needs no --remove-orphans.)
    name: 'leftover',
    test: (c, ctx) => {
      const replaces = c.labels[Label.replaces];
      return replaces !== undefined && ctx.observedIds.has(replaces) && replaces !== c.id
        ? { kind: 'leftover' }
        : undefined;
    },
  },
  {
    // Service gone from the model (and not merely switched off by a profile): an orphan.
    name: 'orphan',
    test: (c, ctx) => {
      const service = serviceOf(c);
      if (service !== undefined && (service in ctx.model.services || ctx.model.disabledServices.includes(service)))
        return undefined;
      return { kind: 'orphan' };
    },
  },
  {
    // Profiles switched the service off or the user named other services: Compose leaves
    // these containers exactly as they are, and so do we.
    name: 'not-selected',
    test: (c, ctx) => (ctx.selected.has(serviceOf(c)!) ? undefined : { kind: 'ignore' }),
  },
  {
    // A container of a known service without a usable replica number cannot hold a slot;
    // it is surplus and goes like a duplicate.
    name: 'unnumbered',
    test: (c) => {
      const n = c.labels[Label.containerNumber];
      return n === undefined || !/^[1-9][0-9]{0,5}$/.test(n)
        ? { kind: 'unnumbered', service: serviceOf(c)! }
        : undefined;
    },
  },
  {
    // Everything else competes for its replica slot (duplicates are resolved per slot).
    name: 'replica',
    test: (c) => ({ kind: 'replica', service: serviceOf(c)!, number: Number(c.labels[Label.containerNumber]) }),
  },
];

/** Applies CONTAINER_RULES; the last rule always matches. */
export function classifyContainer(c: ObservedContainer, ctx: ClassifyContext): ContainerClass {
  for (const rule of CONTAINER_RULES) {
    const result = rule.test(c, ctx);
    if (result) return result;
  }
  return { kind: 'ignore' };
}

/** How an existing container compares with its desired config. */
export type Freshness = 'up-to-date' | 'diverged' | 'unknown-scheme' | 'unhashed';

/**
 * Compares the container's `dev.stack.config-hash` with the desired hash.
 *
 * - A hash with another version prefix was written by another stack release: we cannot
 *   recompute it, and recreating the whole fleet on upgrade is worse than a stale container,
 *   so it counts as up to date and the plan notes `--force-recreate`.
 * - No hash at all (created by Compose or by hand under our labels): its config is unknown,
 *   so it is diverged.
 * - The image part of the hash: a container created while the image was not observed was
 *   hashed with `ref:<image>`; it is up to date if it runs the image the ref now resolves to.
 *   Conversely, if the image is not observed now, a container hashed with an ID is up to
 *   date if that ID is the one it runs and its image ref is the wanted one.
 */
export function freshness(
  c: ObservedContainer,
  desired: DesiredContainer,
  resolvedImageId: string | undefined,
): Freshness {
  const label = c.labels[Label.configHash];
  const version = hashVersion(label);
  if (label === undefined || version === undefined) return 'unhashed';
  if (version !== HASH_VERSION) return 'unknown-scheme';
  if (label === desired.hash) return 'up-to-date';
  // The image keys the container may have been hashed with (see above), each under the current
  // v1 inputs and the former ones (depends_on was hashed: containers created then are not
  // recreated for that alone).
  const keys = [desired.imageKey];
  if (resolvedImageId !== undefined && c.imageId === resolvedImageId) keys.push(`ref:${desired.imageRef}`);
  if (resolvedImageId === undefined && c.image === desired.imageRef) keys.push(c.imageId);
  for (const [i, key] of keys.entries()) {
    if (i > 0 && label === rehashContainer(desired, key)) return 'up-to-date';
    if (label === rehashContainer(desired, key, 'former')) return 'up-to-date';
  }
  return 'diverged';
}

/** Inputs of the replica decision. */
export interface ReplicaFacts {
  readonly freshness: Freshness;
  readonly state: ObservedContainer['state'];
  readonly exitCode?: number;
  /** Attached to a network that is no longer the observed one (or not attached to a wanted one). */
  readonly staleNetwork: boolean;
  /** A donor it is built on (network_mode/pid/ipc service:x, volumes_from) is or was replaced: why. */
  readonly staleDonor?: string;
  /** Some service waits for this one with service_completed_successfully. */
  readonly runOnce: boolean;
  readonly forceRecreate: boolean;
  readonly noRecreate: boolean;
  readonly noStart: boolean;
}

/** What to do with a kept replica. */
export type ReplicaVerdict =
  | { readonly action: 'recreate'; readonly code: 'forced' | 'diverged'; readonly detail?: string }
  | { readonly action: 'keep'; readonly start: boolean };

interface ReplicaRule {
  readonly name: string;
  readonly test: (f: ReplicaFacts) => ReplicaVerdict | undefined;
}

const RUNNABLE: ReadonlySet<string> = new Set(['created', 'exited']);

/** The replica rules, in order. */
export const REPLICA_RULES: readonly ReplicaRule[] = [
  {
    // A dead container can neither start nor be repaired in place; no flag keeps it.
    name: 'dead',
    test: (f) =>
      f.state === 'dead' ? { action: 'recreate', code: 'diverged', detail: 'container is dead' } : undefined,
  },
  {
    // The user asked for it; before freshness so even up-to-date containers go.
    name: 'force-recreate',
    test: (f) => (f.forceRecreate ? { action: 'recreate', code: 'forced' } : undefined),
  },
  {
    // --no-recreate keeps whatever exists; it only gets started.
    name: 'no-recreate',
    test: (f) => (f.noRecreate ? { action: 'keep', start: shouldStart(f) } : undefined),
  },
  {
    // A network was recreated under it (an interrupted network repair): the endpoint points
    // at a network ID that no longer exists, so the container would fail to start.
    name: 'stale-network',
    test: (f) => (f.staleNetwork ? { action: 'recreate', code: 'diverged', detail: 'networks' } : undefined),
  },
  {
    // Its network namespace or volumes come from a container that is gone or being replaced:
    // kept, it would run without a network (or with the old volumes) and look converged.
    name: 'stale-donor',
    test: (f) =>
      f.staleDonor !== undefined ? { action: 'recreate', code: 'diverged', detail: f.staleDonor } : undefined,
  },
  {
    // Config changed, or created by a tool that wrote no stack hash.
    name: 'diverged',
    test: (f) =>
      f.freshness === 'diverged' || f.freshness === 'unhashed'
        ? {
            action: 'recreate',
            code: 'diverged',
            ...(f.freshness === 'unhashed' ? { detail: 'no dev.stack.config-hash label' } : {}),
          }
        : undefined,
  },
  {
    // Up to date (or hashed by another scheme, see freshness): keep, start if stopped.
    name: 'keep',
    test: (f) => ({ action: 'keep', start: shouldStart(f) }),
  },
];

/**
 * Start a stopped replica, except a run-once job that already succeeded (others wait for it
 * with service_completed_successfully; rerunning it would repeat its side effects).
 */
function shouldStart(f: ReplicaFacts): boolean {
  if (f.noStart || !RUNNABLE.has(f.state)) return false;
  return !(f.runOnce && f.state === 'exited' && f.exitCode === 0);
}

/** Applies REPLICA_RULES; the last rule always matches. */
export function decideReplica(f: ReplicaFacts): ReplicaVerdict {
  for (const rule of REPLICA_RULES) {
    const result = rule.test(f);
    if (result) return result;
  }
  return { action: 'keep', start: false };
}
