/**
 * `pull_policy` decisions, pure: the time of the last pull and the clock are passed in.
 * Compose's forms: `always`, `never`, `missing` (alias `if_not_present`), `build`, `daily`,
 * `weekly`, `every_<duration>` (Go-style durations, plus `d` and `w` as compose-go accepts).
 */
import { parseDurationNs } from '../duration.js';

/** A policy after normalisation; intervals in seconds. */
export type NormalizedPullPolicy =
  | { readonly kind: 'always' | 'never' | 'missing' | 'build' }
  | { readonly kind: 'interval'; readonly seconds: number; readonly text: string };

/** Seconds in a duration such as `12h`, `1h30m`, `2d`, `1w`; undefined when malformed or zero. */
export function parseDurationSeconds(text: string): number | undefined {
  const ns = parseDurationNs(text, { days: true, weeks: true });
  return ns === undefined || ns <= 0 ? undefined : ns / 1e9;
}

/** Normalises a `pull_policy` value; undefined when absent, throws a RangeError when malformed. */
export function normalizePullPolicy(policy: string | undefined): NormalizedPullPolicy | undefined {
  switch (policy) {
    case undefined:
      return undefined;
    case 'always':
    case 'never':
    case 'missing':
    case 'build':
      return { kind: policy };
    case 'if_not_present':
      return { kind: 'missing' };
    case 'daily':
      return { kind: 'interval', seconds: 86_400, text: policy };
    case 'weekly':
      return { kind: 'interval', seconds: 604_800, text: policy };
  }
  const every = /^every_(.+)$/.exec(policy);
  const seconds = every ? parseDurationSeconds(every[1]!) : undefined;
  if (seconds === undefined)
    throw new RangeError(
      `invalid pull_policy "${policy}": use always, never, missing, build, daily, weekly ` +
        'or every_<duration> (e.g. every_12h)',
    );
  return { kind: 'interval', seconds, text: policy };
}

/** Why an image is (or is not) pulled or built. Stable snake_case; for display only. */
export type ImageReasonCode =
  | 'missing'
  | 'present'
  | 'policy_always'
  | 'policy_never'
  | 'policy_build'
  | 'interval_elapsed'
  | 'interval_fresh'
  | 'build_forced'
  | 'pull_forced';

/** One decision about pulling an image. */
export interface PullDecision {
  readonly pull: boolean;
  readonly code: ImageReasonCode;
  readonly detail: string;
}

/** What decidePull needs to know about the local image. */
export interface LocalImageFacts {
  readonly present: boolean;
  /** Unix seconds of the last pull stack recorded for this reference. */
  readonly lastPulled?: number;
}

/**
 * Whether to pull under `policy` (`build` is decided by the caller; here it never pulls).
 * Rules, in order, each with why:
 */
export function decidePull(policy: NormalizedPullPolicy, facts: LocalImageFacts, now: number): PullDecision {
  switch (policy.kind) {
    // always: the user wants the registry's current image on every run.
    case 'always':
      return { pull: true, code: 'policy_always', detail: 'pull_policy: always' };
    // never: only local images may be used, even when that means failing.
    case 'never':
      return {
        pull: false,
        code: facts.present ? 'present' : 'policy_never',
        detail: facts.present ? 'present locally' : 'pull_policy: never and the image is not present',
      };
    // build: the image comes from its build section, never from a registry.
    case 'build':
      return { pull: false, code: 'policy_build', detail: 'pull_policy: build' };
    case 'missing':
      return facts.present
        ? { pull: false, code: 'present', detail: 'present locally' }
        : { pull: true, code: 'missing', detail: 'not present locally' };
    case 'interval': {
      // A missing image is pulled whatever the interval.
      if (!facts.present) return { pull: true, code: 'missing', detail: 'not present locally' };
      // No record of a pull (first run with this policy, or a lost cache): pull once to start the clock.
      if (facts.lastPulled === undefined)
        return {
          pull: true,
          code: 'interval_elapsed',
          detail: `pull_policy: ${policy.text}, no previous pull recorded`,
        };
      const age = now - facts.lastPulled;
      return age >= policy.seconds
        ? {
            pull: true,
            code: 'interval_elapsed',
            detail: `pull_policy: ${policy.text}, last pulled ${Math.round(age)}s ago`,
          }
        : {
            pull: false,
            code: 'interval_fresh',
            detail: `pull_policy: ${policy.text}, last pulled ${Math.round(age)}s ago`,
          };
    }
  }
}
