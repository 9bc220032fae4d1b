/**
 * Where each part of merged data came from. Merging records "the subtree at merged path P
 * was taken from path Q of a source with this Locate"; a lookup uses the longest recorded
 * prefix, so the file that set a value last wins and appended list items keep their own
 * file's position even though their index changed.
 */
import type { SourceLocation } from '../errors.js';
import type { Locate, Path } from './types.js';

interface Origin {
  readonly locate: Locate;
  readonly path: Path;
}

function keyOf(path: Path): string {
  return JSON.stringify(path.map(String));
}

/** A mutable record of origins; `locate` is the combined Locate over all recorded sources. */
export class Provenance {
  private readonly origins = new Map<string, Origin>();

  /** The subtree at `path` now comes from `sourcePath` of the source `locate` describes. */
  record(path: Path, locate: Locate, sourcePath: Path = path): void {
    this.origins.set(keyOf(path), { locate, path: sourcePath });
  }

  /** Copies the origins under `from` to `to` (a value moved or was copied in the data). */
  copy(from: Path, to: Path): void {
    const prefix = keyOf(from).slice(0, -1);
    for (const [key, origin] of [...this.origins]) {
      if (key === keyOf(from) || key.startsWith(prefix + ',')) {
        const rest = (JSON.parse(key) as string[]).slice(from.length);
        this.origins.set(keyOf([...to, ...rest]), origin);
      }
    }
  }

  private exact(path: Path, at: 'key' | 'value' | undefined): SourceLocation | undefined {
    for (let n = path.length; n >= 0; n--) {
      const origin = this.origins.get(keyOf(path.slice(0, n)));
      if (origin) return origin.locate([...origin.path, ...path.slice(n)], at);
    }
    return undefined;
  }

  /**
   * The combined Locate. A path missing from every source (a default added later, a key
   * removed by `!reset`) falls back to its nearest located ancestor.
   */
  readonly locate: Locate = (path, at) => {
    for (let n = path.length; n >= 0; n--) {
      const found = this.exact(path.slice(0, n), n === path.length ? at : 'value');
      if (found) return found;
    }
    return undefined;
  };

  /**
   * Freezes the current origins of the subtree at `path` into a standalone Locate and drops
   * them here, so the subtree can be rebuilt (extends) without stale index records.
   */
  detach(path: Path): Locate {
    const snapshot = new Provenance();
    for (const [key, origin] of this.origins) snapshot.origins.set(key, origin);
    const own = keyOf(path);
    for (const key of [...this.origins.keys()])
      if (key === own || key.startsWith(own.slice(0, -1) + ',')) this.origins.delete(key);
    return snapshot.locate;
  }
}
