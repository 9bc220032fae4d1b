// `stack config` through the built CLI: what a user sees for the resolved file, the lists, and
// `--no-interpolate` on values that only make sense after interpolation.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = new URL('../../bin/stack.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'stack-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: x\n    ports: ["${PORT:-8080}:80"]\n    mem_limit: ${MEM:-1g}\n  db:\n    image: y\n');

function config(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, 'config', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('stack config', () => {
  it('interpolates and normalizes by default (long port syntax, bytes)', () => {
    const out = config('--format', 'json');
    expect(out.code, out.stderr).toBe(0);
    const web = (JSON.parse(out.stdout) as { services: Record<string, { ports: unknown[]; mem_limit: unknown }> }).services['web']!;
    expect(web.ports).toEqual([expect.objectContaining({ target: 80, published: '8080' })]);
  });

  it('--no-interpolate prints the values as written instead of failing on them', () => {
    const out = config('--no-interpolate');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('${PORT:-8080}:80');
    expect(out.stdout).toContain('${MEM:-1g}');
    expect(config('--no-interpolate', '--services').stdout.split('\n').filter(Boolean)).toEqual(['db', 'web']);
  });
});
