/**
 * The StackModel: what the loader produces and the planner consumes. Readonly, plain data,
 * every short syntax already turned into the long one, every relative path resolved,
 * interpolation done. Durations are nanoseconds, sizes are bytes.
 */
import type { Diagnostic, SourceLocation } from './errors.js';

/** A fully resolved project. Only enabled services (profiles applied) are in `services`. */
export interface StackModel {
  /** Project name, normalized to [a-z0-9_-]. */
  readonly name: string;
  /** Absolute project directory (relative paths in the files resolve against it). */
  readonly workingDir: string;
  /** Absolute paths of the stack files, in merge order. */
  readonly configFiles: readonly string[];
  /** Every file the model was read from (stack files, extended files, .env, env_files): watch mode watches these. */
  readonly sourceFiles: readonly string[];
  /** Enabled services by name. */
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** Services present in the files but disabled by profiles. */
  readonly disabledServices: readonly string[];
  /** Networks by key, including `default` when any service uses it. */
  readonly networks: Readonly<Record<string, NetworkSpec>>;
  /** Named volumes by key. */
  readonly volumes: Readonly<Record<string, VolumeSpec>>;
  readonly secrets: Readonly<Record<string, SecretSpec>>;
  readonly configs: Readonly<Record<string, ConfigSpec>>;
  /** Every profile named by any service, sorted. */
  readonly profiles: readonly string[];
  /** Warnings the loader found (unsupported keys, coerced booleans, ...). */
  readonly warnings: readonly Diagnostic[];
  /** Top-level extension fields (`x-*`), kept for `stack config`. */
  readonly extensions: Readonly<Record<string, unknown>>;
  /**
   * Top-level `models` as written (interpolated): stack runs no model runner, so they are only
   * shown by `stack config`; `up` refuses a service that uses one.
   */
  readonly models?: Readonly<Record<string, unknown>>;
}

export type Protocol = 'tcp' | 'udp' | 'sctp';

