/**
 * Without interpolation (`stack config --no-interpolate`) a value like "${PORT}:80" cannot be
 * normalized or checked. The loader still validates the rest: it drops only the diagnostics
 * positioned at a value that holds a variable reference, and it reports template syntax
 * errors (an unclosed `${`), which no environment can fix.
 */
import type { Diagnostic } from '../errors.js';
import { interpolateData } from './interpolate.js';
import type { Locate, Path } from './types.js';

/** True when `value` refers to a variable (a `$` that is not part of a `$$` escape). */
export function hasVariable(value: string): boolean {
  return value.includes('$') && value.replace(/\$\$/g, '').includes('$');
}

function key(d: { file: string; line: number; col: number }): string {
  return `${d.file}:${d.line}:${d.col}`;
}

/** The positions (file:line:col) of every string value of `data` that refers to a variable. */
export function variablePositions(data: unknown, locate: Locate): Set<string> {
  const out = new Set<string>();
  // Iterative: the data may be deep (bounded by the parser, but no need to recurse).
  const stack: { value: unknown; path: Path }[] = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (!hasVariable(value)) continue;
      const at = locate(path);
      if (at) out.add(key(at));
    } else if (Array.isArray(value)) {
      value.forEach((item: unknown, i) => stack.push({ value: item, path: [...path, i] }));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, item] of Object.entries(value)) stack.push({ value: item, path: [...path, k] });
    }
  }
  return out;
}

/** Drops the diagnostics positioned at one of `positions` (values that are still templates). */
export function dropAtVariables(diagnostics: readonly Diagnostic[], positions: ReadonlySet<string>): Diagnostic[] {
  if (positions.size === 0) return [...diagnostics];
  return diagnostics.filter((d) => !d.location || !positions.has(key(d.location)));
}

/** Template syntax errors of `data`: the ones interpolation would report whatever the env. */
export function templateSyntaxErrors(data: Record<string, unknown>, locate: Locate): Diagnostic[] {
  return interpolateData(data, {}, locate).diagnostics.filter((d) => d.code === 'INTERPOLATION_SYNTAX');
}
