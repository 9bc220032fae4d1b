/**
 * Semantic rules over the normalized model: references to undefined networks, volumes,
 * secrets, configs and services, dependency cycles, port clashes, and services that cannot
 * run. Every diagnostic is positioned at the reference in the raw (merged) data.
 */
import { diagnostic } from '../errors.js';
import type { Diagnostic, ErrorCode } from '../errors.js';
import type { PortSpec, ServiceSpec, StackModel } from '../model.js';
import { Issues, asList, asMap, isMap } from './normalize/helpers.js';
import { normalizePorts } from './normalize/ports.js';
import { didYouMean } from './suggest.js';
import type { NormalizeContext, Path } from './types.js';

/** Path of the entry naming `key` in a list-or-mapping field (`depends_on`, `networks`). */
function entryPath(raw: unknown, base: Path, key: string): { path: Path; at: 'key' | 'value' } {
  if (Array.isArray(raw)) {
    const index = raw.findIndex((item) => item === key);
    return { path: index === -1 ? base : [...base, index], at: 'value' };
  }
  return { path: isMap(raw) && key in raw ? [...base, key] : base, at: 'key' };
}

/** Depth-first search for cycles; each cycle is reported once, rotated to its smallest name. */
function findCycles(services: Readonly<Record<string, ServiceSpec>>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const dep of Object.keys(services[name]?.dependsOn ?? {}).sort()) {
      if (!services[dep]) continue;
      if (state.get(dep) === 'active') {
        const cycle = stack.slice(stack.indexOf(dep));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('\0'), rotated);
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort()) if (!state.has(name)) visit(name);
  return [...cycles.values()];
}

/**
 * Services in dependency order (dependencies first), ties broken by name. Services in a
 * cycle come last, sorted; checkRules reports the cycle.
 */
export function buildDependencyOrder(model: StackModel): string[] {
  const names = Object.keys(model.services).sort();
  const done = new Set<string>();
  const order: string[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (const name of names) {
      if (done.has(name)) continue;
      const deps = Object.keys(model.services[name]!.dependsOn).filter((d) => model.services[d]);
      if (deps.every((d) => done.has(d))) {
        done.add(name);
        order.push(name);
        progress = true;
      }
    }
  }
  return [...order, ...names.filter((n) => !done.has(n))];
}

function hostKeys(port: PortSpec): string[] {
  if (port.published === undefined) return [];
  const [start, end] = port.published.split('-').map(Number) as [number, number | undefined];
  // A host range lets the engine choose one free port: only a single port can clash for sure.
  if (end !== undefined && end !== start) return [];
  return [`${start}/${port.protocol}`];
}

function isWildcard(ip: string | undefined): boolean {
  return ip === undefined || ip === '' || ip === '0.0.0.0' || ip === '::';
}

/** Model port index → raw list index (a short-syntax range expands to several ports). */
function rawPortIndexes(raw: unknown, ctx: NormalizeContext): number[] {
  const scratch = new Issues(ctx.locate);
  return asList(raw).flatMap((item, i) => normalizePorts([item], [], scratch).map(() => i));
}

