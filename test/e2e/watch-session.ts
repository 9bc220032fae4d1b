/**
 * What the watch e2e files share: the engine, one `stack watch` per test over a fresh copy of
 * a fixture (stopped after the test, its project's resources and its copy removed), and an
 * `eventually` that polls often.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { Label } from '../../src/labels.js';
import { connectEngine } from '../../src/engine/client.js';
import type { Engine } from '../../src/engine/types.js';
import { WatchProcess, copyFixture } from '../watch/cli-process.js';
import { removeByLabel, uniqueName } from '../support/engine.js';
import { eventually as retryUntil } from '../support/eventually.js';

/** A running `stack -p <project> watch` in `dir`. */
export interface WatchSession {
  readonly project: string;
  readonly dir: string;
  readonly watch: WatchProcess;
}

/** Watch reloads land within ~100-700 ms: poll often. */
export const eventually = <T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<Exclude<T, false>> =>
  retryUntil(check, timeoutMs, 50);

/** Call inside the describe: registers the hooks. `engine` is set once beforeAll has run. */
export function watchSessionPerTest(fixture: string): {
  readonly engine: Engine;
  start(prefix: string, args?: readonly string[]): Promise<WatchSession>;
} {
  let engine: Engine | undefined;
  let running: WatchSession | undefined;
  beforeAll(async () => {
    engine = await connectEngine({ env: process.env });
  });
  afterEach(async () => {
    const current = running;
    running = undefined;
    if (!current) return;
    await current.watch.stop();
    await removeByLabel(Label.project, current.project);
    rmSync(current.dir, { recursive: true, force: true });
  });
  return {
    get engine(): Engine {
      if (!engine) throw new Error('watchSessionPerTest: the engine is connected in beforeAll');
      return engine;
    },
    /** `stack -p <unique> watch ...args` over a fresh copy of the fixture, once its initial up has printed. */
    async start(prefix, args = []) {
      const project = uniqueName(prefix);
      const dir = copyFixture(fixture);
      const watch = new WatchProcess(['-p', project, 'watch', ...args], dir);
      running = { project, dir, watch };
      await watch.until(
        () => watch.reloads().length >= 1 && watch.stderr.includes('watching'),
        'the initial up',
        60_000,
      );
      return running;
    },
  };
}
