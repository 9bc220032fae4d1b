import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../../src/loader/load.js';
import { toComposeConfig } from '../../src/loader/serialize.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures');

describe('toComposeConfig', () => {
  it('prints the model in Compose long syntax with sorted keys and Compose spellings', async () => {
    const model = await loadStack({
      cwd: fixtures,
      env: {},
      files: [join(fixtures, 'normalize-misc/stack.yaml')],
      projectName: 'misc',
    });
    const config = toComposeConfig(model);
    expect(Object.keys(config)).toEqual(['configs', 'name', 'networks', 'secrets', 'services']);
    const app = (config['services'] as Record<string, Record<string, unknown>>)['app']!;
    expect(Object.keys(app)).toEqual([...Object.keys(app)].sort());
    expect(app).toMatchObject({
      stop_grace_period: '1m30s',
      mem_limit: 512 * 1024 ** 2,
      extra_hosts: ['db.local:10.0.0.5', 'cache.local:10.0.0.6'],
      restart: 'on-failure:3',
    });
    expect(config['networks']).toEqual({ default: { name: 'misc_default' } });
  });
  it('keeps x- keys inside a service, hooks and the provider type, as Compose does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-serialize-x-'));
    try {
      const file = join(dir, 'stack.yaml');
      writeFileSync(
        file,
        'services:\n  web:\n    image: x\n    x-team: {owner: ops}\n    post_start: [{command: [echo, hi], user: root}]\n  ai:\n    provider: {type: model}\n',
      );
      const services = toComposeConfig(await loadStack({ cwd: dir, env: {}, files: [file], projectName: 'p' }))[
        'services'
      ] as Record<string, Record<string, unknown>>;
      expect(services['web']).toMatchObject({
        'x-team': { owner: 'ops' },
        post_start: [{ command: ['echo', 'hi'], user: 'root' }],
      });
      expect(services['ai']).toMatchObject({ provider: { type: 'model' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('prints attach as Compose does: only where written, false and true alike, with no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-serialize-attach-'));
    try {
      const file = join(dir, 'stack.yaml');
      writeFileSync(
        file,
        'services:\n  a:\n    image: x\n    attach: false\n  b:\n    image: x\n    attach: true\n  c:\n    image: x\n',
      );
      const model = await loadStack({ cwd: dir, env: {}, files: [file], projectName: 'p' });
      expect(model.warnings.map((w) => w.code)).toEqual([]);
      const services = toComposeConfig(model)['services'] as Record<string, Record<string, unknown>>;
      expect(services['a']!['attach']).toBe(false);
      expect(services['b']!['attach']).toBe(true);
      expect(services['c']).not.toHaveProperty('attach');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('keeps an explicit empty command and includes environment values', async () => {
    const model = await loadStack({
      cwd: fixtures,
      env: {},
      files: [join(fixtures, 'normalize-env/stack.yaml')],
      projectName: 'env',
    });
    const map = (toComposeConfig(model)['services'] as Record<string, Record<string, unknown>>)['map']!;
    expect(map['environment']).toEqual({ COUNT: '3', ENABLED: 'true', MODE: 'map' });
  });
  it('writes a literal $ as $$, so the printed config loads back to the same values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-serialize-'));
    try {
      const file = join(dir, 'stack.yaml');
      writeFileSync(
        file,
        'services:\n  web:\n    image: x\n    command: ["sh", "-c", "echo $${HOME} $$1"]\n    environment:\n      PRICE: "$$5"\n',
      );
      const first = await loadStack({ cwd: dir, env: { HOME: '/h' }, files: [file], projectName: 'p' });
      const config = toComposeConfig(first);
      const web = (config['services'] as Record<string, Record<string, unknown>>)['web']!;
      expect(web['command']).toEqual(['sh', '-c', 'echo $${HOME} $$1']);
      // The document shares lists with the model: escaping must copy them, never change the model.
      expect(first.services['web']!.command).toEqual(['sh', '-c', 'echo ${HOME} $1']);
      expect(toComposeConfig(first)).toEqual(config);
      writeFileSync(file, JSON.stringify(config));
      const again = await loadStack({ cwd: dir, env: { HOME: '/h' }, files: [file], projectName: 'p' });
      expect(again.services['web']!.command).toEqual(['sh', '-c', 'echo ${HOME} $1']);
      expect(again.services['web']!.environment).toEqual({ PRICE: '$5' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
