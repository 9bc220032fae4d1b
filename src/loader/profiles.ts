/**
 * Profiles decide which services are enabled: a service without `profiles` always is; one
 * with profiles is when any of them is active (`--profile`, else STACK_PROFILES /
 * COMPOSE_PROFILES; `*` activates all) or when it is named on the command line, which also
 * activates its profiles.
 */
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { isPlainMap } from './merge-rules.js';
import { didYouMean } from './suggest.js';
import type { Locate, Result } from './types.js';

/** What profile selection needs besides the data. */
export interface ProfileOptions {
  readonly profiles?: readonly string[];
  readonly services?: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly locate: Locate;
}

/** Enabled and disabled service names (sorted), the active profiles and every profile named. */
export interface ProfileSelection {
  readonly enabled: readonly string[];
  readonly disabled: readonly string[];
  readonly active: readonly string[];
  readonly allProfiles: readonly string[];
}

const PROFILE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function fromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const value = env['STACK_PROFILES'] ?? env['COMPOSE_PROFILES'] ?? '';
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Selects the services of `data` (the merged, extended stack) by profile. */
export function selectProfiles(data: Record<string, unknown>, options: ProfileOptions): Result<ProfileSelection> {
  const diagnostics: Diagnostic[] = [];
  const services = isPlainMap(data['services']) ? data['services'] : {};
  const profilesOf = new Map<string, string[]>();
  for (const [name, service] of Object.entries(services)) {
    const raw = isPlainMap(service) ? service['profiles'] : undefined;
    const list = Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : [];
    list.forEach((profile, i) => {
      if (!PROFILE_NAME.test(profile)) {
        diagnostics.push(
          diagnostic(
            'INVALID_VALUE',
            `"${profile}" is not a valid profile name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
            options.locate(['services', name, 'profiles', i]),
          ),
        );
      }
    });
    profilesOf.set(name, list);
  }
  const requested = options.profiles && options.profiles.length > 0 ? [...options.profiles] : fromEnv(options.env);
  const active = new Set(requested);
  for (const name of options.services ?? []) {
    const own = profilesOf.get(name);
    if (own === undefined)
      diagnostics.push(
        diagnostic(
          'UNKNOWN_SERVICE',
          `no service "${name}" in the stack`,
          undefined,
          didYouMean(name, profilesOf.keys()),
        ),
      );
    else own.forEach((p) => active.add(p));
  }
  const all = active.has('*');
  const enabled: string[] = [];
  const disabled: string[] = [];
  for (const [name, list] of [...profilesOf].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    (list.length === 0 || all || list.some((p) => active.has(p)) ? enabled : disabled).push(name);
  }
  const allProfiles = [...new Set([...profilesOf.values()].flat())].sort();
  return { value: { enabled, disabled, active: [...active].sort(), allProfiles }, diagnostics };
}
