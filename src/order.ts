/**
 * Code-point order for names and ids. Not `localeCompare`: its first call builds an ICU
 * collator, about 15 ms of every engine command's start-up (measured on a no-op `up`), and
 * a locale-dependent order would make plans and output differ between machines.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
