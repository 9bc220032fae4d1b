/**
 * Loads the precompiled schema validator (scripts/build-validator.mjs) and the schema index.
 * The validator is CommonJS generated at build time, loaded with createRequire so that
 * `stack config` never compiles the schema at start-up. The same relative path works from
 * src/loader (vitest) and dist/loader (the build script copies both files there).
 */
import { createRequire } from 'node:module';
import { StackError } from '../errors.js';
import { indexSchema } from './schema-index.js';
import type { SchemaNode } from './schema-index.js';

/** One ajv error as the standalone validator reports it (no `verbose`). */
export interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly propertyName?: string;
  readonly message?: string;
}

/** The compiled validator: returns true when valid, else leaves its errors on `.errors`. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: readonly AjvError[] | null;
}

const require = createRequire(import.meta.url);
let cached: { validate: CompiledValidator; index: SchemaNode } | undefined;

function loadValidator(): CompiledValidator {
  try {
    return require('./validator.generated.cjs') as CompiledValidator;
  } catch (error) {
    throw new StackError(
      'INTERNAL',
      'the schema validator was not generated: run `npm run build` (scripts/build-validator.mjs)',
      { cause: error },
    );
  }
}

/** The validator and the schema index, loaded once per process. */
export function getValidator(): { validate: CompiledValidator; index: SchemaNode } {
  cached ??= {
    validate: loadValidator(),
    index: indexSchema(require('./stack.schema.json') as Record<string, unknown>),
  };
  return cached;
}
