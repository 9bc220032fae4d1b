// `stack watch` end to end (CLI, real engine): one watch process over the watch-sync fixture;
// each test is one intent and checks engine state, not wording.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { execInContainer } from '../../src/engine/archive.js';
import { WatchProcess, copyFixture } from '../watch/cli-process.js';
import { describeWithEngine, removeByLabel, uniqueName } from '../support/engine.js';
import { eventually } from './watch-session.js';

const describeEngine = await describeWithEngine();
const project = uniqueName('watch-cli');

/** Watch reloads land within ~100-700 ms: poll often. */

describeEngine('stack watch (CLI, real engine)', () => {
  let engine: Engine;
  let dir: string;
  let watch: WatchProcess;
  let stackFile: string;
  let original: string;

  /** Service → running container ID. */
  const containers = async (): Promise<Record<string, string>> => {
    const list = await engine.listContainers({ all: false, filters: { label: [`${Label.project}=${project}`] } });
    return Object.fromEntries(list.map((c) => [c.Labels?.[Label.service] ?? '', c.Id]));
  };
  const envOf = async (id: string): Promise<string[]> =>
    ((await engine.inspectContainer(id)).Config['Env'] as string[]) ?? [];
  const cat = async (path: string): Promise<string> => {
    const { app } = await containers();
    const result = await execInContainer(engine, app!, ['cat', path]);
    if (result.exitCode !== 0) throw new Error(`cat ${path}: exit ${result.exitCode}`);
    return result.output;
  };
  const setGreeting = (value: string): void =>
    writeFileSync(stackFile, original.replace('GREETING: hello', `GREETING: ${value}`));

  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
    dir = copyFixture('watch-sync');
    stackFile = join(dir, 'stack.yaml');
    original = readFileSync(stackFile, 'utf8');
    watch = new WatchProcess(['-p', project, 'watch'], dir);
    await watch.until(() => watch.reloads().length >= 1 && watch.stderr.includes('watching'), 'the initial up', 60_000);
    await eventually(async () => expect(Object.keys(await containers()).sort()).toEqual(['app', 'other']));
  });

  afterAll(async () => {
    const code = await watch?.stop();
    // Ctrl-C leaves the containers running
    if (engine) expect(Object.keys(await containers()).sort()).toEqual(['app', 'other']);
    expect(code).toBe(130);
    await removeByLabel(Label.project, project);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a sync rule makes a changed file visible inside the container and a deleted one disappear', async () => {
    writeFileSync(join(dir, 'src', 'new.txt'), 'synced v1');
    await eventually(async () => expect(await cat('/app/src/new.txt')).toBe('synced v1'));
    writeFileSync(join(dir, 'src', 'new.txt'), 'synced v2');
    await eventually(async () => expect(await cat('/app/src/new.txt')).toBe('synced v2'));
    rmSync(join(dir, 'src', 'new.txt'));
    await eventually(async () => expect(cat('/app/src/new.txt')).rejects.toThrow(/exit 1/));
  });

  it("editing one service's environment in the stack file recreates only that service", async () => {
    await watch.settled();
    const before = await containers();
    setGreeting('changed-once');
    const after = await eventually(async () => {
      const now = await containers();
      expect(now['app']).toBeDefined();
      expect(now['app']).not.toBe(before['app']);
      return now;
    });
    expect(after['other']).toBe(before['other']);
    expect(await envOf(after['app']!)).toContain('GREETING=changed-once');
  });

  it('an invalid edit leaves every container ID unchanged and prints a positioned error', async () => {
    await watch.settled();
    const before = await containers();
    const reloads = watch.reloads().length;
    const errorsBefore = watch.stderr.length;
    writeFileSync(
      stackFile,
      original.replace('command: ["sleep", "3600"]', 'command: ["sleep", "3600"]\n    ports: "not-a-list"'),
    );
    await watch.until(() => watch.reloads().length > reloads, 'the reload line of the invalid edit');
    expect(watch.reloads().at(-1)).toMatch(/^✗ stack\.yaml changed → invalid stack/);
    expect(watch.stderr.slice(errorsBefore)).toMatch(/stack\.yaml:\d+:\d+ error\[[A-Z_]+\]/);
    expect(await containers()).toEqual(before);
    // the next valid save applies
    setGreeting('valid-again');
    await eventually(async () => expect(await envOf((await containers())['app']!)).toContain('GREETING=valid-again'));
  });

  it('100 rapid edits in 2 s cause at most 2 reloads and the final state reflects the last edit', async () => {
    await watch.settled();
    const reloads = watch.reloads().length;
    const started = Date.now();
    const writes: number[] = [];
    for (let i = 1; i <= 100; i++) {
      setGreeting(`burst-${i}`);
      writes.push(Date.now());
      await new Promise((r) => setTimeout(r, Math.max(0, started + i * 20 - Date.now())));
    }
    expect(Date.now() - started).toBeLessThan(2600);
    await eventually(async () => expect(await envOf((await containers())['app']!)).toContain('GREETING=burst-100'));
    await watch.settled(1500);
    const burst = watch.reloads().slice(reloads);
    // A pause of this test's own writes (a loaded machine stalls it) that comes near the 100 ms
    // quiet period makes two bursts, and then a reload between them is right: one more allowed
    // per such pause. Writes 20 ms apart are one burst: at most 2 reloads (the max wait's run).
    const pauses = writes.slice(1).filter((at, i) => at - writes[i]! >= 60).length;
    expect(burst.length).toBeGreaterThanOrEqual(1);
    expect(
      burst.length,
      `${burst.length} reloads; ${pauses} pauses of 60 ms or more in the writes`,
    ).toBeLessThanOrEqual(2 + pauses);
  });
});
