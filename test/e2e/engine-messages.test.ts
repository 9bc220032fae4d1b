/**
 * Engine refusals quote the engine (issue 20 item 7): a build the engine refuses before
 * streaming (HTTP 400, a Dockerfile parse error) and a pull it refuses (HTTP 400 for an
 * invalid reference, HTTP 500 for a registry it cannot resolve) fail with exit 1 and the
 * engine's own message, not "HTTP 400". fixtures/engine-messages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeE2E, fixture, projectName, runCli } from './helpers.js';
import type { CliResult } from './helpers.js';
import { isolatedEnv } from './images-support.js';

const describe = await describeE2E();
const scratch = mkdtempSync(join(tmpdir(), 'stack-engine-messages-'));

function stack(args: readonly string[]): Promise<CliResult> {
  return runCli(['-p', projectName('engmsg'), ...args], {
    cwd: fixture('engine-messages'),
    env: isolatedEnv(scratch),
    timeoutMs: 60_000,
  });
}

describe('engine messages', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a Dockerfile the engine cannot parse fails the build with the parse error', async () => {
    const result = await stack(['build', 'bogus']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('unknown instruction');
    expect(result.stderr).toContain('BOGUS');
    expect(result.stderr).not.toMatch(/HTTP 4\d\d/);
  });

  it('an invalid image reference fails the pull with the reason the engine gives', async () => {
    const result = await stack(['pull', 'badref']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('invalid reference format');
    expect(result.stderr).not.toMatch(/HTTP 4\d\d/);
  });

  it("an unresolvable registry fails the pull with the engine's lookup error", async () => {
    const result = await stack(['pull', 'nohost']);
    expect(result.code, result.stderr).toBe(1);
    // Only the engine names the registry's /v2/ endpoint it could not reach.
    expect(result.stderr).toMatch(/nosuchhost\.invalid\/v2\/|lookup nosuchhost\.invalid/);
    expect(result.stderr).not.toMatch(/HTTP 5\d\d/);
  });
});
