/**
 * The engine as the rest of stack sees it: a narrow, typed interface over the Engine API with
 * plain JSON shapes (Engine API field names). No dockerode type leaks out of src/engine/.
 */
import type { Duplex, Readable } from 'node:stream';

/** Engine list filters, e.g. `{ label: ['com.docker.compose.project=demo'] }`. */
export type EngineFilters = Readonly<Record<string, readonly string[]>>;

/** The parts of an image's Config (GET /images/{name}/json) that the engine merges into a container's. */
export interface EngineImageConfig {
  readonly Env?: readonly string[] | null;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** One entry of GET /containers/json. */
export interface EngineContainer {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly ImageID: string;
  /** The command line the container runs (entrypoint and command), as `docker ps` shows it. */
  readonly Command?: string;
  readonly Labels: Readonly<Record<string, string>> | null;
  readonly State: string;
  readonly Status: string;
  readonly Created: number;
  readonly Mounts?: readonly {
    readonly Type: string;
    readonly Name?: string;
    readonly Source: string;
    readonly Destination: string;
  }[];
  readonly NetworkSettings?: { readonly Networks?: Readonly<Record<string, { readonly NetworkID: string }>> };
  readonly Ports?: readonly {
    readonly IP?: string;
    readonly PrivatePort: number;
    readonly PublicPort?: number;
    readonly Type: string;
  }[];
}

/** The parts of GET /containers/{id}/json stack reads. */
export interface EngineContainerInspect {
  readonly Id: string;
  readonly Name: string;
  /** The image ID the container was created from. */
  readonly Image?: string;
  readonly Created: string;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    /** Exited and waiting for its restart policy to start it again. */
    readonly Restarting?: boolean;
    /** The kernel's OOM killer ended it (exit 137 without a kill request). */
    readonly OOMKilled?: boolean;
    readonly ExitCode: number;
    readonly StartedAt: string;
    readonly FinishedAt: string;
    readonly Error?: string;
    readonly Health?: {
      readonly Status: string;
      readonly Log?: readonly { readonly ExitCode: number; readonly Output: string }[];
    };
  };
  readonly Config: Readonly<Record<string, unknown>> & {
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Tty?: boolean;
  };
  readonly HostConfig: Readonly<Record<string, unknown>>;
  readonly NetworkSettings?: Readonly<Record<string, unknown>>;
  readonly Mounts?: readonly {
    readonly Type: string;
    readonly Name?: string;
    readonly Source: string;
    readonly Destination: string;
  }[];
}

/** GET /containers/{id}/top: column titles and one row per process. */
export interface EngineTop {
  readonly Titles: readonly string[];
  readonly Processes: readonly (readonly string[])[];
}

/** The parts of GET /containers/{id}/stats that `stats` shows (cgroup v1 and v2 fields). */
export interface EngineStats {
  readonly cpu_stats?: {
    readonly cpu_usage?: { readonly total_usage?: number; readonly percpu_usage?: readonly number[] };
    readonly system_cpu_usage?: number;
    readonly online_cpus?: number;
  };
  readonly precpu_stats?: {
    readonly cpu_usage?: { readonly total_usage?: number };
    readonly system_cpu_usage?: number;
  };
  readonly memory_stats?: {
    readonly usage?: number;
    readonly limit?: number;
    readonly stats?: Readonly<Record<string, number>>;
  };
  readonly networks?: Readonly<Record<string, { readonly rx_bytes: number; readonly tx_bytes: number }>>;
  readonly blkio_stats?: {
    readonly io_service_bytes_recursive?: readonly { readonly op: string; readonly value: number }[] | null;
  };
  readonly pids_stats?: { readonly current?: number };
}

/** One entry of GET /networks. */
export interface EngineNetwork {
  readonly Id: string;
  readonly Name: string;
  readonly Driver: string;
  readonly Labels: Readonly<Record<string, string>> | null;
  /** `local` or `swarm`. */
  readonly Scope?: string;
  /**
   * The attached endpoints, from the node's own copy of a network. A swarm manager lists a
   * network of the cluster with `null` here; a map on a swarm-scoped entry means the cluster no
   * longer has it and the node's copy lingers until the node's tasks on it have stopped.
   */
  readonly Containers?: Readonly<Record<string, unknown>> | null;
}

/** One entry of GET /volumes. */
export interface EngineVolume {
  readonly Name: string;
  readonly Driver: string;
  readonly Labels: Readonly<Record<string, string>> | null;
}

/** One entry of GET /images/json. */
export interface EngineImage {
  readonly Id: string;
  readonly RepoTags: readonly string[] | null;
  readonly RepoDigests: readonly string[] | null;
  readonly Created: number;
}

/** One message of GET /events. */
export interface EngineEvent {
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  /** Unix seconds. */
  readonly time: number;
  readonly timeNano: number;
}

