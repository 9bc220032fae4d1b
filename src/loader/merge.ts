/**
 * Merges the stack files given with `-f` (or a file and its override) in order, by the
 * Compose rules in merge-rules.ts, applying `!reset` and `!override`. Positions follow the
 * data: each value is located in the file that set it last.
 */
import { Provenance } from './provenance.js';
import { mergeMaps, pathKey } from './merge-rules.js';
import type { MergeSource } from './merge-rules.js';
import type { Locate, ParsedFile } from './types.js';

/** Merged data and where each part of it was written. */
export interface MergedFiles {
  readonly data: Record<string, unknown>;
  readonly locate: Locate;
  /** The origin records, for later stages (extends) that move data around. */
  readonly provenance: Provenance;
}

/** Merges `files` in order (later files win). The inputs are not modified. */
export function mergeFiles(files: readonly ParsedFile[]): MergedFiles {
  const prov = new Provenance();
  let data = Object.create(null) as Record<string, unknown>;
  for (const file of files) {
    const src: MergeSource = {
      locate: file.locate,
      prov,
      resets: new Set(file.resets.map(pathKey)),
      overrides: new Set(file.overrides.map(pathKey)),
      sourcePath: (path) => path,
    };
    data = mergeMaps(data, file.data, [], src, false);
  }
  return { data, locate: prov.locate, provenance: prov };
}
