/**
 * Service-to-service sharing against the real engine: `network_mode: service:x`,
 * `volumes_from` and `links`. The donor is created first, a recreate of the donor recreates
 * the containers built on it (and the stack then plans to nothing), a missing donor fails.
 */
import { expect, it } from 'vitest';
import { containers, describeE2E, docker, fixture, inspect, projects, runCli } from './helpers.js';

const describe = await describeE2E();
const project = projects();

const cwd = fixture('e2e-share');

interface Inspected {
  Id: string;
  Created: string;
  State: { Status: string };
  HostConfig: { NetworkMode: string; VolumesFrom: string[] | null };
}

describe('service-to-service sharing', () => {
  it('network_mode service:db and volumes_from db follow a recreate of db; links resolve under their alias', async () => {
    const p = project('share');
    const up = await runCli(['-p', p, 'up', '-d'], { cwd });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/volumes_from|links/);
    const db = inspect<Inspected>(`${p}-db-1`);
    expect(inspect<Inspected>(`${p}-sidecar-1`).HostConfig.NetworkMode).toBe(`container:${db.Id}`);
    expect(inspect<Inspected>(`${p}-reader-1`).HostConfig.VolumesFrom).toEqual([`${p}-db-1:ro`]);
    expect(docker(['exec', `${p}-reader-1`, 'cat', '/shared/version'])).toBe('v1');
    expect(() => docker(['exec', `${p}-reader-1`, 'touch', '/shared/x'])).toThrow();
    expect(docker(['exec', `${p}-linker-1`, 'ping', '-c', '1', '-W', '2', 'database'])).toContain('1 packets received');

    const changed = await runCli(['-p', p, 'up', '-d'], { cwd, env: { DB_VERSION: '2' } });
    expect(changed.code, changed.stderr).toBe(0);
    const db2 = inspect<Inspected>(`${p}-db-1`);
    expect(db2.Id).not.toBe(db.Id);
    const sidecar = inspect<Inspected>(`${p}-sidecar-1`);
    expect(sidecar.HostConfig.NetworkMode).toBe(`container:${db2.Id}`);
    expect(sidecar.State.Status).toBe('running');
    // The sidecar shares db's network: it sees db's interfaces (eth0 with an address).
    expect(docker(['exec', `${p}-sidecar-1`, 'ip', 'addr', 'show', 'eth0'])).toContain('inet ');
    expect(docker(['exec', `${p}-reader-1`, 'cat', '/shared/version'])).toBe('v2');

    const plan = await runCli(['-p', p, 'plan', '--detailed-exitcode'], { cwd, env: { DB_VERSION: '2' } });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('a donor left out of the run and missing is an error naming it (exit 1), nothing created', async () => {
    const p = project('share-missing');
    const result = await runCli(['-p', p, 'up', '-d', '--no-deps', 'sidecar'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${p}-db-1`);
    expect(result.stderr).toContain('"db"');
    expect(containers(p)).toEqual([]);
  });

  it('network_mode and volumes_from container:name use a container outside the stack; a missing one fails the run naming it', async () => {
    const p = project('share-container');
    const donor = `${p}-donor`;
    const env = { DONOR: donor };
    const missing = await runCli(['-p', p, '--profile', 'external', 'up', '-d', 'guest'], { cwd, env });
    expect(missing.code).toBe(1);
    // The donor's name came from a variable: named as ${DONOR}, never its value.
    expect(missing.stderr).toContain('${DONOR}');
    expect(missing.stderr).not.toContain(donor);
    docker(['run', '-d', '--name', donor, '-v', '/data', 'stack-test/busybox:latest', 'sleep', '3600']);
    try {
      const ok = await runCli(['-p', p, '--profile', 'external', 'up', '-d', 'guest'], { cwd, env });
      expect(ok.code, ok.stderr).toBe(0);
      const guest = inspect<Inspected>(`${p}-guest-1`);
      expect(guest.HostConfig.NetworkMode).toBe(`container:${inspect<Inspected>(donor).Id}`);
      expect(guest.HostConfig.VolumesFrom).toEqual([`${donor}:ro`]);
    } finally {
      docker(['rm', '-f', donor]);
    }
  });
});
