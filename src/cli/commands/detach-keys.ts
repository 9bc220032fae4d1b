/**
 * Detach keys as the Docker CLI reads them (`--detach-keys`, config.json `detachKeys`, default
 * `ctrl-p,ctrl-q`): comma-separated single characters or `ctrl-@`, `ctrl-a` … `ctrl-z`,
 * `ctrl-[`, `ctrl-\`, `ctrl-]`, `ctrl-^`, `ctrl-_`, or `DEL`. The filter passes stdin through and
 * holds back a partial match; the whole sequence detaches and is never sent.
 */
import { Transform } from 'node:stream';
import { StackError } from '../../errors.js';

/** Docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CONTROL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** `ctrl-p,ctrl-q` → [16, 17]; USAGE naming the key it cannot read. */
export function parseDetachKeys(keys: string): number[] {
  return keys.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    if (key === 'DEL') return 127;
    const at = key.startsWith('ctrl-') && key.length === 6 ? CONTROL.indexOf(key[5]!) : -1;
    if (at < 0)
      throw new StackError(
        'USAGE',
        `invalid detach keys "${keys}": unknown key "${key}" ` +
          `(a character, ctrl-a … ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_ or DEL)`,
      );
    return at;
  });
}

/** A pass-through of stdin that calls `onDetach` (and ends) once it has read `sequence`. */
export function detachFilter(sequence: readonly number[], onDetach: () => void): Transform {
  let matched = 0;
  let detached = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (detached) return done();
      const out: number[] = [];
      for (const byte of chunk) {
        if (byte === sequence[matched]) {
          matched += 1;
          if (matched === sequence.length) {
            detached = true;
            if (out.length > 0) this.push(Buffer.from(out));
            onDetach();
            return done();
          }
          continue;
        }
        // A partial match that breaks off is sent as typed, then this byte is looked at afresh.
        out.push(...sequence.slice(0, matched));
        matched = 0;
        if (byte === sequence[0]) matched = 1;
        else out.push(byte);
      }
      done(null, out.length > 0 ? Buffer.from(out) : undefined);
    },
  });
}
