/**
 * Go-style durations (`1m30s`, `1.5s`, `500ms`, `1h`), read one way everywhere: the stack
 * file (healthcheck intervals, stop_grace_period), `pull_policy: every_12h`, `logs --since 10m`.
 * Compose adds `d` (days) in the file; pull policies also take `w` (weeks).
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86_400e9,
  w: 604_800e9,
};

/** Which of the non-Go units a caller accepts. */
export interface DurationUnits {
  readonly days?: boolean;
  readonly weeks?: boolean;
}

/**
 * Nanoseconds of a duration made of one or more `<number><unit>` parts (`1h30m`, `.5s`), or
 * undefined when anything else is in the text. `0` alone is zero; other unitless text is
 * refused (Go refuses it too).
 */
export function parseDurationNs(text: string, units: DurationUnits = {}): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)/y;
  let total = 0;
  for (let index = 0; index < text.length; index = part.lastIndex) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    const unit = match[2]!;
    if ((unit === 'd' && !units.days) || (unit === 'w' && !units.weeks)) return undefined;
    total += Number(match[1]) * UNIT_NS[unit]!;
  }
  return Math.round(total);
}
