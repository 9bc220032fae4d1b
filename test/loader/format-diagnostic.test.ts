// formatDiagnostic prints text taken from the stack file: control characters and bidi
// overrides in it must arrive on the terminal escaped, with the caret still under the column.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError, diagnostic, formatDiagnostic } from '../../src/errors.js';
import { loadStack } from '../../src/loader/load.js';

// Anything a terminal would act on or that reorders/hides text; \n and \t are not in it.
const RAW_UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** The rendered source line and the character the caret points at. */
function excerpt(out: string): { line: string; pointed: string } {
  const lines = out.split('\n');
  const caretLine = lines.find((l) => /^\s+\| +\^$/.test(l))!;
  const sourceLine = lines[lines.indexOf(caretLine) - 1]!;
  return { line: sourceLine, pointed: sourceLine[caretLine.indexOf('^')]! };
}

const dir = mkdtempSync(join(tmpdir(), 'stack-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('formatDiagnostic', () => {
  it('escapes ESC, BEL, DEL, C1 and bidi overrides in the source line and keeps the caret under the column', () => {
    const file = '/p/stack.yaml';
    const text = 'services:\n  w\u001b[2Jeb\u0007\u007f\u009b\u202e: {image: x}\n';
    // col 14 is the ":" after the five unsafe characters (1-based, UTF-16 units of the raw line)
    const d = diagnostic('SCHEMA_UNKNOWN_KEY', 'unknown key', { file, line: 2, col: 14 });
    const out = formatDiagnostic(d, { sources: new Map([[file, text]]) });
    expect(out).not.toMatch(RAW_UNSAFE);
    const { line, pointed } = excerpt(out);
    expect(line).toContain('\\u001b[2Jeb\\u0007\\u007f\\u009b\\u202e:');
    expect(pointed).toBe(':');
  });

  it('escapes unsafe characters in the message, the hint and the file name, but keeps newlines of the message', () => {
    const d = diagnostic(
      'UNKNOWN_SERVICE',
      'unknown "\u001b]0;pwned\u0007"\nsecond line',
      { file: '/p/a\u001bb.yaml', line: 1, col: 1 },
      'did you mean "w\u202eeb"?',
    );
    const out = formatDiagnostic(d);
    expect(out).not.toMatch(RAW_UNSAFE);
    expect(out).toContain('a\\u001bb.yaml:1:1');
    expect(out).toContain('\\u001b]0;pwned\\u0007');
    expect(out).toContain('\nsecond line');
    expect(out).toContain('w\\u202eeb');
  });

  it('a carriage return inside the line is shown escaped, the caret after it still aligned', () => {
    const file = '/p/s.yaml';
    const d = diagnostic('YAML_SYNTAX', 'x', { file, line: 1, col: 4 });
    const { pointed } = excerpt(formatDiagnostic(d, { sources: new Map([[file, 'a\rbc: 1']]) }));
    expect(pointed).toBe('c');
  });

  it('a file with an ESC byte fails as YAML_BINARY and the printed excerpt has no raw control character', async () => {
    const file = join(dir, 'esc.yaml');
    const text = 'services:\n  web:\n    image: "x\u001b[31mred"\n';
    writeFileSync(file, text);
    const error = (await loadStack({ cwd: dir, env: {}, files: [file] }).catch((e: unknown) => e)) as StackError;
    expect(error).toBeInstanceOf(StackError);
    const d = error.diagnostics[0]!;
    expect([d.code, d.location?.line, d.location?.col]).toEqual(['YAML_BINARY', 3, 14]);
    const out = formatDiagnostic(d, { sources: new Map([[file, text]]) });
    expect(out).not.toMatch(RAW_UNSAFE);
    expect(excerpt(out).line).toContain('\\u001b[31mred');
  });

  it('a key with a bidi override is quoted escaped in the unknown-key message', async () => {
    const file = join(dir, 'bidi.yaml');
    const text = 'services:\n  web:\n    image: x\n    imag\u202ee: y\n';
    writeFileSync(file, text);
    const error = (await loadStack({ cwd: dir, env: {}, files: [file] }).catch((e: unknown) => e)) as StackError;
    expect(error).toBeInstanceOf(StackError);
    const d = error.diagnostics.find((x) => x.code === 'SCHEMA_UNKNOWN_KEY')!;
    expect([d.location?.line, d.location?.col]).toEqual([4, 5]);
    const out = formatDiagnostic(d, { sources: new Map([[file, text]]) });
    expect(out).not.toMatch(RAW_UNSAFE);
    expect(out).toContain('imag\\u202ee');
  });
});
