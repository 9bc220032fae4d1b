// `up`'s image flags as Compose v2: `--pull build` builds every service with a build section
// (its pull_policy replaced by `build`), `--quiet-pull` drops the pull progress, `--quiet-build`
// the build output; the Building/Built and Pulled lines stay.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, describeE2E, runCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';
import { REGISTRY, isolatedEnv, pushGeneration, removeImages } from './images-support.js';

const describe = await describeE2E();

describe('up --pull build, --quiet-pull, --quiet-build', () => {
  const project = uniqueName('e2e-upimg');
  const dir = mkdtempSync(join(tmpdir(), 'stack-upimg-'));
  const pulled = `${REGISTRY}/${project}/pulled:1`;
  const up = (...args: string[]) =>
    runCli(['-p', project, '--progress', 'plain', 'up', '-d', ...args], { cwd: dir, env: isolatedEnv(dir) });
  beforeAll(() => {
    pushGeneration(pulled, 'one');
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  app:',
        '    build:',
        '      context: .',
        '      dockerfile_inline: |',
        '        FROM stack-test/busybox:latest',
        '        RUN echo built > /stamp',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '  puller:',
        `    image: ${pulled}`,
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    cleanup(project);
    removeImages(`${project}-app`);
    removeImages(`${REGISTRY}/${project}/*`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--quiet-pull and --quiet-build keep the Built and Pulled lines and drop the progress and build output', async () => {
    // A first pull and build, without the flags: layer progress and build output.
    const loud = await up();
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toContain(`${project}-app | `);
    expect(loud.stderr).toMatch(/Pulling .*layers/);
    cleanup(project);
    removeImages(`${project}-app`);
    removeImages(pulled);
    // The same work again, quiet.
    const quiet = await up('--quiet-pull', '--quiet-build');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toContain(`Built ${project}-app`);
    expect(quiet.stderr).toContain(`Pulled ${pulled}`);
    expect(quiet.stderr).not.toContain(`${project}-app | `);
    expect(quiet.stderr).not.toMatch(/layers/);
  });

  it('--pull build rebuilds a service whose image is present; a plain up does not', async () => {
    const plain = await up();
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain(`Building ${project}-app`);
    const build = await up('--pull', 'build');
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toContain(`Building ${project}-app`);
    expect(build.stderr).not.toContain(`Pulling ${pulled}`);
  });
});
