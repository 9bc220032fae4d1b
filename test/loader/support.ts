/**
 * Loader stages standing in for validation, normalization and rules, so the loader core can
 * be tested on its own: no validation, services passed through as they are, no rules.
 */
import type { LoaderStages } from '../../src/loader/stages.js';

export const passThroughStages: LoaderStages = {
  validateRaw: () => [],
  normalizeProject: (merged) => ({
    value: {
      services: (merged['services'] ?? {}) as never,
      networks: {},
      volumes: {},
      secrets: {},
      configs: {},
      extensions: {},
    },
    diagnostics: [],
  }),
  checkRules: () => [],
};