/** Checks references, cycles, clashes and runnability; returns every problem found. */
export function checkRules(model: StackModel, raw: Record<string, unknown>, ctx: NormalizeContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push = (code: ErrorCode, message: string, path: Path, hint?: string, at: 'key' | 'value' = 'value'): void => {
    out.push(diagnostic(code, message, ctx.locate(path, at) ?? ctx.locate(path), hint));
  };
  const rawServices = asMap(raw['services']);
  const known = Object.keys(rawServices);
  const disabled = new Set(ctx.disabledServices);
  if (known.length === 0)
    push(
      'NO_SERVICES',
      'the stack defines no services',
      raw['services'] === undefined ? [] : ['services'],
      'add a service under "services:"',
    );

  const published: { key: string; ip: string | undefined; service: string; path: Path }[] = [];
  for (const name of Object.keys(model.services).sort()) {
    const service = model.services[name]!;
    const rawService = asMap(rawServices[name]);
    const base: Path = ['services', name];
    // A `provider` service is run by an external component, not from an image (Compose).
    if (service.image === undefined && service.build === undefined && rawService['provider'] === undefined) {
      push(
        'NO_IMAGE',
        `service "${name}" has neither "image" nor "build"`,
        base,
        'add "image: <name>" or "build: <dir>"',
        'key',
      );
    }
    for (const net of Object.keys(service.networks)) {
      if (model.networks[net]) continue;
      const where = entryPath(rawService['networks'], [...base, 'networks'], net);
      push(
        'UNKNOWN_NETWORK',
        `service "${name}" uses network "${net}", which is not defined under "networks:"`,
        where.path,
        didYouMean(net, Object.keys(model.networks)),
        where.at,
      );
    }
    const mode = service.networkMode;
    if (mode?.startsWith('service:') && !rawServices[mode.slice(8)]) {
      push(
        'UNKNOWN_SERVICE',
        `network_mode refers to service "${mode.slice(8)}", which does not exist`,
        [...base, 'network_mode'],
        didYouMean(mode.slice(8), known),
      );
    }
    (service.volumesFrom ?? []).forEach((from, i) => {
      if (from.kind === 'service' && !rawServices[from.name])
        push(
          'UNKNOWN_SERVICE',
          `volumes_from refers to service "${from.name}", which does not exist`,
          [...base, 'volumes_from', i],
          didYouMean(from.name, known) ?? 'write container:<name> for a container outside the stack',
        );
    });
    (service.links ?? []).forEach((link, i) => {
      if (!rawServices[link.service])
        push(
          'UNKNOWN_SERVICE',
          `links refers to service "${link.service}", which does not exist`,
          [...base, 'links', i],
          didYouMean(link.service, known),
        );
    });
    if (rawService['network_mode'] !== undefined && rawService['networks'] !== undefined) {
      push(
        'NETWORK_MODE_WITH_NETWORKS',
        `service "${name}" sets both "network_mode" and "networks"`,
        [...base, 'networks'],
        'they are mutually exclusive (as in Compose): keep one',
        'key',
      );
    }
    // One mount per container path, tmpfs entries first (compose-go validate.go).
    const mounted = new Map<string, Path>();
    const mountAt = (target: string, path: Path): void => {
      const first = mounted.get(target);
      if (first)
        push(
          'DUPLICATE_MOUNT_TARGET',
          `service "${name}" mounts two things at "${target}"`,
          path,
          `${first.join('.')} is already mounted there; keep one`,
        );
      else mounted.set(target, path);
    };
    service.tmpfs.forEach((entry, i) => mountAt(entry.split(':')[0]!, [...base, 'tmpfs', i]));
    service.volumes.forEach((mount, i) => mountAt(mount.target, [...base, 'volumes', i]));
    service.volumes.forEach((mount, i) => {
      if (mount.type !== 'volume' || mount.source === undefined || model.volumes[mount.source]) return;
      push(
        'UNKNOWN_VOLUME',
        `service "${name}" mounts volume "${mount.source}", which is not defined under "volumes:"`,
        [...base, 'volumes', i],
        didYouMean(mount.source, Object.keys(model.volumes)) ??
          'add it under the top-level "volumes:", or start a host path with ./ or /',
      );
    });
    for (const [kind, code, refs, defined] of [
      ['secrets', 'UNKNOWN_SECRET', service.secrets, model.secrets],
      ['configs', 'UNKNOWN_CONFIG', service.configs, model.configs],
    ] as const) {
      refs.forEach((ref, i) => {
        if (defined[ref.source]) return;
        push(
          code,
          `service "${name}" uses ${kind.slice(0, -1)} "${ref.source}", which is not defined under "${kind}:"`,
          [...base, kind, i],
          didYouMean(ref.source, Object.keys(defined)),
        );
      });
    }
    for (const [dep, spec] of Object.entries(service.dependsOn)) {
      const where = entryPath(rawService['depends_on'], [...base, 'depends_on'], dep);
      if (!rawServices[dep]) {
        push(
          'UNKNOWN_SERVICE',
          `service "${name}" depends on "${dep}", which does not exist`,
          where.path,
          didYouMean(dep, known),
          where.at,
        );
      } else if (disabled.has(dep) && spec.required) {
        push(
          'DEPENDS_ON_DISABLED',
          `service "${name}" depends on "${dep}", which is disabled by profiles`,
          where.path,
          `enable a profile of "${dep}", or mark the dependency "required: false"`,
          where.at,
        );
      }
    }
    if (service.containerName !== undefined && service.replicas > 1) {
      push(
        'CONTAINER_NAME_REPLICAS',
        `service "${name}" sets container_name but asks for ${service.replicas} replicas`,
        [...base, 'container_name'],
        'a container name is unique: remove container_name or use one replica',
      );
    }
    const indexes = rawPortIndexes(rawService['ports'], ctx);
    service.ports.forEach((port, i) => {
      for (const key of hostKeys(port))
        published.push({ key, ip: port.hostIp, service: name, path: [...base, 'ports', indexes[i] ?? i] });
    });
  }
  for (const [i, entry] of published.entries()) {
    const clash = published
      .slice(0, i)
      .find((p) => p.key === entry.key && (p.ip === entry.ip || isWildcard(p.ip) || isWildcard(entry.ip)));
    if (clash) {
      push(
        'PORT_CONFLICT',
        `host port ${entry.key} of service "${entry.service}" is already published by service "${clash.service}"`,
        entry.path,
        'use another host port, or bind each to a different host IP',
      );
    }
  }
  for (const cycle of findCycles(model.services)) {
    const [first, second] = cycle as [string, string | undefined];
    const where = entryPath(
      asMap(rawServices[first])['depends_on'],
      ['services', first, 'depends_on'],
      second ?? first,
    );
    push(
      'DEPENDENCY_CYCLE',
      `dependency cycle: ${[...cycle, first].join(' -> ')}`,
      where.path,
      'remove one of the depends_on entries',
      where.at,
    );
  }
  return out;
}
