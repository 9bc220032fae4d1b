import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTar } from '../../src/watch/tar.js';

const mtime = Date.UTC(2024, 0, 2, 3, 4, 5);

function extract(tar: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-tar-'));
  writeFileSync(join(dir, 'a.tar'), tar);
  execFileSync('tar', ['-xf', 'a.tar', '-C', dir], { cwd: dir });
  return dir;
}

describe('tar for sync', () => {
  it('files extract with their content, mode and parents, listed under their container path', () => {
    const tar = buildTar([
      { type: 'directory', name: 'app/src', mode: 0o755, mtime },
      { type: 'file', name: 'app/src/index.js', content: Buffer.from('console.log(1)\n'), mode: 0o100755, mtime },
      { type: 'file', name: 'app/empty.txt', content: new Uint8Array(0), mode: 0o644, mtime },
    ]);
    expect(tar.length % 512).toBe(0);
    const dir = extract(tar);
    expect(readFileSync(join(dir, 'app/src/index.js'), 'utf8')).toBe('console.log(1)\n');
    expect(statSync(join(dir, 'app/src/index.js')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'app/src/index.js')).mtimeMs).toBe(mtime);
    expect(readFileSync(join(dir, 'app/empty.txt'), 'utf8')).toBe('');
  });

  it('long paths survive (ustar prefix, then a PAX header)', () => {
    const medium = `app/${'d'.repeat(90)}/${'f'.repeat(90)}.txt`;
    const long = `app/${'x'.repeat(300)}.txt`;
    const tar = buildTar([
      { type: 'file', name: medium, content: Buffer.from('m'), mode: 0o644, mtime },
      { type: 'file', name: long, content: Buffer.from('l'), mode: 0o644, mtime },
    ]);
    const listed = execFileSync('tar', ['-tf', '-'], { input: tar }).toString().trim().split('\n');
    expect(listed).toEqual([medium, long]);
  });

  it('multi-byte names and contents are kept', () => {
    const tar = buildTar([{ type: 'file', name: 'app/héllo ✓.txt', content: Buffer.from('ünï'), mode: 0o644, mtime }]);
    const dir = extract(tar);
    expect(readFileSync(join(dir, 'app/héllo ✓.txt'), 'utf8')).toBe('ünï');
  });

  it('refuses names that would escape the extraction root', () => {
    expect(() =>
      buildTar([{ type: 'file', name: '/etc/passwd', content: Buffer.from(''), mode: 0o644, mtime }]),
    ).toThrow();
    expect(() =>
      buildTar([{ type: 'file', name: 'app/../../x', content: Buffer.from(''), mode: 0o644, mtime }]),
    ).toThrow();
  });
});
