/**
 * The loader stages written beside this package (schema validation, normalization, semantic
 * rules), gathered so load.ts can import them lazily and tests can substitute them.
 */
import type { Diagnostic } from '../errors.js';
import type { StackModel } from '../model.js';
import { normalizeProject } from './normalize.js';
import type { NormalizedProject } from './normalize.js';
import { checkRules } from './rules.js';
import type { Locate, NormalizeContext, Result } from './types.js';
import { validateRaw } from './validate.js';

export type { NormalizedProject };

/** The pluggable stages of loadStack. */
export interface LoaderStages {
  readonly validateRaw: (data: Record<string, unknown>, locate: Locate, file: string) => Diagnostic[];
  readonly normalizeProject: (merged: Record<string, unknown>, ctx: NormalizeContext) => Result<NormalizedProject>;
  readonly checkRules: (model: StackModel, raw: Record<string, unknown>, ctx: NormalizeContext) => Diagnostic[];
}

/** The real stages. */
export const defaultStages: LoaderStages = { validateRaw, normalizeProject, checkRules };
