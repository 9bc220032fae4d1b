/**
 * docs/errors.md says what stack prints: every error code of src/errors.ts is listed there and
 * no listed code is unknown, and each example of "What is printed" (a stack.yaml and a
 * command) prints exactly the text shown, with the exit code shown (the built CLI, no engine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, fileExamples, runFileExample } from '../support/doc-examples.js';

const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

/** The members of the ErrorCode union, read from the source (types are gone at run time). */
function errorCodes(): string[] {
  const source = readFileSync(join(ROOT, 'src/errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1];
  if (union === undefined) throw new Error('src/errors.ts: no `export type ErrorCode = ...;`');
  return [...union.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!);
}

describe('docs/errors.md', () => {
  it('lists every error code stack has, and no code it does not have', () => {
    const codes = errorCodes();
    expect(codes.length).toBeGreaterThan(50);
    const documented = new Set(
      [...doc.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|USAGE|INTERNAL|INTERRUPTED)`/g)].map((m) => m[1]!),
    );
    expect(
      codes.filter((c) => !documented.has(c)),
      'codes missing from docs/errors.md',
    ).toEqual([]);
    const known = new Set(codes);
    // Upper-case words in backticks that are not codes: variables and the like.
    const notCodes = [...documented].filter((c) => !known.has(c) && !/^(STACK|COMPOSE|DOCKER|NO)_/.test(c));
    expect(notCodes, 'docs/errors.md lists codes stack does not have').toEqual([]);
  });

  const examples = fileExamples(doc);

  it('has an example of each code that needs no engine, including YAML_SYNTAX', () => {
    const shown = examples.map((e) => /\[([A-Z_]+)\]/.exec(e.shown)?.[1]);
    expect(shown).toEqual(expect.arrayContaining(['YAML_SYNTAX', 'SCHEMA_UNKNOWN_KEY', 'INTERPOLATION_REQUIRED']));
    expect(examples.length).toBeGreaterThanOrEqual(25);
  });

  for (const example of examples) {
    const code = /\[([A-Z_]+)\]/.exec(example.shown)?.[1] ?? `line ${example.line}`;
    it(`${code}: stack ${example.args.join(' ')} prints what the doc shows`, { timeout: 30_000 }, () => {
      const run = runFileExample(example);
      expect(run.stderr).toBe(example.shown);
      expect(run.status).toBe(example.exit);
    });
  }
});
