/**
 * The `deploy:` section and the other Swarm-only keys of a service, read from the merged raw
 * data (the StackModel keeps only what the container target implements). Pure: values in,
 * typed values and problems out. Durations are ns, sizes bytes.
 */
import { parseDuration } from '../../loader/normalize/units.js';
import { displayValue } from '../../errors.js';

/** The Swarm service modes of the Compose spec. */
export type SwarmMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';

/** `update_config` / `rollback_config`. */
export interface UpdateConfig {
  readonly parallelism?: number;
  readonly delay?: number;
  readonly failureAction?: string;
  readonly monitor?: number;
  readonly maxFailureRatio?: number;
  readonly order?: string;
}

/** `restart_policy`. */
export interface RestartPolicy {
  readonly condition?: string;
  readonly delay?: number;
  readonly maxAttempts?: number;
  readonly window?: number;
}

/** What the swarm target reads of one service beyond the StackModel. */
export interface SwarmDeploy {
  readonly mode: SwarmMode;
  /** From the model (scale / deploy.replicas) unless the mode is global. */
  readonly labels: Readonly<Record<string, string>>;
  readonly endpointMode?: 'vip' | 'dnsrr';
  readonly constraints: readonly string[];
  readonly preferences: readonly string[];
  readonly maxReplicasPerNode?: number;
  readonly reservationCpus?: number;
  readonly restartPolicy?: RestartPolicy;
  readonly updateConfig?: UpdateConfig;
  readonly rollbackConfig?: UpdateConfig;
}

function asMap(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function stringMap(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const item of value) {
      const text = String(item);
      const eq = text.indexOf('=');
      out[eq < 0 ? text : text.slice(0, eq)] = eq < 0 ? '' : text.slice(eq + 1);
    }
    return out;
  }
  return Object.fromEntries(
    Object.entries(asMap(value)).map(([k, v]) => [k, v === null || v === undefined ? '' : displayValue(v)]),
  );
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, V>>);
}

function readUpdateConfig(value: unknown): UpdateConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = asMap(value);
  return {
    ...optional('parallelism', asNumber(raw['parallelism'])),
    ...optional('delay', parseDuration(raw['delay'])),
    ...optional('failureAction', typeof raw['failure_action'] === 'string' ? raw['failure_action'] : undefined),
    ...optional('monitor', parseDuration(raw['monitor'])),
    ...optional('maxFailureRatio', asNumber(raw['max_failure_ratio'])),
    ...optional('order', typeof raw['order'] === 'string' ? raw['order'] : undefined),
  };
}

function readRestartPolicy(value: unknown): RestartPolicy | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = asMap(value);
  return {
    ...optional('condition', typeof raw['condition'] === 'string' ? raw['condition'] : undefined),
    ...optional('delay', parseDuration(raw['delay'])),
    ...optional('maxAttempts', asNumber(raw['max_attempts'])),
    ...optional('window', parseDuration(raw['window'])),
  };
}

const MODES: readonly SwarmMode[] = ['replicated', 'global', 'replicated-job', 'global-job'];

/** Reads the Swarm keys of one raw (merged, interpolated) service mapping. */
export function readSwarmDeploy(rawService: unknown): SwarmDeploy {
  const deploy = asMap(asMap(rawService)['deploy']);
  const placement = asMap(deploy['placement']);
  const mode =
    typeof deploy['mode'] === 'string' && (MODES as readonly string[]).includes(deploy['mode'])
      ? (deploy['mode'] as SwarmMode)
      : 'replicated';
  const endpoint = deploy['endpoint_mode'];
  const reservationCpus = asNumber(asMap(asMap(asMap(deploy['resources'])['reservations']))['cpus']);
  const preferences = Array.isArray(placement['preferences'])
    ? placement['preferences'].map((p) => asMap(p)['spread']).filter((s): s is string => typeof s === 'string')
    : [];
  return {
    mode,
    labels: stringMap(deploy['labels']),
    ...optional('endpointMode', endpoint === 'vip' || endpoint === 'dnsrr' ? endpoint : undefined),
    constraints: Array.isArray(placement['constraints']) ? placement['constraints'].map(String) : [],
    preferences,
    ...optional('maxReplicasPerNode', asNumber(placement['max_replicas_per_node'])),
    ...optional('reservationCpus', reservationCpus),
    ...optional('restartPolicy', readRestartPolicy(deploy['restart_policy'])),
    ...optional('updateConfig', readUpdateConfig(deploy['update_config'])),
    ...optional('rollbackConfig', readUpdateConfig(deploy['rollback_config'])),
  };
}
