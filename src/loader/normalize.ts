/**
 * The normalize stage: merged raw data (after extends and profiles) → the resolved parts of
 * the StackModel. Pure: env files are read through `ctx.readEnvFile`.
 */
import type { ConfigSpec, NetworkSpec, SecretSpec, ServiceSpec, VolumeSpec } from '../model.js';
import { Issues, asMap } from './normalize/helpers.js';
import { defaultNetwork, normalizeFileResource, normalizeNetwork, normalizeVolume } from './normalize/resources.js';
import { normalizeService } from './normalize/service.js';
import type { NormalizeContext, Result } from './types.js';
import { findUnsupportedKeys } from './unsupported.js';
import { getValidator } from './validator.js';

/** The StackModel fields the normalizer produces; the loader adds name, files, profiles, warnings. */
export interface NormalizedProject {
  /** Enabled services only (services named in `ctx.disabledServices` are left out). */
  readonly services: Record<string, ServiceSpec>;
  /** Declared networks, plus `default` when a service uses it and it is not declared. */
  readonly networks: Record<string, NetworkSpec>;
  readonly volumes: Record<string, VolumeSpec>;
  readonly secrets: Record<string, SecretSpec>;
  readonly configs: Record<string, ConfigSpec>;
  /** Top-level `x-*` fields. */
  readonly extensions: Record<string, unknown>;
  /** Top-level `models`, as written (shown by `config`, run by nothing). */
  readonly models?: Record<string, unknown>;
}

function mapEntries<T>(value: unknown, each: (key: string, raw: unknown) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, raw] of Object.entries(asMap(value))) out[key] = each(key, raw);
  return out;
}

/** Unimplemented keys of one service, as dotted names relative to the service. */
function unsupportedOf(name: string, raw: unknown): string[] {
  const { index } = getValidator();
  return findUnsupportedKeys({ services: { [name]: raw } }, index).map((k) => k.path.slice(2).map(String).join('.'));
}

/** Normalizes every enabled service and the top-level resources. */
export function normalizeProject(merged: Record<string, unknown>, ctx: NormalizeContext): Result<NormalizedProject> {
  const issues = new Issues(ctx.locate);
  const disabled = new Set(ctx.disabledServices);
  const services: Record<string, ServiceSpec> = {};
  for (const [name, raw] of Object.entries(asMap(merged['services']))) {
    if (disabled.has(name)) continue;
    services[name] = normalizeService(name, asMap(raw), ctx, issues, unsupportedOf(name, raw));
  }
  const networks = mapEntries(merged['networks'], (key, raw) => normalizeNetwork(key, raw, ctx));
  if (!networks['default'] && Object.values(services).some((s) => 'default' in s.networks))
    networks['default'] = defaultNetwork(ctx);
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) if (key.startsWith('x-')) extensions[key] = value;
  return {
    value: {
      services,
      networks,
      volumes: mapEntries(merged['volumes'], (key, raw) => normalizeVolume(key, raw, ctx)),
      secrets: mapEntries(merged['secrets'], (key, raw) => normalizeFileResource('secrets', key, raw, ctx, issues)),
      configs: mapEntries(merged['configs'], (key, raw) => normalizeFileResource('configs', key, raw, ctx, issues)),
      extensions,
      ...(merged['models'] !== undefined ? { models: asMap(merged['models']) } : {}),
    },
    diagnostics: issues.list,
  };
}