/** One chunk of container output, already demultiplexed. */
export interface LogChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

/** Options of a logs call. */
export interface LogsOptions {
  readonly follow?: boolean;
  readonly tail?: number | 'all';
  /** Unix seconds or an RFC 3339 / Go duration string the engine accepts. */
  readonly since?: number | string;
  /** Only lines before this time (unix seconds or a string the engine accepts), as `since`. */
  readonly until?: number | string;
  readonly timestamps?: boolean;
  /** The container runs with a TTY: its output is not multiplexed. */
  readonly tty: boolean;
  readonly signal?: AbortSignal;
}

/** A progress message of a pull; `error` is set when the engine reports a failure in-stream. */
export interface PullProgress {
  readonly status?: string;
  readonly id?: string;
  readonly error?: string;
}

/** Registry credentials as the Engine API takes them (X-Registry-Auth / X-Registry-Config). */
export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly serveraddress?: string;
}

/** The parts of GET /images/{name}/json stack reads. */
export interface EngineImageInspect {
  readonly Id: string;
  readonly RepoTags: readonly string[] | null;
  readonly RepoDigests: readonly string[] | null;
  /** RFC 3339. */
  readonly Created: string;
  readonly Config?: { readonly Labels?: Readonly<Record<string, string>> | null } | null;
  readonly Metadata?: { readonly LastTagTime?: string };
  /** Bytes. */
  readonly Size?: number;
  readonly Os?: string;
  readonly Architecture?: string;
}

/** Query parameters of POST /build (legacy builder), already in engine form. */
export interface BuildQuery {
  readonly dockerfile: string;
  readonly t: readonly string[];
  readonly buildargs?: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networkmode?: string;
  /** `host:ip` entries, sent as repeated `extrahosts` parameters. */
  readonly extrahosts?: readonly string[];
  readonly shmsize?: number;
  readonly cachefrom?: readonly string[];
  readonly nocache?: boolean;
  readonly pull?: boolean;
  readonly platform?: string;
}

