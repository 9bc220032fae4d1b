/**
 * `down` removes the project's containers and networks, keeps named volumes unless `-v`, and
 * never touches another project's or external resources.
 */
import { afterEach, expect, it } from 'vitest';
import {
  cleanup,
  containers,
  describeE2E,
  docker,
  fixture,
  networks,
  projectName,
  runCli,
  volumes,
} from './helpers.js';

const describe = await describeE2E();
const projects: string[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) cleanup(p);
});

describe('down', () => {
  it('removes containers and networks, keeps named volumes, leaves other projects and foreign resources alone', async () => {
    const p = projectName('down');
    const other = projectName('bystander');
    projects.push(p, other);
    const cwd = fixture('e2e-basic');
    const foreignVolume = `${p}-foreign`;
    docker(['volume', 'create', foreignVolume]);
    try {
      expect((await runCli(['-p', p, 'up', '-d'], { cwd })).code).toBe(0);
      expect((await runCli(['-p', other, 'up', '-d'], { cwd })).code).toBe(0);
      const otherBefore = containers(other).map((c) => c.id);
      expect(networks(p)).toEqual([`${p}_default`]);

      const down = await runCli(['-p', p, 'down'], { cwd });
      expect(down.code, down.stderr).toBe(0);
      expect(containers(p)).toEqual([]);
      expect(networks(p)).toEqual([]);
      expect(volumes(p)).toEqual([`${p}_data`]);
      expect(containers(other).map((c) => c.id)).toEqual(otherBefore);
      expect(networks(other)).toEqual([`${other}_default`]);
      expect(docker(['volume', 'ls', '-q', '--filter', `name=${foreignVolume}`])).toBe(foreignVolume);

      const downV = await runCli(['-p', p, 'down', '-v'], { cwd });
      expect(downV.code, downV.stderr).toBe(0);
      expect(volumes(p)).toEqual([]);
      expect(volumes(other)).toEqual([`${other}_data`]);
      expect(docker(['volume', 'ls', '-q', '--filter', `name=${foreignVolume}`])).toBe(foreignVolume);
    } finally {
      docker(['volume', 'rm', '-f', foreignVolume]);
    }
  });
});
