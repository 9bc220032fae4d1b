import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { StackError, diagnostic } from '../../src/errors.js';
import type { StackModel, WatchRule } from '../../src/model.js';
import type { Engine } from '../../src/engine/types.js';
import type { ReloadReport } from '../../src/watch/report.js';
import type { ReconcileRequest } from '../../src/watch/session.js';
import { runWatchSession } from '../../src/cli/commands/watch.js';
import { eventually as poll } from '../support/eventually.js';

/** A project dir whose "stack file" holds a version number, or "invalid". */
function project() {
  const dir = mkdtempSync(join(tmpdir(), 'stack-session-'));
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, '1');
  mkdirSync(join(dir, 'app'));
  return { dir, file };
}

function modelFor(dir: string, file: string, version: string, rules: readonly WatchRule[]): StackModel {
  const service = {
    name: 'web',
    version,
    envFiles: [],
    develop: { watch: rules },
  } as unknown as StackModel['services'][string];
  return {
    name: 'p',
    workingDir: dir,
    configFiles: [file],
    sourceFiles: [file],
    services: { web: service },
  } as unknown as StackModel;
}

function context(dir: string, file: string, rules: readonly WatchRule[]) {
  const controller = new AbortController();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx = {
    cwd: dir,
    env: {},
    stdout,
    stderr,
    color: false,
    progress: 'plain',
    interactive: false,
    signal: controller.signal,
    loadModel: async () => {
      const text = readFileSync(file, 'utf8').trim();
      if (text === 'invalid') {
        throw new StackError('SCHEMA_TYPE', 'bad', {
          diagnostics: [diagnostic('SCHEMA_TYPE', 'services must be a mapping', { file, line: 1, col: 1 })],
        });
      }
      return modelFor(dir, file, text, rules);
    },
    printWarnings: () => undefined,
  } as unknown as CliContext;
  return { ctx, controller, output: () => out, errors: () => err };
}

const engine = { listContainers: async () => [] } as unknown as Engine;

/** Watch events land within milliseconds: poll every 20 ms. */
const eventually = (check: () => void, timeoutMs = 4000): Promise<void> => poll(check, timeoutMs, 20);

/** A session over a project with one rebuild rule on app/ (ignoring `ignore`), recording each reconcile and report. */
async function rebuildSession(ignore: string[]) {
  const { dir, file } = project();
  const rules: WatchRule[] = [{ action: 'rebuild', path: join(dir, 'app'), include: [], ignore, initialSync: false }];
  const { ctx, controller, errors } = context(dir, file, rules);
  const requests: ReconcileRequest[] = [];
  const reports: ReloadReport[] = [];
  const session = runWatchSession(ctx, modelFor(dir, file, '1', rules), {
    engine,
    quietMs: 60,
    reconcile: async (request) => {
      requests.push(request);
      return { actions: [] };
    },
    onReload: (r) => reports.push(r),
  });
  await eventually(() => expect(errors()).toContain('watching'));
  return { dir, controller, requests, reports, session };
}

describe('watch session', () => {
  it('reloads the whole stack on a stack-file change, skips an invalid edit with a positioned error, applies the next valid one', async () => {
    const { dir, file } = project();
    const { ctx, controller, output, errors } = context(dir, file, []);
    const requests: ReconcileRequest[] = [];
    const reports: ReloadReport[] = [];
    let stopped = false;
    const session = runWatchSession(ctx, modelFor(dir, file, '1', []), {
      engine,
      quietMs: 60,
      reconcile: async (request) => {
        requests.push(request);
        return {
          actions: [
            { kind: 'create-container', resource: 'service:web:1', replaces: 'old' },
            { kind: 'stop-container', resource: 'service:web:1' },
          ],
        };
      },
      onReload: (r) => reports.push(r),
      stopOnExit: async () => {
        stopped = true;
      },
    });
    await eventually(() => expect(errors()).toContain('watching'));

    writeFileSync(file, '2');
    await eventually(() => expect(reports).toHaveLength(1));
    expect((requests[0]!.model.services['web'] as unknown as { version: string }).version).toBe('2');
    expect(requests[0]!.build).toEqual([]);
    expect(output()).toMatch(/^↻ stack\.yaml changed → recreated web \(2 actions\) in \d+ ms$/m);

    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, 'invalid');
    await eventually(() => expect(reports).toHaveLength(2));
    expect(requests).toHaveLength(1);
    expect(reports[1]!.ok).toBe(false);
    expect(errors()).toContain('stack.yaml:1:1 error[SCHEMA_TYPE] services must be a mapping');
    expect(output()).toContain('invalid stack (1 error): nothing applied');

    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, '3');
    await eventually(() => expect(requests).toHaveLength(2));
    expect((requests[1]!.model.services['web'] as unknown as { version: string }).version).toBe('3');

    controller.abort();
    expect(await session).toBe(130);
    expect(stopped).toBe(true);
  });

  it('a develop.watch save is applied at its first event and looked at again: the rest of a save too, an unchanged file once', async () => {
    const { dir, controller, requests, session } = await rebuildSession([]);

    writeFileSync(join(dir, 'app', 'main.go'), 'a');
    await eventually(() => expect(requests).toHaveLength(1));
    // The confirmation a quiet period later finds the file as the run read it: no second run.
    await new Promise((r) => setTimeout(r, 400));
    expect(requests).toHaveLength(1);

    // A second write inside chokidar's 50 ms throttle gets no event of its own: the
    // confirmation of the run at the first write sees it.
    writeFileSync(join(dir, 'app', 'main.go'), 'b');
    await new Promise((r) => setTimeout(r, 5));
    writeFileSync(join(dir, 'app', 'main.go'), 'c');
    await eventually(() => expect(requests).toHaveLength(3));

    controller.abort();
    expect(await session).toBe(130);
  });

  it('a rebuild rule asks the reconcile for a build of that service only; ignored files do nothing', async () => {
    const { dir, controller, requests, reports, session } = await rebuildSession(['*.md']);
    writeFileSync(join(dir, 'app', 'README.md'), 'x');
    writeFileSync(join(dir, 'app', '.main.go.swp'), 'x');
    writeFileSync(join(dir, 'app', 'main.go'), 'x');
    await eventually(() => expect(reports).toHaveLength(1));
    expect(requests.map((r) => r.build)).toEqual([['web']]);
    expect(reports[0]!.changed).toEqual(['app/main.go']);
    expect(reports[0]!.done).toContain('rebuilt web');
    controller.abort();
    expect(await session).toBe(130);
  });

  it('initial reconcile runs once before any change when asked (stack watch)', async () => {
    const { dir, file } = project();
    const { ctx, controller } = context(dir, file, []);
    const requests: ReconcileRequest[] = [];
    const session = runWatchSession(ctx, modelFor(dir, file, '1', []), {
      engine,
      quietMs: 10,
      initialReconcile: true,
      reconcile: async (request) => {
        requests.push(request);
        return { actions: [] };
      },
    });
    await eventually(() => expect(requests).toHaveLength(1));
    controller.abort();
    await session;
  });
});
