/**
 * A minimal tar writer (ustar, with a PAX header for paths that do not fit) for sync: the
 * engine's archive endpoint extracts it at `/` in the container, creating parent directories.
 * Built in memory because sync batches are a few changed files, never a whole context.
 */

/** One archive entry. `name` is the path in the container without the leading slash. */
export type TarEntry =
  | {
      readonly type: 'file';
      readonly name: string;
      readonly content: Uint8Array;
      readonly mode: number;
      readonly mtime: number;
      readonly uid?: number;
      readonly gid?: number;
    }
  | { readonly type: 'directory'; readonly name: string; readonly mode: number; readonly mtime: number };

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the trailing NUL
  const text = Math.floor(value).toString(8);
  if (text.length > width - 1) throw new RangeError(`tar field overflow: ${value}`);
  return text.padStart(width - 1, '0') + '\0';
}

function writeString(buf: Buffer, offset: number, width: number, text: string): void {
  buf.write(text, offset, Math.min(width, Buffer.byteLength(text)), 'utf8');
}

/** Splits a long path into ustar prefix + name when possible. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return { prefix, name: rest };
  }
  return undefined;
}

function header(fields: {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  uid?: number;
  gid?: number;
}): Buffer {
  const buf = Buffer.alloc(BLOCK, 0);
  writeString(buf, 0, 100, fields.name);
  writeString(buf, 100, 8, octal(fields.mode & 0o7777, 8));
  writeString(buf, 108, 8, octal(fields.uid ?? 0, 8));
  writeString(buf, 116, 8, octal(fields.gid ?? 0, 8));
  writeString(buf, 124, 12, octal(fields.size, 12));
  writeString(buf, 136, 12, octal(fields.mtime, 12));
  buf.fill(' ', 148, 156);
  writeString(buf, 156, 1, fields.typeflag);
  writeString(buf, 257, 6, 'ustar\0');
  writeString(buf, 263, 2, '00');
  writeString(buf, 265, 32, 'root');
  writeString(buf, 297, 32, 'root');
  writeString(buf, 345, 155, fields.prefix);
  let sum = 0;
  for (const byte of buf) sum += byte;
  writeString(buf, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return buf;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** One PAX record: "<len> path=<value>\n", where len counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Serialises entries into one tar archive (two zero blocks at the end). */
export function buildTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe tar entry name: ${entry.name}`);
    const size = entry.type === 'file' ? entry.content.byteLength : 0;
    const mtime = Math.floor(entry.mtime / 1000);
    let split = splitName(name);
    if (!split) {
      const pax = Buffer.from(paxRecord('path', name), 'utf8');
      parts.push(
        header({ name: 'PaxHeader', prefix: '', mode: 0o644, size: pax.length, mtime, typeflag: 'x' }),
        pax,
        padding(pax.length),
      );
      split = { prefix: '', name: name.slice(0, 100) };
    }
    const owner =
      entry.type === 'file'
        ? {
            ...(entry.uid !== undefined ? { uid: entry.uid } : {}),
            ...(entry.gid !== undefined ? { gid: entry.gid } : {}),
          }
        : {};
    parts.push(
      header({ ...split, ...owner, mode: entry.mode, size, mtime, typeflag: entry.type === 'file' ? '0' : '5' }),
    );
    if (entry.type === 'file')
      parts.push(Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength), padding(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
