// `stack config --variables`, `--hash` and `-o` through the built CLI (fixtures/interpolation).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack } from '../support/stack-cli.js';

const cwd = new URL('../../fixtures/interpolation', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'stack-config-flags-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('config --variables, --hash, -o', () => {
  it('--variables lists each variable with its default and alternate value, nested defaults included', async () => {
    const result = await runStack(['config', '--variables'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+REQUIRED\s+DEFAULT VALUE\s+ALTERNATE VALUE$/);
    expect(lines).toContainEqual(expect.stringMatching(/^BUSYBOX_TAG\s+false\s+latest$/));
    expect(lines).toContainEqual(expect.stringMatching(/^DEBUG\s+false\s+--debug$/));
    expect(lines).toContainEqual(expect.stringMatching(/^LOG_LEVEL\s+false\s+\$\{FALLBACK_LEVEL:-warn\}$/));
    expect(lines).toContainEqual(expect.stringMatching(/^FALLBACK_LEVEL\s+false\s+warn$/));
  });

  it('--hash prints one "service hash" line that changes with the configuration; an unknown service is a usage error', async () => {
    const first = await runStack(['config', '--hash', '*'], { cwd });
    expect(first.stdout).toMatch(/^app [0-9a-f]{64}\n$/);
    const changed = await runStack(['config', '--hash', 'app'], { cwd, env: { GREETING: 'bonjour' } });
    expect(changed.stdout).toMatch(/^app [0-9a-f]{64}\n$/);
    expect(changed.stdout).not.toBe(first.stdout);
    expect((await runStack(['config', '--hash', 'nope'], { cwd })).code).toBe(2);
  });

  it('--environment prints the interpolation environment: .env values, the shell winning', async () => {
    const envCwd = new URL('../../fixtures/compose-env', import.meta.url).pathname;
    const result = await runStack(['config', '--environment'], { cwd: envCwd, env: { STACK_H6_MARK: 'from-shell' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^COMPOSE_FILE=services\.yaml:extra\.yaml$/m);
    expect(result.stdout).toMatch(/^STACK_H6_MARK=from-shell$/m);
    const shell = await runStack(['config', '--environment'], { cwd: envCwd, env: { COMPOSE_FILE: 'services.yaml' } });
    expect(shell.stdout).toMatch(/^COMPOSE_FILE=services\.yaml$/m);
  });

  it('-o writes the output to a file and nothing to stdout', async () => {
    const out = join(scratch, 'services.txt');
    const result = await runStack(['config', '--services', '-o', out], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('app\n');
  });
});
