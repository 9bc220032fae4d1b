/**
 * The desired state of a stack on Swarm, as plain data: services with their Engine API
 * ServiceSpec and hashes, networks, secrets and configs with their engine names. What convert
 * produces and the planner compares with the observed state.
 */

/** A ServiceSpec as the Engine API takes it (POST /services/create and /update). */
export type ServiceSpecBody = Readonly<Record<string, unknown>> & {
  readonly Name: string;
  readonly Labels: Readonly<Record<string, string>>;
};

/** One service to be, keyed by its name in the file. */
export interface DesiredService {
  /** Key in the file (`web`). */
  readonly key: string;
  /** Engine name: `<project>_<key>`. */
  readonly name: string;
  /**
   * The spec to send, with our labels. Secret and config references carry `SecretName` /
   * `ConfigName` only: the executor fills in their IDs, which exist only once created.
   * convert computes it on first read (with fieldHashes): a plan reads it only for a service
   * it creates or updates.
   */
  readonly spec: ServiceSpecBody;
  /** `v1:<sha256>` of the spec without our hash labels (also in `spec.Labels`). */
  readonly hash: string;
  /**
   * One short hash per field group (also in `spec.Labels`): the plan names what changed.
   * Computed on first read, like `spec`: they are one sha256 each, most of a no-op's convert.
   */
  readonly fieldHashes: Readonly<Record<string, string>>;
  /** The kind of the spec's `Mode` (`Replicated`, `Global`, `ReplicatedJob`, `GlobalJob`). */
  readonly mode: string;
  /** The image of the spec's ContainerSpec (pinned by digest where the registry was asked). */
  readonly image?: string;
  /** Keys of the services this one depends on (created before it). */
  readonly dependsOn: readonly string[];
  /** Tasks it should have running once converged; undefined for global and job modes. */
  readonly replicas?: number;
  /** A job (replicated-job, global-job): converged when its tasks have completed, not when they run. */
  readonly job: boolean;
  readonly hasHealthcheck: boolean;
}

/** A network to be. External networks are only looked up. */
export interface DesiredNetwork {
  readonly key: string;
  readonly name: string;
  readonly external: boolean;
  /** POST /networks/create body without Name, with our hash labels. */
  readonly body: Readonly<Record<string, unknown>>;
  /** `v1:<sha256>` of the body's field groups (also the `dev.stack.resource-hash` label). */
  readonly hash: string;
  /** One short hash per field group (also in the body's labels): a plan names what changed. */
  readonly fieldHashes: Readonly<Record<string, string>>;
}

/** A secret or config to be: its name carries a hash of its content (rotation by name). */
export interface DesiredFileObject {
  readonly kind: 'secret' | 'config';
  readonly key: string;
  /** `<name>_<content hash>` or, when external, the name as written. */
  readonly name: string;
  readonly external: boolean;
  /** Base64 of the content (absent when external). */
  readonly data?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Everything the stack should be on the cluster. */
export interface DesiredSwarm {
  readonly project: string;
  readonly services: readonly DesiredService[];
  readonly networks: readonly DesiredNetwork[];
  readonly secrets: readonly DesiredFileObject[];
  readonly configs: readonly DesiredFileObject[];
}
