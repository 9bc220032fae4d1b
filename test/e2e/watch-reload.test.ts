// Live reload from stack sources other than stack.yaml, end to end (CLI, real engine): an edit
// to an env_file, to an extended file and to the override file each reloads the stack and
// recreates only the service that reads it. One `stack watch` and one project per test.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { WatchProcess } from '../watch/cli-process.js';
import { describeWithEngine } from '../support/engine.js';
import { eventually, watchSessionPerTest } from './watch-session.js';

const describeEngine = await describeWithEngine();
const SERVICES = ['bystander', 'envfiled', 'extended', 'overridden'];

describeEngine('stack watch reloads on env_file, extends and override edits (CLI, real engine)', () => {
  const sessions = watchSessionPerTest('watch-reload');

  /** Service → container ID, every container of the project (all states). */
  const containers = async (project: string): Promise<Record<string, string>> => {
    const list = await sessions.engine.listContainers({
      all: true,
      filters: { label: [`${Label.project}=${project}`] },
    });
    return Object.fromEntries(list.map((c) => [c.Labels?.[Label.service] ?? '', c.Id]));
  };
  const envOf = async (id: string): Promise<string[]> =>
    ((await sessions.engine.inspectContainer(id)).Config['Env'] as string[]) ?? [];

  /** `stack -p <unique> watch` over a fresh copy of the fixture, once all four services run and the watch is quiet. */
  const start = async (): Promise<{
    project: string;
    dir: string;
    watch: WatchProcess;
    before: Record<string, string>;
  }> => {
    const { project, dir, watch } = await sessions.start('watch-reload');
    const before = await containers(project);
    expect(Object.keys(before).sort()).toEqual(SERVICES);
    await watch.settled();
    return { project, dir, watch, before };
  };

  /** Edits `file` (relative to the project), then waits for `service` to be recreated with `expected` in its env; returns the IDs after the reload settled. */
  const editAndAwait = async (
    run: { project: string; dir: string; watch: WatchProcess; before: Record<string, string> },
    file: string,
    from: string,
    to: string,
    service: string,
    expected: string,
  ): Promise<Record<string, string>> => {
    const path = join(run.dir, file);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(from);
    const reloads = run.watch.reloads().length;
    writeFileSync(path, text.replace(from, to));
    await eventually(async () => {
      const id = (await containers(run.project))[service];
      expect(id).toBeDefined();
      expect(id).not.toBe(run.before[service]);
      expect(await envOf(id!)).toContain(expected);
    });
    // The reload line comes once the reload ends (after the start and its checks): wait for it.
    await run.watch.until(() => run.watch.reloads().length > reloads, 'the reload line of the edit');
    await run.watch.settled(800);
    return containers(run.project);
  };

  /** Every service but `service` kept its container. */
  const onlyRecreated = (before: Record<string, string>, after: Record<string, string>, service: string): void => {
    expect(Object.keys(after).sort()).toEqual(SERVICES);
    for (const s of SERVICES) if (s !== service) expect(after[s], `${s} must keep its container`).toBe(before[s]);
  };

  it('an env_file edit reloads the stack and recreates only the service that reads it', async () => {
    const run = await start();
    const after = await editAndAwait(
      run,
      'envfiled.env',
      'FROM_ENV_FILE=v0',
      'FROM_ENV_FILE=v1',
      'envfiled',
      'FROM_ENV_FILE=v1',
    );
    onlyRecreated(run.before, after, 'envfiled');
  });

  it('an edit to an extended file (extends.file) reloads the stack and recreates only the extending service', async () => {
    const run = await start();
    const after = await editAndAwait(run, 'base.yaml', 'FROM_BASE: v0', 'FROM_BASE: v1', 'extended', 'FROM_BASE=v1');
    onlyRecreated(run.before, after, 'extended');
  });

  it('an edit to stack.override.yaml reloads the stack and recreates only the overridden service', async () => {
    const run = await start();
    const after = await editAndAwait(
      run,
      'stack.override.yaml',
      'FROM_OVERRIDE: v0',
      'FROM_OVERRIDE: v1',
      'overridden',
      'FROM_OVERRIDE=v1',
    );
    onlyRecreated(run.before, after, 'overridden');
  });
});
