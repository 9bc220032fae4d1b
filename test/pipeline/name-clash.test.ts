import { describe, expect, it } from 'vitest';
import { planUp } from '../../src/planner/index.js';
import { foreignHolders, namesToClaim } from '../../src/planner/name-clash.js';
import { findNameClashes } from '../../src/pipeline/name-clash.js';
import type { Engine, EngineContainer } from '../../src/engine/types.js';
import { applyPlan } from '../planner/simulate.js';
import { container, emptyObserved, image, model, service } from '../planner/helpers.js';
import { fakeEngine } from '../support/fake-engine.js';

// Issue 20, item 13: the name lookup costs one engine read, and only when the plan claims a
// name no container of the project holds (the no-op `up` is benchmarked at 5 reads).
describe('container-name clash check', () => {
  const m = model('rsa-b', [service('c')]);
  const fresh = emptyObserved('rsa-b', [image('c:latest')]);

  it('a plan that creates a container looks its name up once; a converged plan asks nothing', async () => {
    const engine = fakeEngine();
    const plan = planUp(m, fresh);
    expect(namesToClaim(plan, fresh)).toEqual(['rsa-b-c-1']);
    await findNameClashes(engine, plan, fresh);
    expect(engine.calls.map((c) => c.method)).toEqual(['listContainers']);

    const converged = applyPlan(fresh, plan);
    const noop = planUp(m, converged);
    expect(noop.actions).toEqual([]);
    const quiet = fakeEngine();
    expect(await findNameClashes(quiet, noop, converged)).toEqual([]);
    expect(quiet.calls).toEqual([]);
  });

  it("only another project's (or an unlabelled) container with exactly that name clashes", () => {
    const listed = [
      container('rsa', 'b-c', 1, { name: 'rsa-b-c-1' }),
      container('rsa-b', 'c', 1, { name: 'rsa-b-c-10' }),
      { ...container('x', 'y', 1, { name: 'rsa-b-c-2' }), labels: {} },
    ];
    expect(foreignHolders('rsa-b', ['rsa-b-c-1', 'rsa-b-c-2', 'rsa-b-c-10'], listed)).toEqual([
      { name: 'rsa-b-c-1', containerId: listed[0]!.id, project: 'rsa', service: 'b-c' },
      { name: 'rsa-b-c-2', containerId: listed[2]!.id },
    ]);
  });

  it('many new names are matched against one list of every container, not a filter per name (500 services made an 18 KB query)', async () => {
    const many = model(
      'rsa-m',
      Array.from({ length: 50 }, (_, i) => service(`s${i}`)),
    );
    const observed = emptyObserved('rsa-m', [image('s0:latest')]);
    const plan = planUp(many, observed);
    const queries: Parameters<Engine['listContainers']>[0][] = [];
    const holder: EngineContainer = {
      Id: 'f'.repeat(64),
      Names: ['/rsa-m-s7-1'],
      Image: 'x',
      ImageID: 'sha256:x',
      Labels: { 'com.docker.compose.project': 'other' },
      State: 'running',
      Status: 'Up',
      Created: 0,
    };
    const engine: Engine = {
      ...fakeEngine(),
      listContainers: (query) => {
        queries.push(query);
        return Promise.resolve([holder]);
      },
    };
    const clashes = await findNameClashes(engine, plan, observed);
    expect(queries).toEqual([{ all: true }]);
    expect(clashes.map((c) => [c.name, c.project])).toEqual([['rsa-m-s7-1', 'other']]);
  });
});
