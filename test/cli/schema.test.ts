/** `stack schema` prints the published schema file (the built CLI, from any directory). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const stack = (...args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [join(root, 'bin/stack.cjs'), ...args], { cwd: tmpdir(), encoding: 'utf8' });

describe('stack schema', () => {
  it('prints the schema stack validates with, byte for byte, and --path names the published file', () => {
    const printed = stack('schema');
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(readFileSync(join(root, 'src/loader/stack.schema.json'), 'utf8'));
    expect(stack('schema', '--path').stdout).toBe(join(root, 'dist/stack.schema.json') + '\n');
  });
});
