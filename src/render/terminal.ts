/**
 * Where renderers write and how: the terminal decisions the CLI makes once (progress mode after
 * `auto` is resolved, colour) and every renderer of src/render takes. A library caller can
 * build one for any stream.
 */
import type { Writable } from 'node:stream';

/** `--progress`: `auto` resolves to `tty` on a terminal, `plain` elsewhere (CI, pipes). */
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

/** A resolved output: the stream progress and diagnostics go to, colour, and the mode. */
export interface Terminal {
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Colour allowed (TTY and no NO_COLOR). */
  readonly color: boolean;
  readonly progress: Exclude<ProgressMode, 'auto'>;
}
