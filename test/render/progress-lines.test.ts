/**
 * What a user reads while `up` runs (plain mode, as in CI): a recreate is one `Recreated` line
 * under the container's own name, never the temporary name; a start that waits for a healthy
 * dependency says so when it begins; `up -d` lists what it left running.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, leftRunning } from '../../src/render/progress.js';
import type { Terminal } from '../../src/render/terminal.js';
import type { Action, ObservedContainer, ObservedState, Plan } from '../../src/planner/types.js';
import type { ActionEvent } from '../../src/pipeline/reconcile.js';
import { Label } from '../../src/labels.js';

function terminal(): Terminal & { text(): string } {
  let text = '';
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stderr, color: false, progress: 'plain', text: () => text };
}

const recreate = (reason: string, extra: Record<string, unknown>): Action =>
  ({ resource: 'service:web:1', reason: { code: reason, detail: '' }, dependsOn: [], ...extra }) as unknown as Action;

/** The five actions of a recreate of p-web-1, then its start waiting for db to be healthy. */
const actions: Action[] = [
  recreate('diverged', { id: 1, kind: 'create-container', name: 'abc123_p-web-1', replaces: 'abc123' }),
  recreate('recreate', { id: 2, kind: 'stop-container', name: 'p-web-1' }),
  recreate('recreate', { id: 3, kind: 'remove-container', name: 'p-web-1' }),
  recreate('recreate', { id: 4, kind: 'rename-container', name: 'abc123_p-web-1', newName: 'p-web-1' }),
  recreate('diverged', {
    id: 5,
    kind: 'start-container',
    name: 'p-web-1',
    waitFor: [{ service: 'db', container: 'p-db-1', condition: 'service_healthy', required: true }],
  }),
];

async function render(events: [number, ActionEvent<Action>['type']][]): Promise<string> {
  const ctx = terminal();
  const progress = await createProgress(ctx);
  progress.begin(actions);
  for (const [id, type] of events) {
    const action = actions.find((a) => a.id === id)!;
    progress.onEvent({ type, action, ms: 100, ...(type === 'action-failed' ? { error: new Error('boom') } : {}) });
  }
  await progress.end();
  return ctx.text();
}

const ran = (ids: number[]): [number, ActionEvent<Action>['type']][] =>
  ids.flatMap((id) => [
    [id, 'action-start'],
    [id, 'action-done'],
  ]);

describe('plain progress lines', () => {
  it('a recreate is one Recreated line under the final name, then the wait and the start', async () => {
    expect(await render(ran([1, 2, 3, 4, 5]))).toBe(
      ' ✔ Container p-web-1  Recreated  0.4s\n' +
        ' - Container p-web-1  Waiting for db (healthy)\n' +
        ' ✔ Container p-web-1  Started  0.1s\n',
    );
  });

  it('a recreate that fails halfway is one Error line; what it skips is one Skipped line', async () => {
    const text = await render([
      ...ran([1]),
      [2, 'action-start'],
      [2, 'action-failed'],
      [3, 'action-skipped'],
      [4, 'action-skipped'],
      [5, 'action-skipped'],
    ]);
    expect(text).toBe(' ✘ Container p-web-1  Error  boom\n - Container p-web-1  Skipped\n');
    expect(text).not.toContain('abc123_');
  });
});

describe('leftRunning', () => {
  const container = (name: string, service: string, state: string, labels: Record<string, string> = {}) =>
    ({
      id: name,
      name,
      state,
      labels: { [Label.service]: service, ...labels },
    }) as unknown as ObservedContainer;
  const observed = {
    containers: [
      container('p-db-1', 'db', 'running'),
      container('p-web-1', 'web', 'running'),
      container('p-web-2', 'web', 'exited'),
      container('p-cache-1', 'cache', 'running'),
      container('p-web-run-1', 'web', 'running', { [Label.oneoff]: 'True' }),
    ],
  } as unknown as ObservedState;

  it('names the running containers of the selected services that the plan does not touch', () => {
    const plan = { actions: actions.slice(0, 1) } as unknown as Plan;
    const noop = { actions: [] } as unknown as Plan;
    expect(leftRunning(observed, noop, new Set(['db', 'web']))).toEqual(['p-db-1', 'p-web-1']);
    // p-web-1 is being recreated: its own lines say so.
    expect(leftRunning(observed, { actions } as unknown as Plan, new Set(['db', 'web']))).toEqual(['p-db-1']);
    expect(leftRunning(observed, plan, new Set(['db']))).toEqual(['p-db-1']);
  });
});