/** One published or exposed port, long syntax. A short-syntax range becomes one entry per port. */
export interface PortSpec {
  readonly target: number;
  /** Host port or range (`"8080"`, `"8080-8081"`); undefined = expose only / random host port when published is "". */
  readonly published?: string;
  readonly hostIp?: string;
  readonly protocol: Protocol;
  readonly mode: 'ingress' | 'host';
  readonly name?: string;
  readonly appProtocol?: string;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

/**
 * One mount, long syntax. `source` of a bind is absolute; of a named volume it is the volume key;
 * absent for anonymous volumes and tmpfs.
 */
export interface MountSpec {
  readonly type: MountType;
  readonly source?: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly consistency?: string;
  readonly bind?: { readonly propagation?: string; readonly createHostPath: boolean; readonly selinux?: 'z' | 'Z' };
  readonly volume?: { readonly nocopy: boolean; readonly subpath?: string };
  readonly tmpfs?: { readonly size?: number; readonly mode?: number };
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOnSpec {
  readonly condition: DependencyCondition;
  readonly required: boolean;
  readonly restart: boolean;
}

/** Healthcheck with the test in exec form: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. Durations in ns. */
export interface HealthcheckSpec {
  readonly test?: readonly string[];
  readonly interval?: number;
  readonly timeout?: number;
  readonly retries?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly disable: boolean;
}

export interface BuildSpec {
  /** Absolute context directory (or a URL, kept as written). */
  readonly context: string;
  /** Dockerfile path relative to the context, default `Dockerfile`. */
  readonly dockerfile?: string;
  readonly dockerfileInline?: string;
  readonly args: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly network?: string;
  readonly extraHosts: readonly string[];
  readonly shmSize?: number;
  readonly cacheFrom: readonly string[];
  readonly noCache?: boolean;
  readonly pull?: boolean;
  readonly platforms: readonly string[];
}

/** How this service attaches to one network. */
export interface ServiceNetworkSpec {
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly priority?: number;
  readonly macAddress?: string;
  readonly linkLocalIps: readonly string[];
}

export interface UlimitSpec {
  readonly soft: number;
  readonly hard: number;
}

export interface LoggingSpec {
  readonly driver?: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface DeviceSpec {
  readonly source: string;
  readonly target: string;
  readonly permissions: string;
}

export interface ServiceFileRef {
  /** Key in the top-level `secrets`/`configs`. */
  readonly source: string;
  readonly target: string;
  readonly uid?: string;
  readonly gid?: string;
  readonly mode?: number;
}

export type PullPolicy = 'always' | 'never' | 'missing' | 'build' | 'daily' | 'weekly' | `every_${string}`;

export type WatchAction = 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';

export interface WatchRule {
  readonly action: WatchAction;
  /** Absolute host path. */
  readonly path: string;
  readonly target?: string;
  readonly include: readonly string[];
  readonly ignore: readonly string[];
  readonly initialSync: boolean;
  readonly exec?: {
    readonly command: readonly string[];
    readonly user?: string;
    readonly privileged?: boolean;
    readonly workingDir?: string;
    readonly environment: Readonly<Record<string, string>>;
  };
}

/** A lifecycle hook (`post_start`, `pre_stop`): a command run in the service's container through exec. */
export interface HookSpec {
  readonly command: readonly string[];
  readonly user?: string;
  readonly privileged: boolean;
  readonly workingDir?: string;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A `pre_start` hook (Compose v2): an ephemeral container run to completion before the
 * service's containers start, once per service when none of them is running. It shares the
 * volumes of the first replica to start (`volumes_from`) and joins the service's networks.
 */
export interface PreStartHookSpec {
  /** The command; absent: the image's own. */
  readonly command?: readonly string[];
  /** The image; absent: the service's image. */
  readonly image?: string;
  readonly user?: string;
  readonly privileged: boolean;
  readonly workingDir?: string;
  /** Added to (and overriding) the service's environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** `per_replica: true` (once per replica), which Compose does not run yet either: `up` refuses it. */
  readonly perReplica: boolean;
}

/** Resource limits, from top-level keys or `deploy.resources` (bytes, nano-CPUs as a float of CPUs). */
export interface ResourcesSpec {
  readonly cpus?: number;
  readonly cpuShares?: number;
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  readonly cpuset?: string;
  readonly memLimit?: number;
  readonly memReservation?: number;
  readonly memswapLimit?: number;
  readonly pidsLimit?: number;
  readonly oomKillDisable?: boolean;
  readonly oomScoreAdj?: number;
  readonly shmSize?: number;
}

/** One service, long syntax, fully resolved. Absent optional fields mean "engine default". */
/** One `volumes_from` entry: `svc`, `svc:ro`, `container:name`, `container:name:rw`. */
export interface VolumesFromSpec {
  readonly kind: 'service' | 'container';
  readonly name: string;
  readonly readOnly: boolean;
}

export interface ServiceSpec {
  readonly name: string;
  readonly image?: string;
  readonly build?: BuildSpec;
  readonly pullPolicy?: PullPolicy;
  /** Replaces the image's CMD; `[]` means an explicit empty command. */
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  /** env_file values overlaid by `environment`; `null` = a bare key with no value in the shell. */
  readonly environment: Readonly<Record<string, string | null>>;
  /** The env_files read (absolute), for watch mode. */
  readonly envFiles: readonly { readonly path: string; readonly required: boolean }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ports: readonly PortSpec[];
  /** `expose:` entries as ports without `published`, e.g. "3000" or "3000/udp". */
  readonly expose: readonly string[];
  readonly volumes: readonly MountSpec[];
  /** `tmpfs:` entries ("/run" or "/run:size=64m"). */
  readonly tmpfs: readonly string[];
  readonly dependsOn: Readonly<Record<string, DependsOnSpec>>;
  readonly healthcheck?: HealthcheckSpec;
  /** Networks by key; empty when `networkMode` is set. */
  readonly networks: Readonly<Record<string, ServiceNetworkSpec>>;
  /** `network_mode` as written (`host`, `none`, `bridge`, `service:x`, `container:x`). */
  readonly networkMode?: string;
  /** `volumes_from`: another service's (replica 1) or a container's mounts, read-only or not. */
  readonly volumesFrom?: readonly VolumesFromSpec[];
  /** `links`: the service reachable under `alias` from this one (a dependency too). */
  readonly links?: readonly { readonly service: string; readonly alias: string }[];
  /** `host:ip` entries. */
  readonly extraHosts: readonly string[];
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOpt: readonly string[];
  readonly ulimits: Readonly<Record<string, UlimitSpec>>;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly devices: readonly DeviceSpec[];
  readonly groupAdd: readonly string[];
  readonly securityOpt: readonly string[];
  readonly privileged: boolean;
  readonly init?: boolean;
  readonly readOnly: boolean;
  readonly tty: boolean;
  readonly stdinOpen: boolean;
  readonly user?: string;
  readonly workingDir?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly macAddress?: string;
  readonly pid?: string;
  readonly ipc?: string;
  readonly platform?: string;
  readonly stopSignal?: string;
  /** ns */
  readonly stopGracePeriod?: number;
  /** `no`, `always`, `on-failure`, `on-failure:N`, `unless-stopped`. */
  readonly restart?: string;
  readonly containerName?: string;
  /** Number of replicas (`scale`, `deploy.replicas`), default 1. */
  readonly replicas: number;
  readonly logging?: LoggingSpec;
  readonly resources: ResourcesSpec;
  readonly secrets: readonly ServiceFileRef[];
  readonly configs: readonly ServiceFileRef[];
  /** The service's extension fields (`x-*`), kept for `stack config` as Compose does. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** `provider:` type: the service is run by an external component, which stack does not have. */
  readonly provider?: string;
  /** Run in order after each start of a container (Compose's `post_start`). */
  readonly postStart: readonly HookSpec[];
  /** Run in order before stack stops a running container (Compose's `pre_stop`). */
  readonly preStop: readonly HookSpec[];
  /** Run in order, each in its own container, before the service's containers start (Compose's `pre_start`). */
  readonly preStart: readonly PreStartHookSpec[];
  /** Keys of the top-level `models` the service uses (`models:`): `up` refuses to run it. */
  readonly models?: readonly string[];
  /**
   * The values of the keys in `unsupported`, as written (interpolated), so `stack config`
   * shows them as Compose does although stack does not act on them.
   */
  readonly retained?: Readonly<Record<string, unknown>>;
  readonly profiles: readonly string[];
  /**
   * `attach:` as written (absent when not): `false` keeps the service's output out of attached
   * `up` (unless named by `--attach`) and out of `logs` without service names, as Compose.
   * Never reaches the container: not hashed.
   */
  readonly attach?: boolean;
  readonly develop?: { readonly watch: readonly WatchRule[] };
  /** Compose keys present in the file that stack accepts but does not implement (a warning was issued for each). */
  readonly unsupported: readonly string[];
  /** Where the service was defined (its key), for diagnostics raised after loading. */
  readonly location?: SourceLocation;
}

export interface IpamSpec {
  readonly driver?: string;
  readonly config: readonly {
    readonly subnet?: string;
    readonly ipRange?: string;
    readonly gateway?: string;
    readonly auxAddresses?: Readonly<Record<string, string>>;
  }[];
  readonly options: Readonly<Record<string, string>>;
}

/** A network of the project. `name` is the engine name (`<project>_<key>` unless `name:` is set). */
export interface NetworkSpec {
  readonly key: string;
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly attachable: boolean;
  readonly internal: boolean;
  readonly enableIpv6: boolean;
  readonly ipam?: IpamSpec;
  readonly labels: Readonly<Record<string, string>>;
  readonly location?: SourceLocation;
}

/** A named volume of the project. `name` is the engine name (`<project>_<key>` unless `name:` is set). */
export interface VolumeSpec {
  readonly key: string;
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly location?: SourceLocation;
}

export interface SecretSpec {
  readonly key: string;
  readonly name: string;
  readonly external: boolean;
  /** Absolute path of `file:`. */
  readonly file?: string;
  /** Name of the variable for `environment:`. */
  readonly environment?: string;
  readonly content?: string;
  /** The value of the `environment:` variable, resolved by the loader; never printed. */
  readonly value?: string;
  /** sha256 of the `file:` content when the loader could read it (a change recreates copies). */
  readonly digest?: string;
}

export type ConfigSpec = SecretSpec;

/** The engine's stop grace period for a container created without `StopTimeout`, in seconds. */
export const DEFAULT_STOP_GRACE_SECONDS = 10;

/**
 * A service's stop grace period in whole seconds, as the engine takes it: rounded up, so a
 * container never gets less time than the file gives it (`stop_grace_period: 1500ms` is 2 s,
 * not 1; 500ms is 1 s, not an immediate SIGKILL). Undefined: the engine's default (10 s).
 */
export function stopGraceSeconds(service: Pick<ServiceSpec, 'stopGracePeriod'> | undefined): number | undefined {
  const ns = service?.stopGracePeriod;
  return ns === undefined ? undefined : Math.ceil(ns / 1e9);
}
