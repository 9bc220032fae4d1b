// develop.watch `rebuild` end to end (CLI, real engine): a change under the rule's path builds
// the image once and rolls the service; a .dockerignored file changes nothing.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { execInContainer } from '../../src/engine/archive.js';
import { WatchProcess, copyFixture } from '../watch/cli-process.js';
import { describeWithEngine, rawRequest, removeByLabel, uniqueName } from '../support/engine.js';

const describeEngine = await describeWithEngine();
const project = uniqueName('watch-rebuild');

describeEngine('stack watch rebuild (CLI, real engine)', () => {
  let engine: Engine;
  let dir: string;
  let watch: WatchProcess;

  const app = async (): Promise<string | undefined> => {
    const list = await engine.listContainers({
      all: false,
      filters: { label: [`${Label.project}=${project}`, `${Label.service}=app`] },
    });
    return list[0]?.Id;
  };

  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
    dir = copyFixture('watch-rebuild');
    watch = new WatchProcess(['-p', project, 'watch'], dir);
    await watch.until(() => watch.reloads().length >= 1, 'the initial up', 90_000);
    expect(watch.reloads()[0]).toMatch(/^↻ /);
  });

  afterAll(async () => {
    await watch?.stop();
    await removeByLabel(Label.project, project);
    await rawRequest({ method: 'DELETE', path: `/images/${project}-app?force=1` }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a rebuild rule builds the image and rolls the service; an ignored file does nothing', async () => {
    const before = await app();
    expect(before).toBeDefined();
    const reloads = watch.reloads().length;
    writeFileSync(join(dir, 'app', 'notes.md'), 'ignored by .dockerignore');
    writeFileSync(join(dir, 'app', 'version.txt'), 'v2\n');
    await watch.until(() => watch.reloads().length > reloads, 'the rebuild', 90_000);
    expect(watch.reloads().slice(reloads)).toHaveLength(1);
    expect(watch.reloads().at(-1)).toMatch(/^↻ app\/version\.txt changed → .*recreated app/);
    const after = await app();
    expect(after).not.toBe(before);
    expect((await execInContainer(engine, after!, ['cat', '/version.txt'])).output).toBe('v2\n');
  });
});
