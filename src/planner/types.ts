/**
 * Observed state and the plan, as plain data: JSON-serialisable, no closures, no dockerode
 * types. The reconciler fills ObservedState from the engine and executes Plans; the planner
 * turns (StackModel, ObservedState) into a Plan.
 */

import type { DependencyCondition, HookSpec } from '../model.js';
import type { FileCopy } from './file-copies.js';

// ---------------------------------------------------------------- observed state

export type ContainerStateName = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** What the planner may need from `docker inspect` of a diverged container (for reasons only). */
export interface ObservedContainerDetail {
  /** The create body as the engine reports it (Config + HostConfig + NetworkingConfig-ish). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly hostConfig: Readonly<Record<string, unknown>>;
  /**
   * `Config.Env` of the image the container was created from (inspect of its ImageID). The
   * engine merges the image's variables into `config.Env`, so without this a variable removed
   * from the stack file cannot be told from one the image sets, and is not named.
   */
  readonly imageEnv?: readonly string[];
  /** `Config.Labels` of that image, merged into `config.Labels` alike (removed labels are named with it). */
  readonly imageLabels?: Readonly<Record<string, string>>;
}

export interface ObservedMount {
  readonly type: string;
  /** Volume name for volumes; host path for binds. */
  readonly name?: string;
  readonly source: string;
  readonly destination: string;
}

export interface ObservedContainer {
  readonly id: string;
  /** Without the leading slash. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: ContainerStateName;
  /** Exit code when exited (from inspect or parsed from the list Status). */
  readonly exitCode?: number;
  readonly health?: 'starting' | 'healthy' | 'unhealthy';
  /** Image reference as the container was created with it. */
  readonly image: string;
  readonly imageId: string;
  /** Networks (engine names) the container is attached to, with the network ID. */
  readonly networks: Readonly<Record<string, { readonly networkId: string }>>;
  readonly mounts: readonly ObservedMount[];
  /** Unix seconds. */
  readonly created: number;
  /** Present only when the reconciler inspected this container. */
  readonly detail?: ObservedContainerDetail;
}

export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly driver: string;
}

export interface ObservedVolume {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly driver: string;
}

export interface ObservedImage {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  /** Unix seconds. */
  readonly created: number;
}

/**
 * One snapshot of what the project owns on the engine: containers, networks and volumes with
 * the project label, external networks/volumes the model names (looked up by name), and the
 * images the model references.
 */
export interface ObservedState {
  readonly project: string;
  readonly containers: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  readonly images: readonly ObservedImage[];
}

// ---------------------------------------------------------------- the plan

/** `service:web:1`, `network:default`, `volume:data`, `image:web`. */
export type ResourceRef = string;

/** Stable snake_case codes for explaining the plan, never for decisions. */
export type ReasonCode =
  | 'missing'
  | 'diverged'
  | 'forced'
  | 'stopped'
  | 'dependency_restarted'
  | 'scale_up'
  | 'scale_down'
  | 'orphan'
  | 'duplicate'
  | 'leftover'
  | 'wrong_name'
  | 'recreate'
  | 'network_diverged'
  | 'volume_diverged'
  | 'down'
  | 'image_missing'
  | 'image_pull_always'
  | 'image_build'
  | 'pre_start'
  | 'hook_leftover';

export interface Reason {
  readonly code: ReasonCode;
  /** Human text. Names changed fields, never values of environment variables. */
  readonly detail: string;
}

interface ActionBase {
  /** Sequential, starting at 1. */
  readonly id: number;
  readonly resource: ResourceRef;
  readonly reason: Reason;
  /** Ids of earlier actions that must succeed first. */
  readonly dependsOn: readonly number[];
  /** Loses data the user may want (named volume removal, volume recreate). */
  readonly destructive: boolean;
}

/**
 * One depends_on condition a start waits for: the dependency's container (by engine name) must
 * be started, healthy or exited 0. `required: false` turns a failure into a warning.
 */
export interface WaitCondition {
  readonly service: string;
  readonly container: string;
  readonly condition: DependencyCondition;
  readonly required: boolean;
}

/** Engine create bodies, as the Engine API takes them (minus the name, carried separately). */
export type ContainerCreateBody = Readonly<Record<string, unknown>>;
export type NetworkCreateBody = Readonly<Record<string, unknown>>;
export type VolumeCreateBody = Readonly<Record<string, unknown>>;

