import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { EngineContainer } from '../../src/engine/types.js';
import { changeServiceStates } from '../../src/pipeline/lifecycle.js';
import { fakeEngine } from '../support/fake-engine.js';
import { model, service } from '../planner/helpers.js';

function listed(project: string, svc: string, n: number, extra: Record<string, string> = {}): EngineContainer {
  return {
    Id: `${svc}${n}`,
    Names: [`/${project}-${svc}-${n}`],
    Image: 'x',
    ImageID: 'sha256:x',
    Labels: { [Label.project]: project, [Label.service]: svc, [Label.containerNumber]: String(n), ...extra },
    State: 'running',
    Status: 'Up',
    Created: 0,
  };
}

/** db ← api ← web: web depends on api, api on db. */
const stack = model('p', [
  service('db'),
  service('api', { dependsOn: { db: { condition: 'service_started', required: true, restart: false } } }),
  service('web', { dependsOn: { api: { condition: 'service_started', required: true, restart: false } } }),
]);

function engineWith(containers: EngineContainer[]) {
  const engine = fakeEngine();
  return { ...engine, calls: engine.calls, failOn: engine.failOn.bind(engine), listContainers: async () => containers };
}

describe('start, stop and restart of existing containers', () => {
  const containers = [
    listed('p', 'web', 1),
    listed('p', 'api', 1),
    listed('p', 'api', 2),
    listed('p', 'db', 1),
    listed('p', 'db', 9, { [Label.oneoff]: 'True' }),
  ];

  it('start takes dependencies first, and leaves one-off containers alone', async () => {
    const engine = engineWith(containers);
    expect(await changeServiceStates(engine, stack, 'start', { services: [] })).toEqual([]);
    expect(engine.calls.map((c) => `${c.method} ${String(c.args[0])}`)).toEqual([
      'startContainer db1',
      'startContainer api1',
      'startContainer api2',
      'startContainer web1',
    ]);
  });

  it('stop takes dependents first and passes the timeout', async () => {
    const engine = engineWith(containers);
    const done: string[] = [];
    await changeServiceStates(engine, stack, 'stop', {
      services: [],
      timeoutSeconds: 3,
      onDone: (name) => done.push(name),
    });
    expect(engine.calls.map((c) => c.args[0])).toEqual(['web1', 'api1', 'api2', 'db1']);
    expect(done).toEqual(['p-web-1', 'p-api-1', 'p-api-2', 'p-db-1']);
  });

  it('a failed container is reported and the other services still get the verb', async () => {
    const engine = engineWith(containers);
    engine.failOn('restartContainer', 'api2', 500, 'cannot restart');
    const failures = await changeServiceStates(engine, stack, 'restart', { services: [] });
    expect(failures).toEqual([
      { service: 'api', container: 'p-api-2', message: expect.stringContaining('cannot restart') },
    ]);
    expect(engine.calls.map((c) => c.args[0])).toEqual(['web1', 'api1', 'api2', 'db1']);
  });

  it('only the named services are acted on; a project known only by name is taken by name', async () => {
    const engine = engineWith(containers);
    await changeServiceStates(engine, { project: 'p' }, 'stop', { services: ['db', 'web'] });
    expect(engine.calls.map((c) => c.args[0])).toEqual(['web1', 'db1']);
  });

  it('after an interruption no further service is started', async () => {
    const engine = engineWith(containers);
    const controller = new AbortController();
    await changeServiceStates(engine, stack, 'start', {
      services: [],
      signal: controller.signal,
      onDone: () => controller.abort(),
    });
    expect(engine.calls.map((c) => c.args[0])).toEqual(['db1']);
  });
});
