import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/model.js';
import { applyLock, compareLocks, lockFilePath, parseLock, serializeLock } from '../../src/images/lock-file.js';
import type { LockFile } from '../../src/images/lock-file.js';
import { model, service } from '../planner/helpers.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const lock = (services: LockFile['services']): LockFile => ({ version: 1, project: 'demo', services });
const buildOnly = (name: string): ServiceSpec => {
  const { image: _image, ...rest } = service(name, {
    build: { context: '/src', args: {}, labels: {}, tags: [], extraHosts: [], cacheFrom: [], platforms: [] },
  });
  return rest;
};

describe('the lock file format', () => {
  it('serialises with sorted services, stable field order and a trailing newline; parse reads it back', () => {
    const l = lock({
      web: { image: 'nginx:1', digest: D1, imageId: 'sha256:abc' },
      api: { image: 'demo-api', imageId: 'sha256:def', build: true },
    });
    const text = serializeLock(l);
    expect(text).toBe(
      `{\n  "version": 1,\n  "project": "demo",\n  "services": {\n    "api": {\n      "image": "demo-api",\n      "imageId": "sha256:def",\n      "build": true\n    },\n    "web": {\n      "image": "nginx:1",\n      "digest": "${D1}",\n      "imageId": "sha256:abc"\n    }\n  }\n}\n`,
    );
    expect(parseLock(text, 'stack.lock.json')).toEqual(l);
  });

  it('a malformed lock names the file and the field', () => {
    expect(() => parseLock('{', 'x.lock.json')).toThrow(/x\.lock\.json: not valid JSON/);
    expect(() => parseLock('{"version":2,"project":"p","services":{}}', 'f')).toThrow(/unsupported version 2/);
    expect(() => parseLock('{"version":1,"project":"p","services":{"w":{"image":"a","digest":"md5:x"}}}', 'f')).toThrow(
      /services\.w\.digest/,
    );
    try {
      parseLock('[]', 'f');
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_VALUE' });
    }
  });

  it('lives next to the first stack file, named after it', () => {
    expect(lockFilePath({ workingDir: '/p', configFiles: ['/p/stack.yaml', '/p/stack.override.yaml'] })).toBe(
      '/p/stack.lock.json',
    );
    expect(lockFilePath({ workingDir: '/p', configFiles: ['/q/compose.yml'] })).toBe('/q/compose.lock.json');
  });
});

describe('applyLock', () => {
  it('pins locked services to repo@digest and reports nothing when the stack matches', () => {
    const m = model('demo', [service('web', { image: '127.0.0.1:5000/web:v1' }), service('db', { image: 'postgres' })]);
    const applied = applyLock(
      m,
      lock({ web: { image: '127.0.0.1:5000/web:v1', digest: D1 }, db: { image: 'postgres', digest: D2 } }),
    );
    expect(applied.model.services['web']!.image).toBe(`127.0.0.1:5000/web@${D1}`);
    expect(applied.model.services['db']!.image).toBe(`postgres@${D2}`);
    expect(applied.pinned).toEqual(['db', 'web']);
    expect(applied.drift).toEqual([]);
    expect(m.services['web']!.image).toBe('127.0.0.1:5000/web:v1');
  });

  it('the stack file wins where it changed: new services, other images, removed services are drift', () => {
    const m = model('demo', [service('web', { image: 'nginx:2' }), service('new', { image: 'redis' })]);
    const applied = applyLock(m, lock({ web: { image: 'nginx:1', digest: D1 }, gone: { image: 'x', digest: D2 } }));
    expect(applied.pinned).toEqual([]);
    expect(applied.model.services['web']!.image).toBe('nginx:2');
    expect(applied.drift.map((d) => `${d.service}:${d.kind}`)).toEqual([
      'new:service_added',
      'web:image_changed',
      'gone:service_removed',
    ]);
  });

  it('built images are recorded but never pinned', () => {
    const m = model('demo', [buildOnly('api')]);
    const applied = applyLock(m, lock({ api: { image: 'demo-api', imageId: 'sha256:x', build: true } }));
    expect(applied.pinned).toEqual([]);
    expect(applied.drift).toEqual([]);
  });

  it('a local tag that moved away from the pinned digest is reported; the pin still wins', () => {
    const m = model('demo', [service('web', { image: 'nginx:1' })]);
    const local = [{ id: 'sha256:new', repoTags: ['nginx:1'], repoDigests: [`nginx@${D2}`], created: 1 }];
    const applied = applyLock(m, lock({ web: { image: 'nginx:1', digest: D1 } }), local);
    expect(applied.drift.map((d) => d.kind)).toEqual(['digest_changed']);
    expect(applied.model.services['web']!.image).toBe(`nginx@${D1}`);
  });
});

describe('compareLocks (stack lock --check)', () => {
  it('an identical lock is fresh, whatever the image IDs', () => {
    expect(
      compareLocks(
        lock({ web: { image: 'a:1', digest: D1, imageId: 'sha256:x' } }),
        lock({ web: { image: 'a:1', digest: D1, imageId: 'sha256:y' } }),
      ),
    ).toEqual([]);
  });
  it('a moved tag, a changed image and added/removed services make it stale', () => {
    const drift = compareLocks(
      lock({ web: { image: 'a:1', digest: D1 }, api: { image: 'b:1', digest: D1 }, old: { image: 'c' } }),
      lock({ web: { image: 'a:1', digest: D2 }, api: { image: 'b:2', digest: D1 }, added: { image: 'd' } }),
    );
    expect(drift.map((d) => `${d.service}:${d.kind}`)).toEqual([
      'added:service_added',
      'api:image_changed',
      'old:service_removed',
      'web:digest_changed',
    ]);
  });
});
