/**
 * `--progress json`: every line on stderr is a versioned JSON event, errors and warnings
 * included, so a CI script can parse the whole stream (docs/progress-json.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_EVENTS_VERSION, jsonEvent } from '../../src/render/json.js';

const root = join(import.meta.dirname, '..', '..');

function run(args: string[], cwd: string): { code: number; stderr: string } {
  try {
    execFileSync(process.execPath, [join(root, 'bin/stack.cjs'), ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { code: e.status, stderr: e.stderr };
  }
}

describe('--progress json', () => {
  it('an event line carries the schema version and its type first', () => {
    expect(JSON.parse(jsonEvent('note', { message: 'm' }))).toEqual({
      v: JSON_EVENTS_VERSION,
      type: 'note',
      message: 'm',
    });
  });

  it('an invalid file gives one diagnostic event per problem and an error event, all JSON, exit 2', () => {
    expect(existsSync(join(root, 'dist/stack.cjs')), 'run `npm run build` first').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'stack-json-'));
    writeFileSync(
      join(dir, 'stack.yaml'),
      'services:\n  web:\n    image: x\n    enviroment:\n      A: b\n    restart: ever\n',
    );
    const { code, stderr } = run(['--progress', 'json', 'config'], dir);
    expect(code).toBe(2);
    const events = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.every((e) => e['v'] === JSON_EVENTS_VERSION)).toBe(true);
    const diagnostics = events.filter((e) => e['type'] === 'diagnostic');
    expect(diagnostics.map((d) => `${String(d['code'])}@${String(d['line'])}:${String(d['col'])}`)).toContain(
      'SCHEMA_UNKNOWN_KEY@4:5',
    );
    expect(diagnostics.find((d) => d['code'] === 'SCHEMA_UNKNOWN_KEY')?.['hint']).toBe('did you mean "environment"?');
    expect(events.at(-1)).toMatchObject({ type: 'error', exitCode: 2 });
  });

  it('without --progress json the same failure is the formatted text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-json-'));
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: x\n    enviroment:\n      A: b\n');
    const { code, stderr } = run(['config'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('stack.yaml:4:5 error[SCHEMA_UNKNOWN_KEY]');
  });
});
