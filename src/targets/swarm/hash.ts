/**
 * Hashes of the swarm target. A service's spec is hashed whole (`v1:` + sha256 of its
 * canonical JSON without our hash labels) and per field group, so that a plan can name the
 * groups that changed without comparing against the engine's defaulted copy of the spec.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, HASH_VERSION } from '../../planner/hash.js';
import { SwarmLabel } from './labels.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `v1:<sha256>` of a spec, ignoring our own hash labels. */
export function hashServiceSpec(spec: Readonly<Record<string, unknown>>): string {
  const labels = { ...((spec['Labels'] as Record<string, string> | undefined) ?? {}) };
  delete labels[SwarmLabel.configHash];
  delete labels[SwarmLabel.fieldHashes];
  return `${HASH_VERSION}:${sha256(canonicalJson({ ...spec, Labels: labels }))}`;
}

/**
 * The field groups of a network create body (reason codes of a changed network, stable,
 * snake_case), without our hash labels.
 */
export function networkFieldGroups(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const labels = { ...((body['Labels'] as Record<string, string> | undefined) ?? {}) };
  delete labels[SwarmLabel.resourceHash];
  delete labels[SwarmLabel.fieldHashes];
  return {
    driver: body['Driver'],
    driver_opts: body['Options'],
    attachable: body['Attachable'],
    internal: body['Internal'],
    enable_ipv6: body['EnableIPv6'],
    ipam: body['IPAM'],
    labels,
  };
}

/**
 * `v1:<sha256>` of a network's field groups and one short hash per group: Swarm cannot update a
 * network, so these labels, written at create, are what a later plan compares with the file.
 */
export function hashNetworkBody(body: Readonly<Record<string, unknown>>): {
  hash: string;
  fieldHashes: Record<string, string>;
} {
  const groups = networkFieldGroups(body);
  return {
    hash: `${HASH_VERSION}:${sha256(canonicalJson(groups))}`,
    fieldHashes: Object.fromEntries(Object.entries(groups).map(([group, value]) => [group, shortHash(value ?? null)])),
  };
}

/** 12 hex characters of the sha256 of a value's canonical JSON. */
export function shortHash(value: unknown): string {
  return sha256(canonicalJson(value)).slice(0, 12);
}

/** 10 hex characters of the sha256 of some bytes: the suffix of a rotated secret or config name. */
export function contentHash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 10);
}
