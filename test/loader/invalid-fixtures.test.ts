/**
 * Every file in fixtures/invalid starts with `# expect: CODE line:col` lines; loading it must
 * fail with a StackError holding each expected code at that position.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import { loadStack } from '../../src/loader/load.js';

const dir = resolve(import.meta.dirname, '../../fixtures/invalid');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function expectations(file: string): string[] {
  const head = readFileSync(file, 'latin1').split('\n');
  const out: string[] = [];
  for (const line of head) {
    const match = /^# expect: ([A-Z_]+) (\d+):(\d+)\s*$/.exec(line);
    if (!match) break;
    out.push(`${match[1]} ${match[2]}:${match[3]}`);
  }
  return out;
}

describe('invalid fixtures', () => {
  it('has at least one expectation in every fixture', () => {
    for (const file of files) expect(expectations(join(dir, file)), file).not.toEqual([]);
  });

  it.each(files)('%s fails with the expected codes and positions', async (name) => {
    const file = join(dir, name);
    const error = await loadStack({ cwd: dir, env: {}, files: [file] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StackError);
    const found = (error as StackError).diagnostics.map((d) => `${d.code} ${d.location?.line}:${d.location?.col}`);
    for (const expected of expectations(file)) expect(found).toContain(expected);
  });
});
