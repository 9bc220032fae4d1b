/**
 * Durations and sizes as Compose reads them: Go durations (`1m30s`, `1.5s`, `500ms`, `1h`)
 * to nanoseconds, Docker sizes (`64m`, `1g`, `512k`, `1gb`, bytes) to bytes, base 1024.
 */
import { parseDurationNs } from '../../duration.js';

/**
 * Nanoseconds of a Go-style duration. A bare number counts as seconds, as Compose does for
 * integers; a unitless string other than "0" is refused (Go refuses it too).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1e9) : undefined;
  if (typeof value !== 'string') return undefined;
  return parseDurationNs(value.trim(), { days: true });
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** Bytes of a Docker size (`64m`, `1g`, `1.5GiB`, `512`); -1 (unlimited) is kept. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= -1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '-1') return -1;
  const match = /^(\d+(?:\.\d+)?) ?([kmgtpb]?)(?:i?b)?$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

/** A duration back in Compose's spelling (`1m30s`, `500ms`), for `stack config`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const parts: string[] = [];
  let rest = ns;
  for (const [unit, size] of [
    ['h', 3600e9],
    ['m', 60e9],
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
    ['ns', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return parts.join('');
}
