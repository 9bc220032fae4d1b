/**
 * Above 40 image patterns, observe lists every image and applies the engine's `reference`
 * filter itself (issue 19: one filter value per image made URLs past proxies' header limits).
 * The local filter must keep the same images with the same RepoTags and RepoDigests as the
 * engine's: a difference would change what `up` pulls or which digest a lock file pins.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectEngine } from '../../src/engine/client.js';
import { matchImages } from '../../src/engine/observe.js';
import type { Engine, EngineImage } from '../../src/engine/types.js';
import { describeE2E, docker, projectName } from './helpers.js';

const describe = await describeE2E();
const repo = projectName('imgmatch');
const registry = `127.0.0.1:5000/${repo}`;
const tags = [`${repo}/app:a`, `${repo}/app:b`, `${repo}/other:latest`, `${registry}:d`];

const shape = (images: readonly EngineImage[]) =>
  images
    .map((i) => ({ id: i.Id, tags: [...(i.RepoTags ?? [])].sort(), digests: [...(i.RepoDigests ?? [])].sort() }))
    .sort((a, b) => a.id.localeCompare(b.id));

describe('the reference filter, applied locally', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
    for (const tag of tags) docker(['tag', 'stack-test/busybox:latest', tag]);
    // A pushed image has a RepoDigest: the `repo@*` patterns are about those.
    docker(['push', `${registry}:d`]);
  }, 120_000);
  afterAll(() => {
    for (const tag of tags) docker(['rmi', tag]);
  });

  it('keeps the images, tags and digests the engine keeps, for every kind of pattern', async () => {
    const patterns = [
      [`${repo}/app:a`],
      [`${repo}/app`],
      [`${repo}/app@*`],
      [`${registry}:d`, `${registry}@*`],
      [`${registry}`],
      [`${repo}/*`],
      [`${repo}/app:a`, `${repo}/other:latest`, `${repo}/other@*`],
      [`docker.io/library/${repo}/app:a`],
      ['stack-test/busybox:latest', 'stack-test/busybox@*'],
      [`${repo}/nosuch:latest`],
    ];
    const all = await engine.listImages();
    for (const reference of patterns) {
      const byEngine = await engine.listImages({ reference });
      expect(shape(matchImages(all, reference)), reference.join(' ')).toEqual(shape(byEngine));
    }
  }, 60_000);
});
