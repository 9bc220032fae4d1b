/**
 * One snapshot of what a stack has on the cluster, as plain data: services, networks,
 * secrets and configs carrying the namespace label. Filled by observe.ts, read by the planner;
 * tests write it as literals.
 */

/** A service of the stack as the manager reports it. */
export interface ObservedService {
  readonly id: string;
  /** Engine name `<project>_<key>`. */
  readonly name: string;
  /** The service's version: an update must carry it (optimistic concurrency). */
  readonly version: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The image of the current spec. */
  readonly image?: string;
  /** Replicas of the current spec (replicated mode only). */
  readonly replicas?: number;
  /** The kind of `Spec.Mode`: `Replicated`, `Global`, `ReplicatedJob`, `GlobalJob`. Swarm cannot update it. */
  readonly mode?: string;
  /** The networks its spec joins, as the spec names them (the manager stores IDs). */
  readonly networks?: readonly string[];
  /** `UpdateStatus.State` (updating, completed, rollback_completed, ...). */
  readonly updateState?: string;
  readonly runningTasks?: number;
  readonly desiredTasks?: number;
}

/** A network, secret or config of the stack. */
export interface ObservedObject {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What the stack has on the cluster. */
export interface ObservedSwarm {
  readonly project: string;
  readonly services: readonly ObservedService[];
  readonly networks: readonly ObservedObject[];
  /**
   * Names of networks the cluster removed that the manager still lists (its own copy, until its
   * tasks on them have stopped): a network of that name cannot be created or joined yet.
   */
  readonly lingeringNetworks?: readonly string[];
  readonly secrets: readonly ObservedObject[];
  readonly configs: readonly ObservedObject[];
}

/** An observation made ahead of the loop (while the registry was asked), and when it was read. */
export interface PrefetchedObservation {
  readonly snapshot: Promise<ObservedSwarm>;
  /** Date.now() when the reads were sent. */
  readonly at: number;
}
