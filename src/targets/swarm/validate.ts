/**
 * What Swarm cannot honour, found before anything is touched. Errors for keys a Swarm service
 * has no place for (deploying would silently drop them), warnings for keys that only change
 * meaning. Each diagnostic points at the key in the file (file:line:col) when the loader
 * knows where it is. An ordered rule table: one why per rule.
 */
import { diagnostic } from '../../errors.js';
import type { Diagnostic } from '../../errors.js';
import type { Locate } from '../../loader/types.js';
import type { StackModel } from '../../model.js';

interface KeyRule {
  readonly key: string;
  readonly severity: 'error' | 'warning';
  /** Why, shown to the user. */
  readonly why: string;
}

/** Service keys by what Swarm makes of them. */
const SERVICE_KEY_RULES: readonly KeyRule[] = [
  // Swarm names containers `<service>.<slot>.<task id>` itself; a fixed name cannot be replicated.
  { key: 'container_name', severity: 'error', why: 'Swarm names the containers of a service itself' },
  // Links are a legacy of the default bridge; services find each other by DNS on their networks.
  { key: 'links', severity: 'error', why: 'Swarm services reach each other by name on a shared network' },
  { key: 'external_links', severity: 'error', why: 'Swarm services reach each other by name on a shared network' },
  // A service task cannot share another container's namespaces or use the host's.
  { key: 'network_mode', severity: 'error', why: 'a Swarm service attaches to networks; use `networks:`' },
  { key: 'ipc', severity: 'error', why: 'a Swarm service has no IPC namespace setting' },
  { key: 'pid', severity: 'error', why: 'a Swarm service has no PID namespace setting' },
  { key: 'volumes_from', severity: 'error', why: "a Swarm task cannot mount another container's volumes" },
  // The service API has no field for these: the engine would run the task without them.
  { key: 'privileged', severity: 'error', why: 'a Swarm service cannot run privileged' },
  { key: 'devices', severity: 'error', why: 'a Swarm service cannot map host devices' },
  { key: 'cgroup_parent', severity: 'error', why: 'a Swarm service has no cgroup parent setting' },
  { key: 'userns_mode', severity: 'error', why: 'a Swarm service has no user namespace setting' },
  { key: 'security_opt', severity: 'error', why: 'a Swarm service takes no security options' },
  { key: 'mac_address', severity: 'error', why: 'a Swarm service has no MAC address setting' },
  { key: 'cpu_shares', severity: 'error', why: 'Swarm limits CPUs with deploy.resources.limits.cpus' },
  { key: 'cpu_quota', severity: 'error', why: 'Swarm limits CPUs with deploy.resources.limits.cpus' },
  { key: 'cpu_period', severity: 'error', why: 'Swarm limits CPUs with deploy.resources.limits.cpus' },
  { key: 'cpuset', severity: 'error', why: 'a Swarm service cannot pin CPUs' },
  { key: 'memswap_limit', severity: 'error', why: 'a Swarm service has no swap limit' },
  { key: 'oom_kill_disable', severity: 'error', why: 'a Swarm service has no OOM killer setting' },
  { key: 'oom_score_adj', severity: 'error', why: 'a Swarm service has no OOM score setting' },
  { key: 'shm_size', severity: 'error', why: 'a Swarm service has no /dev/shm size; mount a tmpfs on /dev/shm' },
  { key: 'stdin_open', severity: 'error', why: 'a Swarm task has no attached stdin' },
  // These still do something, but not what they do on one engine.
  {
    key: 'restart',
    severity: 'warning',
    why: 'on Swarm it becomes deploy.restart_policy (unless-stopped counts as any); prefer deploy.restart_policy',
  },
  {
    key: 'expose',
    severity: 'warning',
    why: 'on an overlay network every port of a service is reachable; expose has no effect',
  },
  { key: 'pull_policy', severity: 'warning', why: 'Swarm nodes pull the image by digest when they need it' },
];

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every problem the swarm target finds in the model and the raw services: diagnostics of
 * UNSUPPORTED_KEY (error or warning) and NO_IMAGE (a service Swarm would have no image for).
 */
export function validateForSwarm(
  model: StackModel,
  rawServices: Readonly<Record<string, unknown>>,
  locate: Locate,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(model.services).sort()) {
    const service = model.services[name]!;
    const raw = isMap(rawServices[name]) ? rawServices[name] : {};
    for (const rule of SERVICE_KEY_RULES) {
      if (raw[rule.key] === undefined || raw[rule.key] === false) continue;
      const where = locate(['services', name, rule.key], 'key');
      out.push(
        diagnostic(
          'UNSUPPORTED_KEY',
          `service "${name}": "${rule.key}" is not supported on Swarm: ${rule.why}`,
          where,
          undefined,
          rule.severity,
        ),
      );
    }
    if (service.build && service.image === undefined) {
      const where = locate(['services', name, 'build'], 'key');
      out.push(
        diagnostic(
          'NO_IMAGE',
          `service "${name}": every node pulls the image from a registry, and "build" has no "image" to push to`,
          where,
          'add `image: <registry>/<name>:<tag>`: stack builds it and pushes it there',
        ),
      );
    }
    for (const [dependency, spec] of Object.entries(service.dependsOn)) {
      if (spec.condition === 'service_started') continue;
      const where = locate(['services', name, 'depends_on', dependency], 'key');
      out.push(
        diagnostic(
          'UNSUPPORTED_KEY',
          `service "${name}": Swarm has no "${spec.condition}"; ` +
            `stack creates "${dependency}" first and, with --wait, waits for its tasks to run`,
          where,
          undefined,
          'warning',
        ),
      );
    }
  }
  return out;
}

/**
 * The loader warns "not implemented by stack yet" for the keys only Swarm uses (deploy.mode,
 * placement, ...); on the swarm target they are implemented: drop those warnings.
 */
export function dropSwarmImplementedWarnings(warnings: readonly Diagnostic[]): Diagnostic[] {
  const implemented = [
    /^"services\.[^.]+\.deploy\.(mode|placement|restart_policy|endpoint_mode|labels|resources)\b/,
    /^"services\.[^.]+\.deploy\.(update_config|rollback_config)\b/,
    /^"services\.[^.]+\.(secrets|configs)\.(\d+|#)\.(uid|gid|mode)\b/,
    /^"(secrets|configs)\.[^.]+\.(environment|content|external)"/,
  ];
  return warnings.filter(
    (w) => !(w.code === 'UNSUPPORTED_KEY' && implemented.some((pattern) => pattern.test(w.message))),
  );
}
