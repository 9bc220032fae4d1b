// `config --resolve-image-digests` and `--lock-image-digests` as Compose v2: images pinned to the
// digest their registry serves now (asked through the engine), and an override file holding
// only those pins. The registry is the loopback one on 127.0.0.1:5000.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeE2E, runCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';
import { REGISTRY, isolatedEnv, pushGeneration } from './images-support.js';

const describe = await describeE2E();

describe('config pins images to registry digests', () => {
  const project = uniqueName('e2e-cfgdig');
  const dir = mkdtempSync(join(tmpdir(), 'stack-cfgdig-'));
  const repo = `${REGISTRY}/${project}/app`;
  let digest = '';
  const config = (...args: string[]) => runCli(['-p', project, 'config', ...args], { cwd: dir, env: isolatedEnv(dir) });
  beforeAll(async () => {
    pushGeneration(`${repo}:1`, 'one');
    const head = await fetch(`http://${REGISTRY}/v2/${project}/app/manifests/1`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    digest = head.headers.get('docker-content-digest') ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  web:',
        `    image: ${repo}:1`,
        '    environment:',
        '      MODE: prod',
        '  local:',
        '    build:',
        '      context: .',
        '      dockerfile_inline: FROM stack-test/busybox:latest',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--resolve-image-digests prints the whole config with each image as name:tag@digest', async () => {
    const run = await config('--resolve-image-digests');
    expect(run.code, run.stderr).toBe(0);
    const printed = parse(run.stdout) as { services: Record<string, { image?: string; environment?: unknown }> };
    expect(printed.services['web']!.image).toBe(`${repo}:1@${digest}`);
    expect(printed.services['web']!.environment).toEqual({ MODE: 'prod' });
    expect(printed.services['local']!.image).toBeUndefined();
  });

  it('--lock-image-digests prints an override file with only the pinned images', async () => {
    const run = await config('--lock-image-digests');
    expect(run.code, run.stderr).toBe(0);
    expect(parse(run.stdout)).toEqual({ services: { web: { image: `${repo}:1@${digest}` } } });
    // Merged over the stack file, it pins what up would run.
    writeFileSync(join(dir, 'lock.yaml'), run.stdout);
    const images = await runCli(['-p', project, '-f', 'stack.yaml', '-f', 'lock.yaml', 'config', '--images', 'web'], {
      cwd: dir,
    });
    expect(images.stdout.trim()).toBe(`${repo}:1@${digest}`);
  });

  it('an image the registry does not have fails naming it', async () => {
    writeFileSync(join(dir, 'missing.yaml'), `services:\n  gone:\n    image: ${repo}:no-such-tag\n`);
    const run = await runCli(['-p', project, '-f', 'missing.yaml', 'config', '--resolve-image-digests'], {
      cwd: dir,
      env: isolatedEnv(dir),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot resolve the digest of ${repo}:no-such-tag`);
  });
});
