/**
 * `down --rmi local` removes the images stack built and named itself (`<project>-<service>`),
 * never an image named by `image:`; `--rmi all` would also remove those (not run here: the
 * test image is shared). fixtures/build-basic.
 */
import { afterAll, expect, it } from 'vitest';
import { cleanup, containers, describeE2E, docker, fixture, projectName, runCli } from './helpers.js';

const describe = await describeE2E();
const cwd = fixture('build-basic');
const p = projectName('rmi');
const images = (): string[] =>
  docker(['images', '--format', '{{.Repository}}', '--filter', `reference=${p}-*`])
    .split('\n')
    .filter(Boolean)
    .sort();

describe('down --rmi', () => {
  afterAll(() => {
    cleanup(p);
    for (const image of images()) docker(['rmi', '-f', image]);
  });

  it('--rmi local removes the built images, keeps the named one; a bad value is a usage error', async () => {
    const up = await runCli(['-p', p, 'up', '-d'], { cwd, timeoutMs: 180_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(images()).toEqual([`${p}-web`, `${p}-worker`]);
    expect((await runCli(['-p', p, 'down', '--rmi', 'some'], { cwd })).code).toBe(2);
    const down = await runCli(['-p', p, 'down', '--rmi', 'local'], { cwd });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Image ${p}-web  Removed`);
    expect(containers(p)).toEqual([]);
    expect(images()).toEqual([]);
    expect(docker(['images', '-q', 'stack-test/busybox:latest'])).not.toBe('');
  });
});
