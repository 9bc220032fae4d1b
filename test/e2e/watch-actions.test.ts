// develop.watch actions other than plain sync, end to end (CLI, real engine): `restart`,
// `sync+restart`, `sync+exec` and `initial_sync`. Each test watches one service of the
// watch-actions fixture under its own project, checks engine state, and cleans up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { execInContainer } from '../../src/engine/archive.js';
import { describeWithEngine } from '../support/engine.js';
import { eventually, watchSessionPerTest } from './watch-session.js';
import type { WatchSession } from './watch-session.js';

const describeEngine = await describeWithEngine();

describeEngine('stack watch develop.watch actions (CLI, real engine)', () => {
  const sessions = watchSessionPerTest('watch-actions');

  /** `stack -p <unique> watch <service>` over a fresh copy of the fixture, once its initial run has printed. */
  const watchService = (service: string): Promise<WatchSession> => sessions.start(`watch-${service}`, [service]);
  /** Every container of the project (all states). */
  const containersOf = async (project: string): Promise<{ id: string; service: string }[]> =>
    (await sessions.engine.listContainers({ all: true, filters: { label: [`${Label.project}=${project}`] } })).map(
      (c) => ({ id: c.Id, service: c.Labels?.[Label.service] ?? '' }),
    );
  const onlyContainer = async (project: string, service: string): Promise<string> => {
    const list = await containersOf(project);
    expect(list.map((c) => c.service)).toEqual([service]);
    return list[0]!.id;
  };
  const startedAt = async (id: string): Promise<string> => (await sessions.engine.inspectContainer(id)).State.StartedAt;
  const cat = async (id: string, path: string): Promise<string> => {
    const result = await execInContainer(sessions.engine, id, ['cat', path]);
    if (result.exitCode !== 0) throw new Error(`cat ${path}: exit ${result.exitCode}: ${result.output}`);
    return result.output;
  };

  it('a restart rule restarts the container in place: same container ID, new StartedAt, no recreate', async () => {
    const { project, dir, watch } = await watchService('restarter');
    const id = await onlyContainer(project, 'restarter');
    const before = await startedAt(id);
    await watch.settled();
    writeFileSync(join(dir, 'restart', 'trigger.txt'), 'restart now');
    await eventually(async () => expect(await startedAt(id)).not.toBe(before));
    const inspected = await sessions.engine.inspectContainer(id);
    expect(inspected.State.Running).toBe(true);
    expect(await onlyContainer(project, 'restarter')).toBe(id);
  });

  it('a sync+restart rule makes the changed file visible and restarts the same container', async () => {
    const { project, dir, watch } = await watchService('syncrestart');
    const id = await onlyContainer(project, 'syncrestart');
    const before = await startedAt(id);
    await watch.settled();
    writeFileSync(join(dir, 'sync-restart', 'app.txt'), 'v1 after sync+restart');
    await eventually(async () => expect(await startedAt(id)).not.toBe(before));
    // the file was synced before the restart, and survives it (same container, same writable layer)
    expect(await cat(id, '/app/sync-restart/app.txt')).toBe('v1 after sync+restart');
    expect((await sessions.engine.inspectContainer(id)).State.Running).toBe(true);
    expect(await onlyContainer(project, 'syncrestart')).toBe(id);
  });

  it('a sync+exec rule syncs the changed file, then runs the exec command in the container', async () => {
    const { project, dir, watch } = await watchService('syncexec');
    const id = await onlyContainer(project, 'syncexec');
    // nothing has run the command yet
    expect((await execInContainer(sessions.engine, id, ['cat', '/app/exec-marker'])).exitCode).not.toBe(0);
    await watch.settled();
    writeFileSync(join(dir, 'sync-exec', 'input.txt'), 'v1 seen by exec');
    // the command copies the synced file to the marker: it ran, and after the sync
    await eventually(async () => expect(await cat(id, '/app/exec-marker')).toBe('v1 seen by exec'));
  });

  it('initial_sync copies the rule path into the container as soon as watch starts, before any edit', async () => {
    const { project } = await watchService('initsync');
    const id = await onlyContainer(project, 'initsync');
    // the image has no /app: these come from the initial sync alone (the initial run line has printed)
    expect(await cat(id, '/app/initial/seed.txt')).toBe('seeded before watch\n');
    expect(await cat(id, '/app/initial/nested/deep.txt')).toBe('nested seed\n');
  });
});