export type Action =
  | (ActionBase & { readonly kind: 'create-network'; readonly name: string; readonly body: NetworkCreateBody })
  | (ActionBase & { readonly kind: 'remove-network'; readonly name: string; readonly networkId: string })
  | (ActionBase & { readonly kind: 'create-volume'; readonly name: string; readonly body: VolumeCreateBody })
  | (ActionBase & { readonly kind: 'remove-volume'; readonly name: string })
  | (ActionBase & {
      readonly kind: 'create-container';
      readonly name: string;
      readonly body: ContainerCreateBody;
      /**
       * Networks to connect after create (the engine attaches only one at create time on
       * API < 1.44): engine network name → EndpointConfig.
       */
      readonly connect: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
      /** For a replacement: anonymous volumes of the old container to carry over are already in body. */
      readonly replaces?: string;
      /**
       * For a replacement: targets of the old container's anonymous volumes mounted into it
       * (already in `body`; here so the plan shows it). Absent with `-V` or when there are none.
       */
      readonly carriedVolumes?: readonly string[];
      /** Secrets/configs written into the container after create, before any start (content masked in JSON). */
      readonly files?: readonly FileCopy[];
    })
  | (ActionBase & {
      readonly kind: 'start-container';
      readonly name: string;
      readonly containerId?: string;
      /** depends_on conditions to hold before this start (the executor waits; see src/reconciler/wait.ts). */
      readonly waitFor?: readonly WaitCondition[];
      /** `post_start` hooks run through exec, in order, once the container started; a failing one fails the action. */
      readonly postStart?: readonly HookSpec[];
    })
  | (ActionBase & {
      /**
       * One `pre_start` hook (src/planner/pre-start.ts): create the hook container, connect
       * `connect`, start it, follow its output, wait for its exit; exit 0 removes it, another
       * code fails the action and keeps it for inspection (as Compose).
       */
      readonly kind: 'run-pre-start';
      /** `<service> pre_start[<index>]`, as Compose names the hook in its output. */
      readonly name: string;
      readonly service: string;
      readonly index: number;
      readonly body: ContainerCreateBody;
      readonly connect: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
      /** The service's depends_on conditions: the first hook waits for them as a start would. */
      readonly waitFor?: readonly WaitCondition[];
    })
  | (ActionBase & {
      readonly kind: 'stop-container';
      readonly name: string;
      readonly containerId: string;
      readonly timeoutSeconds?: number;
      /**
       * Without timeoutSeconds, the grace the engine gives (the container's own, set from the
       * service's stop_grace_period): only recorded in the project lock before the stop, so a
       * run that takes over a dead holder waits long enough. Absent: 10 s.
       */
      readonly graceSeconds?: number;
      /** `pre_stop` hooks run through exec, in order, before the stop; a failing one fails the action. */
      readonly preStop?: readonly HookSpec[];
    })
  | (ActionBase & {
      readonly kind: 'remove-container';
      readonly name: string;
      readonly containerId: string;
      /** Also remove its anonymous volumes (the engine's `v=true`; named volumes are never removed this way). */
      readonly removeVolumes: boolean;
    })
  | (ActionBase & {
      readonly kind: 'rename-container';
      readonly name: string;
      readonly containerId?: string;
      readonly newName: string;
    })
  | (ActionBase & {
      readonly kind: 'connect-network';
      readonly name: string;
      readonly network: string;
      readonly endpoint: Readonly<Record<string, unknown>>;
    })
  | (ActionBase & { readonly kind: 'disconnect-network'; readonly name: string; readonly network: string })
  | (ActionBase & { readonly kind: 'pull-image'; readonly image: string; readonly platform?: string })
  | (ActionBase & { readonly kind: 'build-image'; readonly image: string; readonly service: string });

export type ActionKind = Action['kind'];

/**
 * Actions that act on a container created earlier in the same plan refer to it by `name`
 * (the executor resolves it); `containerId` is set when the container already exists.
 */
export interface Plan {
  /** Format version of the JSON plan. */
  readonly version: 1;
  readonly project: string;
  readonly actions: readonly Action[];
  /** Things the user should know that are not actions (orphans kept, volumes left drifted, ...). */
  readonly notes: readonly string[];
  /** Orphan containers found (resource refs), whether or not they are removed. */
  readonly orphans: readonly string[];
}

// ---------------------------------------------------------------- planner options

/** Flags of `stack up` that change the plan (Compose's names). */
export interface UpOptions {
  /** Only these services, plus their dependencies unless `noDeps`. Default: every enabled service. */
  readonly services?: readonly string[];
  /**
   * Recreate the containers of the named services (every service when none is named) even
   * when up to date; their dependencies only with `alwaysRecreateDeps` (Compose's scoping).
   */
  readonly forceRecreate?: boolean;
  /** `--always-recreate-deps`: recreate the dependencies of the named services even when up to date. */
  readonly alwaysRecreateDeps?: boolean;
  /** Never recreate an existing container, even a diverged one (it is still started and renamed). */
  readonly noRecreate?: boolean;
  /** With `services`: do not pull in their dependencies. */
  readonly noDeps?: boolean;
  /** Stop and remove containers of services no longer in the model. */
  readonly removeOrphans?: boolean;
  /** `-V`: recreated containers get fresh anonymous volumes instead of the old ones. */
  readonly renewAnonVolumes?: boolean;
  /** Replica count per service, overriding the model. */
  readonly scale?: Readonly<Record<string, number>>;
  /** Allow destructive actions (recreating a named volume whose configuration changed). */
  readonly allowDestructive?: boolean;
  /** Create containers but do not start them. */
  readonly noStart?: boolean;
  /**
   * The image step runs (or is shown) before this plan (`upStack`, `planStack`): emit no
   * pull/build actions for missing images, so images are decided once.
   */
  readonly imagesPrepared?: boolean;
  /**
   * Services left out of the plan although selected (their dependencies stay in): the target
   * of `stack run`, whose one-off container takes its place. Their containers are left alone.
   */
  readonly exclude?: readonly string[];
  /** Where the model's host paths really lead (symlinks resolved), for the host-access notes. */
  readonly hostPaths?: HostPaths;
}

/**
 * The model's host paths with symlinks resolved (src/pipeline/host-paths.ts), so the planner
 * judges where a path leads, not how it is spelled. Plain data; absent: paths as declared.
 */
export interface HostPaths {
  /** The project directory, resolved. */
  readonly projectDir: string;
  /** Declared absolute path → resolved path (a missing tail kept as written). */
  readonly real: Readonly<Record<string, string>>;
}

/** Flags of `stack down`. */
export interface DownOptions {
  /** `-v`: also remove the project's named volumes (destructive) and containers' anonymous volumes. */
  readonly volumes?: boolean;
  /** With a model: also remove containers of services not in it. Without a model everything of the project goes. */
  readonly removeOrphans?: boolean;
  /** Only these services' containers; networks and volumes are then kept. */
  readonly services?: readonly string[];
  /** Stop timeout passed to every stop action. */
  readonly timeoutSeconds?: number;
}