/** What the registry says a reference points at (GET /distribution/{ref}/json). */
export interface DistributionDescriptor {
  /** `sha256:...` of the manifest (or manifest list) the tag points at. */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/**
 * The engine calls stack makes. Every method takes an optional AbortSignal; none sets a modem
 * timeout (that would kill events, logs and waits). Errors are StackErrors: ENGINE_UNREACHABLE,
 * ENGINE_PERMISSION, or EngineCallError (ENGINE_ERROR with the HTTP status).
 */
export interface Engine {
  /** `unix:///var/run/docker.sock`, `tcp://host:2376`, ... */
  readonly endpoint: string;
  /** The negotiated API version, e.g. `1.41`. */
  readonly apiVersion: string;
  listContainers(query: { all?: boolean; filters?: EngineFilters }, signal?: AbortSignal): Promise<EngineContainer[]>;
  inspectContainer(id: string, signal?: AbortSignal): Promise<EngineContainerInspect>;
  /** GET /images/{ref}/json, the configuration part; undefined when the engine has no such image. */
  inspectImageConfig(ref: string, signal?: AbortSignal): Promise<EngineImageConfig | undefined>;
  listNetworks(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineNetwork[]>;
  listVolumes(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineVolume[]>;
  listImages(filters?: EngineFilters, signal?: AbortSignal): Promise<EngineImage[]>;
  /** Creates a container; resolves to its ID. */
  createContainer(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string>;
  /** 304 (already started) is success. */
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** 304 (already stopped) is success. */
  stopContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void>;
  restartContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void>;
  /** 404 (already gone) is success. */
  removeContainer(id: string, options: { force?: boolean; volumes?: boolean }, signal?: AbortSignal): Promise<void>;
  renameContainer(id: string, newName: string, signal?: AbortSignal): Promise<void>;
  /** POST /containers/{id}/kill with `signal` (the engine's default SIGKILL when absent). */
  killContainer(id: string, signal?: string, abort?: AbortSignal): Promise<void>;
  pauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** GET /containers/{id}/top: the `ps` of the container's processes. */
  topContainer(id: string, signal?: AbortSignal): Promise<EngineTop>;
  /** GET /containers/{id}/stats?stream=false: one sample (with the previous one for CPU). */
  containerStats(id: string, signal?: AbortSignal): Promise<EngineStats>;
  createNetwork(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string>;
  /** 404 (already gone) is success. */
  removeNetwork(id: string, signal?: AbortSignal): Promise<void>;
  connectNetwork(
    network: string,
    container: string,
    endpoint: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<void>;
  disconnectNetwork(network: string, container: string, signal?: AbortSignal): Promise<void>;
  /**
   * Creates a volume, or returns the existing one of that name as it is (labels unchanged: the
   * engine's volume store locks per name, which the engine-side project lease relies on).
   */
  createVolume(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<EngineVolume>;
  /** 404 (already gone) is success. */
  removeVolume(name: string, signal?: AbortSignal): Promise<void>;
  /** GET /images/{ref}/json; undefined when the engine has no such image. */
  inspectImage(ref: string, signal?: AbortSignal): Promise<EngineImageInspect | undefined>;
  /**
   * POST /build with the context tar as the body. Resolves to the NDJSON progress stream once
   * the engine accepts the request; the build's own failure arrives in-band.
   */
  buildImage(
    context: Readable,
    query: BuildQuery,
    options?: { registryConfig?: Readonly<Record<string, RegistryAuth>>; signal?: AbortSignal },
  ): Promise<Readable>;
  /** POST /images/create?fromImage=ref: the NDJSON pull progress stream (errors in-band too). */
  pullImageStream(
    ref: string,
    options?: { auth?: RegistryAuth; platform?: string; signal?: AbortSignal },
  ): Promise<Readable>;
  /** POST /images/{repo}/push?tag=: the NDJSON push progress stream. */
  pushImage(repo: string, tag: string, options?: { auth?: RegistryAuth; signal?: AbortSignal }): Promise<Readable>;
  tagImage(source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void>;
  /** 404 (already gone) is success. */
  removeImage(ref: string, options?: { force?: boolean; signal?: AbortSignal }): Promise<void>;
  /** Asks the registry, through the engine, which digest `ref` points at now. 404/401 reject. */
  inspectDistribution(
    ref: string,
    options?: { auth?: RegistryAuth; signal?: AbortSignal },
  ): Promise<DistributionDescriptor>;
  /** PUT /containers/{id}/archive: extracts `tar` at `path` in the container. */
  putArchive(
    container: string,
    tar: Buffer,
    path: string,
    signal?: AbortSignal,
    options?: { readonly copyUIDGID?: boolean },
  ): Promise<void>;
  /** GET /containers/{id}/archive: `path` in the container as a tar stream. */
  getArchive(container: string, path: string, signal?: AbortSignal): Promise<Readable>;
  /** Pulls an image; an in-stream error rejects (PULL_FAILED). */
  pullImage(
    ref: string,
    options: { platform?: string; signal?: AbortSignal; onProgress?: (p: PullProgress) => void },
  ): Promise<void>;
  /** The event stream from `since` (unix seconds, default now), until the signal aborts or `until`. */
  events(options: {
    since?: number;
    until?: number;
    filters?: EngineFilters;
    signal?: AbortSignal;
  }): AsyncIterable<EngineEvent>;
  /** Container output, demultiplexed unless the container has a TTY. */
  containerLogs(id: string, options: LogsOptions): AsyncIterable<LogChunk>;
  /** Creates an exec instance; resolves to its ID. */
  createExec(container: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<string>;
  /** Starts an exec with a hijacked connection (stdin writable, output readable; multiplexed unless tty). */
  startExec(id: string, options: { tty: boolean; stdin: boolean; signal?: AbortSignal }): Promise<Duplex>;
  inspectExec(
    id: string,
    signal?: AbortSignal,
  ): Promise<{ readonly ExitCode: number | null; readonly Running: boolean }>;
  resizeExec(id: string, rows: number, columns: number): Promise<void>;
  /**
   * Attaches to a container's streams with a hijacked connection (stdin writable when `stdin`;
   * multiplexed unless tty).
   */
  attachContainer(id: string, options: { stdin: boolean; detachKeys?: string; signal?: AbortSignal }): Promise<Duplex>;
  /**
   * POST /containers/{id}/wait. Resolves once the engine has registered the wait (so a
   * `next-exit` wait set up before a start cannot miss the exit); `exitCode` resolves when the
   * condition holds.
   */
  waitContainer(
    id: string,
    condition: 'not-running' | 'next-exit' | 'removed',
    signal?: AbortSignal,
  ): Promise<{ readonly exitCode: Promise<number> }>;
  resizeContainer(id: string, rows: number, columns: number): Promise<void>;
}

// Swarm: the calls of the swarm target (src/targets/swarm), on a manager node. Plain Engine API
// JSON; the service spec is the target's own value (src/targets/swarm/spec.ts) and travels as is.

/** The swarm part of GET /info. */
export interface SwarmNodeInfo {
  /** `inactive`, `pending`, `active`, `error`, `locked`. */
  readonly LocalNodeState: string;
  /** true on a manager. */
  readonly ControlAvailable: boolean;
  readonly NodeID: string;
  readonly Nodes?: number;
  readonly Managers?: number;
}

/** One entry of GET /nodes. */
export interface SwarmNode {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Spec?: {
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Role?: string;
    readonly Availability?: string;
  };
  readonly Status?: { readonly State?: string; readonly Addr?: string };
}

/** A versioned swarm object (services, secrets, configs): `Version.Index` is its optimistic-concurrency token. */
export interface SwarmVersion {
  readonly Index: number;
}

/** One entry of GET /services (and GET /services/{id}). */
export interface SwarmService {
  readonly ID: string;
  readonly Version: SwarmVersion;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  /** The spec as the engine stores it (our ServiceSpec plus the defaults it filled in). */
  readonly Spec: Readonly<Record<string, unknown>> & {
    readonly Name: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
  };
  readonly PreviousSpec?: Readonly<Record<string, unknown>>;
  readonly UpdateStatus?: {
    readonly State?: string;
    readonly Message?: string;
    readonly StartedAt?: string;
    readonly CompletedAt?: string;
  };
  /** With `status=true` (API 1.41): running and desired task counts. */
  readonly ServiceStatus?: {
    readonly RunningTasks: number;
    readonly DesiredTasks: number;
    readonly CompletedTasks?: number;
  };
}

/** One entry of GET /tasks. */
export interface SwarmTask {
  readonly ID: string;
  readonly ServiceID: string;
  readonly NodeID?: string;
  readonly Slot?: number;
  readonly DesiredState: string;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  /** The service version the task was made from. */
  readonly Version?: SwarmVersion;
  /** A copy of the task template the task was made from (container spec, resources, placement, ...). */
  readonly Spec?: Readonly<Record<string, unknown>>;
  readonly Status: {
    readonly State: string;
    readonly Message?: string;
    readonly Err?: string;
    readonly Timestamp?: string;
    readonly ContainerStatus?: { readonly ContainerID?: string; readonly ExitCode?: number };
    readonly PortStatus?: {
      readonly Ports?: readonly {
        readonly Protocol?: string;
        readonly TargetPort?: number;
        readonly PublishedPort?: number;
        readonly PublishMode?: string;
      }[];
    };
  };
}

/** One entry of GET /secrets or GET /configs (data is never returned for secrets). */
export interface SwarmFileObject {
  readonly ID: string;
  readonly Version: SwarmVersion;
  readonly Spec: { readonly Name: string; readonly Labels?: Readonly<Record<string, string>> | null };
}

/** Options of a service logs call. */
export interface ServiceLogsOptions {
  readonly follow?: boolean;
  readonly tail?: number | 'all';
  /** Only lines from this time on (unix seconds). */
  readonly since?: number;
  readonly timestamps?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The Swarm calls, on the same endpoint and request policy as Engine (reads retried, writes
 * sent once, AmbiguousWriteError when no reply). Writes resolve to the created object's ID.
 */
export interface SwarmEngine {
  /** The swarm part of GET /info (works on any node, in or out of a swarm). */
  swarmInfo(signal?: AbortSignal): Promise<SwarmNodeInfo>;
  /** GET /swarm: the cluster's ID and spec (managers only). */
  inspectSwarm(
    signal?: AbortSignal,
  ): Promise<{ readonly ID: string; readonly Spec?: Readonly<Record<string, unknown>> }>;
  listNodes(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmNode[]>;
  /** With running/desired task counts. */
  listServices(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmService[]>;
  /** undefined when there is no such service. */
  inspectService(id: string, signal?: AbortSignal): Promise<SwarmService | undefined>;
  /**
   * `auth`: registry credentials sent as X-Registry-Auth; the manager stores them with the
   * service so the nodes can pull a private image (`docker stack deploy --with-registry-auth`).
   */
  createService(
    spec: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
    options?: { readonly auth?: RegistryAuth },
  ): Promise<string>;
  /**
   * Only `version` goes in the query, the spec in the body; a stale version is a 500 "update
   * out of sequence". Without `auth` the service keeps the credentials it was given before.
   */
  updateService(
    id: string,
    version: number,
    spec: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
    options?: { readonly auth?: RegistryAuth },
  ): Promise<void>;
  /** 404 (already gone) is success. */
  removeService(id: string, signal?: AbortSignal): Promise<void>;
  listTasks(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmTask[]>;
  listSecrets(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmFileObject[]>;
  createSecret(
    name: string,
    data: Buffer,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string>;
  /** 404 (already gone) is success. */
  removeSecret(id: string, signal?: AbortSignal): Promise<void>;
  listConfigs(filters?: EngineFilters, signal?: AbortSignal): Promise<SwarmFileObject[]>;
  createConfig(
    name: string,
    data: Buffer,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string>;
  /** 404 (already gone) is success. */
  removeConfig(id: string, signal?: AbortSignal): Promise<void>;
  /** The output of every task of a service, demultiplexed. */
  serviceLogs(id: string, options: ServiceLogsOptions): AsyncIterable<LogChunk>;
}
