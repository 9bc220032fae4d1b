/**
 * `stack run`: the one-off container of a service. Pure: the service spec with the run's flags
 * applied (as Compose applies them), then the same create body a replica gets
 * (desiredOneOffContainer), and the depends_on conditions the one-off waits for.
 */
import type { MountSpec, PortSpec, ServiceSpec, StackModel } from '../model.js';
import type { DesiredContainer } from './desired.js';
import { desiredOneOffContainer } from './desired.js';
import { replicaNames } from './wait-conditions.js';
import type { WaitCondition } from './types.js';

/** The flags of `stack run` that change the container (Compose's names). */
export interface OneOffOptions {
  readonly service: string;
  /** The command after SERVICE; empty keeps the service's. */
  readonly command?: readonly string[];
  /** `--entrypoint` (already split into words); with no command, the service's command is dropped. */
  readonly entrypoint?: readonly string[];
  /** `--name`; default `<project>-<service>-run-<slug[0:12]>`. */
  readonly name?: string;
  /** `-e` and `--env-from-file`, already resolved (bare keys take the caller's value, or are dropped). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly workingDir?: string;
  /** `-v`: mounts added to the service's. */
  readonly volumes?: readonly MountSpec[];
  /** `-p`: the only published ports (the service's are dropped unless `servicePorts`). */
  readonly ports?: readonly PortSpec[];
  /** `-P`: keep the service's ports. */
  readonly servicePorts?: boolean;
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  readonly useAliases?: boolean;
  readonly tty: boolean;
  readonly interactive: boolean;
  /** `--rm`. */
  readonly autoRemove?: boolean;
  /** 64 hex characters (random, from the caller: the planner has no randomness). */
  readonly slug: string;
}

/**
 * The service as the one-off runs it (Compose's applyRunOptions): the run's command, user,
 * working dir, capabilities, environment and labels over the service's; no restart policy, one
 * container, no ports unless `-P` or `-p`.
 */
export function oneOffService(spec: ServiceSpec, o: OneOffOptions): ServiceSpec {
  const capAdd = [...spec.capAdd.filter((c) => !(o.capDrop ?? []).includes(c)), ...(o.capAdd ?? [])];
  const capDrop = [...spec.capDrop.filter((c) => !(o.capAdd ?? []).includes(c)), ...(o.capDrop ?? [])];
  const command =
    o.command !== undefined && o.command.length > 0 ? o.command : o.entrypoint !== undefined ? [] : spec.command;
  const { restart: _restart, containerName: _name, command: _command, ...rest } = spec;
  return {
    ...rest,
    ...(command !== undefined ? { command } : {}),
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.workingDir !== undefined ? { workingDir: o.workingDir } : {}),
    environment: { ...spec.environment, ...o.environment },
    labels: { ...spec.labels, ...o.labels },
    volumes: [
      ...spec.volumes.filter((m) => !(o.volumes ?? []).some((v) => v.target === m.target)),
      ...(o.volumes ?? []),
    ],
    ports: o.servicePorts ? spec.ports : [...(o.ports ?? [])],
    capAdd,
    capDrop,
    tty: o.tty,
    stdinOpen: o.interactive,
    replicas: 1,
  };
}

/** The one-off's create body: the service with the run's flags, named and labelled as Compose names one-offs. */
export function desiredOneOff(model: StackModel, imageId: string | undefined, o: OneOffOptions): DesiredContainer {
  const spec = model.services[o.service]!;
  const name = o.name ?? `${model.name}-${spec.name}-run-${o.slug.slice(0, 12)}`;
  const body = desiredOneOffContainer(model, oneOffService(spec, o), imageId, {
    name,
    slug: o.slug,
    useAliases: o.useAliases === true,
    autoRemove: o.autoRemove === true,
  });
  // Compose attaches stdin only when it is kept open; StdinOnce closes it when the caller's ends.
  return {
    ...body,
    body: {
      ...body.body,
      AttachStdin: o.interactive,
      AttachStdout: true,
      AttachStderr: true,
      StdinOnce: o.interactive,
    },
  };
}

/** The depends_on conditions the one-off waits for before it starts (those of its service). */
export function oneOffWaits(model: StackModel, service: string): WaitCondition[] {
  const spec = model.services[service];
  if (!spec) return [];
  return Object.keys(spec.dependsOn)
    .sort()
    .filter((dep) => model.services[dep] !== undefined)
    .flatMap((dep) =>
      replicaNames(model, dep).map((container) => ({
        service: dep,
        container,
        condition: spec.dependsOn[dep]!.condition,
        required: spec.dependsOn[dep]!.required,
      })),
    );
}
