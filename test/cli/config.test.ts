// `stack config` through the built CLI: what a user sees for the resolved file, the lists, and
// `--no-interpolate` on values that only make sense after interpolation.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const CLI = new URL('../../bin/stack.cjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'stack-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'stack.yaml'),
  [
    'services:',
    '  web:',
    '    image: x',
    '    ports: ["${PORT:-8080}:80"]',
    '    mem_limit: ${MEM:-1g}',
    '    volumes: [data:/data]',
    '    networks: [front]',
    '  db:',
    '    image: y',
    '  debug:',
    '    image: z',
    '    profiles: [debug]',
    'volumes:',
    '  data: {}',
    'networks:',
    '  front: {}',
    '',
  ].join('\n'),
);
// Invalid only after normalization and rules (the schema accepts them).
const invalid = join(dir, 'invalid');
mkdirSync(invalid);
writeFileSync(join(invalid, 'missing-dep.yaml'), 'services:\n  web:\n    image: x\n    depends_on: [dbb]\n');
writeFileSync(join(invalid, 'bad-port.yaml'), 'services:\n  web:\n    image: x\n    ports: ["80:80:80:80"]\n');
writeFileSync(join(invalid, 'unclosed.yaml'), 'services:\n  web:\n    image: "x${TAG"\n');
writeFileSync(join(invalid, 'schema.yaml'), 'services:\n  web:\n    image: x\n    ports: "80"\n');

/** Runs the CLI with `args` (global options first, then the command) in the fixture dir. */
function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

function config(...args: string[]): { code: number; stdout: string; stderr: string } {
  return cli('config', ...args);
}

/** The lines a list flag printed, after checking it succeeded. */
function lines(out: { code: number; stdout: string; stderr: string }): string[] {
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.split('\n').filter(Boolean);
}

describe('stack config', () => {
  it('interpolates and normalizes by default (long port syntax, bytes)', () => {
    const out = config('--format', 'json');
    expect(out.code, out.stderr).toBe(0);
    const web = (JSON.parse(out.stdout) as { services: Record<string, { ports: unknown[]; mem_limit: unknown }> })
      .services['web']!;
    expect(web.ports).toEqual([expect.objectContaining({ target: 80, published: '8080' })]);
  });

  it('--format yaml prints the same resolved config as --format json', () => {
    const yaml = config('--format', 'yaml');
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(config('--format', 'json').stdout));
  });

  it('--no-interpolate prints the values as written instead of failing on them', () => {
    const out = config('--no-interpolate');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('${PORT:-8080}:80');
    expect(out.stdout).toContain('${MEM:-1g}');
    expect(lines(config('--no-interpolate', '--services'))).toEqual(['db', 'web']);
  });

  it('the lists: --volumes, --networks, --profiles, --images (enabled services only)', () => {
    expect(lines(config('--volumes'))).toEqual(['data']);
    expect(lines(config('--networks'))).toContain('front');
    expect(lines(config('--profiles'))).toEqual(['debug']);
    expect(lines(config('--images')).sort()).toEqual(['x', 'y']);
    expect(lines(cli('--profile', 'debug', 'config', '--images')).sort()).toEqual(['x', 'y', 'z']);
  });

  it('--services with service names lists only those services, whichever side of the flag they are on', () => {
    expect(lines(config('--services', 'web'))).toEqual(['web']);
    expect(lines(config('web', '--services'))).toEqual(['web']);
    expect(lines(config('--images', 'web'))).toEqual(['x']);
    // Naming a service enables its profiles.
    expect(lines(config('debug', '--services'))).toEqual(['debug']);
  });

  it('--services with names agrees with the services of the JSON output for the same names', () => {
    const json = JSON.parse(config('web', 'db', '--format', 'json').stdout) as { services: Record<string, unknown> };
    expect(Object.keys(json.services).sort()).toEqual(lines(config('web', 'db', '--services')));
  });

  it('--no-interpolate honours profiles: --services, the printed config and --profile', () => {
    expect(lines(config('--no-interpolate', '--services'))).toEqual(['db', 'web']);
    expect(lines(cli('--profile', 'debug', 'config', '--no-interpolate', '--services'))).toEqual([
      'db',
      'debug',
      'web',
    ]);
    expect(lines(config('--no-interpolate', 'debug', '--services'))).toEqual(['debug']);
    const json = JSON.parse(config('--no-interpolate', '--format', 'json').stdout) as {
      services: Record<string, unknown>;
    };
    expect(Object.keys(json.services).sort()).toEqual(['db', 'web']);
  });

  it('-q prints nothing and exits 0 on a valid file', () => {
    expect(config('-q')).toMatchObject({ code: 0, stdout: '' });
    expect(config('--no-interpolate', '-q')).toMatchObject({ code: 0, stdout: '' });
  });

  it.each(['missing-dep.yaml', 'bad-port.yaml', 'unclosed.yaml', 'schema.yaml'])(
    '-q and --no-interpolate -q exit 2 on %s, printing nothing on stdout',
    (name) => {
      const file = join(invalid, name);
      expect(cli('-f', file, 'config', '-q')).toMatchObject({ code: 2, stdout: '' });
      const out = cli('-f', file, 'config', '--no-interpolate', '-q');
      expect(out).toMatchObject({ code: 2, stdout: '' });
      expect(out.stderr).toMatch(/error\[[A-Z_]+\]/);
    },
  );
});
