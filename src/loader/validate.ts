/**
 * Schema validation of one raw stack file (after interpolation, before merging): coerce
 * boolean words, run the precompiled validator, report errors in YAML words and warn about
 * keys stack accepts but does not implement.
 */
import { diagnostic } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { coerceBooleans } from './coerce-booleans.js';
import type { Locate } from './types.js';
import { findUnsupportedKeys } from './unsupported.js';
import { schemaDiagnostics } from './validate-errors.js';
import { getValidator } from './validator.js';

/**
 * Validates `data` (modified in place only by boolean coercion). `file` locates problems
 * that `locate` cannot place. Returns errors and warnings; no diagnostic means valid.
 */
export function validateRaw(data: Record<string, unknown>, locate: Locate, file: string): Diagnostic[] {
  const { validate, index } = getValidator();
  const fallback = { file, line: 1, col: 1 };
  const at: Locate = (path, where) => locate(path, where) ?? locate([]) ?? fallback;
  const out: Diagnostic[] = coerceBooleans(data, index, at);
  if (!validate(data)) out.push(...schemaDiagnostics(validate.errors ?? [], data, at, index));
  // Unsupported keys only matter for a valid file; on an invalid one they would be noise.
  if (!out.some((d) => d.severity === 'error')) {
    for (const key of findUnsupportedKeys(data, index)) {
      out.push(diagnostic('UNSUPPORTED_KEY', key.message, at(key.path, 'key'), undefined, 'warning'));
    }
  }
  return out;
}
