// Sync against the real engine, driving the watch modules directly: a changed file becomes
// visible inside every replica, a deleted one disappears.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { execInContainer } from '../../src/engine/archive.js';
import { listRunningReplicas } from '../../src/engine/observe.js';
import { createPathFilter } from '../../src/watch/ignore.js';
import type { BoundRule } from '../../src/watch/rules.js';
import { applySync, prepareSync } from '../../src/watch/sync.js';
import { TEST_IMAGE, describeWithEngine, rawRequest, removeByLabel, uniqueName } from '../support/engine.js';

const describeEngine = await describeWithEngine();
const project = uniqueName('watch-sync');

describeEngine('sync into running replicas (real engine)', () => {
  let engine: Engine;
  let dir: string;
  let rule: BoundRule;

  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
    dir = mkdtempSync(join(tmpdir(), 'stack-watch-sync-'));
    mkdirSync(join(dir, 'src'));
    const path = join(dir, 'src');
    rule = {
      service: 'web',
      index: 0,
      rule: { action: 'sync', path, target: '/app/src', include: [], ignore: [], initialSync: false },
      filter: createPathFilter({ root: path }),
    };
    for (const n of [1, 2]) {
      const labels = {
        [Label.project]: project,
        [Label.service]: 'web',
        [Label.containerNumber]: String(n),
        [Label.oneoff]: 'False',
      };
      const created = await rawRequest({
        method: 'POST',
        path: `/containers/create?name=${project}-web-${n}`,
        body: { Image: TEST_IMAGE, Cmd: ['sleep', '300'], Labels: labels, StopSignal: 'SIGKILL' },
      });
      expect(created.status, created.text).toBe(201);
      const started = await rawRequest({
        method: 'POST',
        path: `/containers/${(created.json as { Id: string }).Id}/start`,
      });
      expect(started.status, started.text).toBe(204);
    }
  });

  afterAll(async () => {
    await removeByLabel(Label.project, project);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a changed file becomes visible in every replica and a deleted one disappears', async () => {
    const replicas = await listRunningReplicas(engine, project, 'web');
    expect(replicas.map((r) => r.name)).toEqual([`${project}-web-1`, `${project}-web-2`]);
    mkdirSync(join(dir, 'src', 'deep', 'er'), { recursive: true });
    writeFileSync(join(dir, 'src', 'deep', 'er', 'a.txt'), 'hello v1');
    await applySync(engine, replicas, await prepareSync(rule, [join(dir, 'src', 'deep', 'er', 'a.txt')]));
    for (const r of replicas) {
      expect(await execInContainer(engine, r.id, ['cat', '/app/src/deep/er/a.txt'])).toEqual({
        exitCode: 0,
        output: 'hello v1',
      });
    }
    rmSync(join(dir, 'src', 'deep'), { recursive: true });
    const prepared = await prepareSync(rule, [join(dir, 'src', 'deep', 'er', 'a.txt'), join(dir, 'src', 'deep')]);
    expect(prepared.removed).toEqual(['/app/src/deep/er/a.txt', '/app/src/deep']);
    await applySync(engine, replicas, prepared);
    for (const r of replicas) {
      expect((await execInContainer(engine, r.id, ['ls', '/app/src'])).output.trim()).toBe('');
    }
  });
});
