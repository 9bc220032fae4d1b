import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { EngineContainer } from '../../src/engine/types.js';
import { changeServiceStates, lifecycleScope } from '../../src/pipeline/lifecycle.js';
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

  it('restart takes dependencies first (as Compose); a failed container is reported and the services that do not need it still restart', async () => {
    const engine = engineWith(containers);
    engine.failOn('restartContainer', 'web1', 500, 'cannot restart');
    const failures = await changeServiceStates(engine, stack, 'restart', { services: [] });
    expect(failures).toEqual([
      { service: 'web', container: 'p-web-1', message: expect.stringContaining('cannot restart') },
    ]);
    expect(engine.calls.map((c) => c.args[0])).toEqual(['db1', 'api1', 'api2', 'web1']);
  });

  it('a service after a failed dependency is not acted on', async () => {
    const engine = engineWith(containers);
    engine.failOn('restartContainer', 'db1', 500, 'cannot restart');
    const failures = await changeServiceStates(engine, stack, 'restart', { services: [] });
    expect(failures.map((f) => `${f.service}: ${f.message}`)).toEqual([
      expect.stringContaining('db: '),
      'api: not acted on: its dependency "db" failed',
      'web: not acted on: its dependency "api" failed',
    ]);
  });

  it('only the named services are acted on; a project known only by name is taken by name', async () => {
    const engine = engineWith(containers);
    await changeServiceStates(engine, { project: 'p' }, 'stop', { services: ['db', 'web'] });
    expect(engine.calls.map((c) => c.args[0])).toEqual(['web1', 'db1']);
  });

  it("without names, a loaded model scopes the verbs to its own services (the project's other files are left alone)", async () => {
    const engine = engineWith([...containers, listed('p', 'other', 1)]);
    await changeServiceStates(engine, stack, 'stop', { services: [] });
    expect(engine.calls.map((c) => c.args[0])).toEqual(['web1', 'api1', 'api2', 'db1']);
    const byName = engineWith([...containers, listed('p', 'other', 1)]);
    await changeServiceStates(byName, { project: 'p' }, 'stop', { services: [] });
    expect(byName.calls.map((c) => c.args[0])).toContain('other1');
  });

  it('start web starts its dependencies first; a dependency without a container is named', async () => {
    const engine = engineWith(containers.filter((c) => !c.Id.startsWith('db')));
    const failures = await changeServiceStates(engine, stack, 'start', { services: ['web'] });
    expect(failures.map((f) => `${f.service}: ${f.message}`)).toEqual([
      'db: has no container to start (run `stack up` to create it)',
      'api: not acted on: its dependency "db" failed',
      'web: not acted on: its dependency "api" failed',
    ]);
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

describe('lifecycleScope', () => {
  const restartable = model('p', [
    service('db'),
    service('api', { dependsOn: { db: { condition: 'service_healthy', required: true, restart: true } } }),
    service('web', { dependsOn: { api: { condition: 'service_started', required: true, restart: true } } }),
    service('cron', { dependsOn: { db: { condition: 'service_started', required: true, restart: false } } }),
  ]);

  it('restart x adds what depends on x with restart: true, transitively; --no-deps does not', () => {
    expect(lifecycleScope(restartable, 'restart', ['db'])).toEqual(['api', 'db', 'web']);
    expect(lifecycleScope(restartable, 'restart', ['db'], true)).toEqual(['db']);
  });

  it('start x adds its dependencies; stop x is x alone; no names is every loaded service', () => {
    expect(lifecycleScope(restartable, 'start', ['web'])).toEqual(['api', 'db', 'web']);
    expect(lifecycleScope(restartable, 'stop', ['db'])).toEqual(['db']);
    expect(lifecycleScope(restartable, 'kill', [])).toEqual(['api', 'cron', 'db', 'web']);
    expect(lifecycleScope({ project: 'p' }, 'stop', [])).toBeUndefined();
  });
});
