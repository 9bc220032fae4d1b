/**
 * A port already in use (issue 17): the failure names the service and the host port, says who
 * holds it (another project's container, or a process outside Docker), and neither adds an
 * exit code (no program ran) nor promises that the next run converges. fixtures/e2e-ports.
 */
import { createServer } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { cleanup, describeE2E, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('e2e-ports');
const holder = projectName('portheld');
const loser = projectName('portlose');

describe('port conflict messages', () => {
  afterAll(() => {
    cleanup(holder);
    cleanup(loser);
  });

  it("a port another project's container holds: the message names the port, the container, its project and service", async () => {
    const env = { WEB_PORT: '18197' };
    expect((await runCli(['-p', holder, 'up', '-d', 'web'], { cwd, env })).code).toBe(0);
    const result = await runCli(['-p', loser, 'up', '-d', 'web'], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('service:web:1');
    // The port came from $WEB_PORT: named as ${WEB_PORT}, never its value (the secrets rule).
    expect(result.stderr).toContain(
      `host port \${WEB_PORT} on 127.0.0.1 is held by container ${holder}-web-1 (project ${holder}, service web)`,
    );
    expect(result.stderr).not.toMatch(/exit code 128/);
    expect(result.stderr).not.toContain('converges');
  });

  it('a port a process outside Docker holds: the message says so', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(18198, '127.0.0.1', resolve));
    try {
      const result = await runCli(['-p', loser, 'up', '-d', 'web'], { cwd, env: { WEB_PORT: '18198' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('host port ${WEB_PORT} on 127.0.0.1 is in use by a process outside Docker');
      expect(result.stderr).not.toMatch(/exit code 128/);
    } finally {
      server.close();
    }
  });
});
