/**
 * Scalar service values with diagnostics: commands (shell words), durations and sizes.
 */
import { asString } from './helpers.js';
import type { Issues } from './helpers.js';
import { splitShellWords } from './command.js';
import { parseDuration, parseSize } from './units.js';
import type { Path } from '../types.js';
import { displayValue } from '../../errors.js';

/** `command:`/`entrypoint:` as a word list; a string is split by shell rules. */
export function normalizeCommand(value: unknown, path: Path, issues: Issues): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => asString(item) ?? '');
  const text = asString(value) ?? '';
  const result = splitShellWords(text);
  if ('error' in result)
    return issues.error('INVALID_COMMAND', result.error, path, 'close the quote, or write the command as a list');
  return result.words;
}

/** A duration in ns, or a positioned INVALID_DURATION. */
export function normalizeDuration(value: unknown, path: Path, issues: Issues): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ns = parseDuration(value);
  if (ns === undefined)
    issues.error('INVALID_DURATION', `invalid duration "${displayValue(value)}"`, path, 'e.g. 30s, 1m30s, 500ms, 1h');
  return ns;
}

/** A size in bytes, or a positioned INVALID_SIZE. */
export function normalizeSize(value: unknown, path: Path, issues: Issues): number | undefined {
  if (value === undefined || value === null) return undefined;
  const bytes = parseSize(value);
  if (bytes === undefined)
    issues.error(
      'INVALID_SIZE',
      `invalid size "${displayValue(value)}"`,
      path,
      'e.g. 64m, 512k, 1g or a number of bytes',
    );
  return bytes;
}
