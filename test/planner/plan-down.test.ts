import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { StackModel } from '../../src/model.js';
import { planDown, planUp, renderPlan } from '../../src/planner/index.js';
import type { DownOptions, ObservedState } from '../../src/planner/types.js';
import { container, emptyObserved, image, model, network, service, volume } from './helpers.js';
import { applyPlan } from './simulate.js';

const IMAGES = [image('db:latest'), image('web:latest'), image('old:latest')];
const after = (dep: string) => ({ [dep]: { condition: 'service_started' as const, required: true, restart: false } });

function stack(): StackModel {
  return model(
    'demo',
    [
      service('db', {
        volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }],
        networks: { default: { aliases: [], linkLocalIps: [] }, shared: { aliases: [], linkLocalIps: [] } },
      }),
      service('web', { dependsOn: after('db') }),
    ],
    {
      volumes: [volume('demo', 'data'), volume('demo', 'ext', { name: 'ext', external: true })],
      networks: [network('demo', 'shared', { name: 'shared', external: true })],
    },
  );
}

function up(m: StackModel): ObservedState {
  const start: ObservedState = {
    ...emptyObserved('demo', IMAGES),
    networks: [{ id: 'shared-id', name: 'shared', labels: {}, driver: 'bridge' }],
    volumes: [{ name: 'ext', labels: {}, driver: 'local' }],
  };
  return applyPlan(start, planUp(m, start));
}

const text = (target: StackModel | { project: string }, o: ObservedState, options: DownOptions = {}): string =>
  renderPlan(planDown(target, o, options), 'text');

describe('planDown', () => {
  it('stops and removes containers dependents first, then project networks; never external ones', () => {
    const m = stack();
    expect(text(m, up(m))).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (down: stack down)
      #2 remove-container service:web:1 demo-web-1 (down: stack down) after #1
      #3 stop-container service:db:1 demo-db-1 (down: stack down) after #2
      #4 remove-container service:db:1 demo-db-1 (down: stack down) after #2,#3
      #5 remove-network network:default demo_default (down: stack down) after #2,#4"
    `);
  });

  it("says how long each stop may take: -t, else the service's stop_grace_period (for the project lock), else nothing", () => {
    const m = model('demo', [service('db', { stopGracePeriod: 45_000_000_000 }), service('web')]);
    const stops = (target: StackModel | { project: string }, options: DownOptions = {}) =>
      Object.fromEntries(
        planDown(target, up(m), options).actions.flatMap((a) =>
          a.kind === 'stop-container' ? [[a.name, { t: a.timeoutSeconds, grace: a.graceSeconds }]] : [],
        ),
      );
    expect(stops(m)).toEqual({
      'demo-db-1': { t: undefined, grace: 45 },
      'demo-web-1': { t: undefined, grace: undefined },
    });
    expect(stops(m, { timeoutSeconds: 3 })).toEqual({
      'demo-db-1': { t: 3, grace: undefined },
      'demo-web-1': { t: 3, grace: undefined },
    });
    // `-p demo down`: no model, so the engine's own grace is not known here.
    expect(stops({ project: 'demo' })['demo-db-1']).toEqual({ t: undefined, grace: undefined });
  });

  it('removes named volumes only with volumes, marked destructive, and never an external volume', () => {
    const m = stack();
    expect(text(m, up(m), { volumes: true, timeoutSeconds: 3 })).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (down: stack down)
      #2 remove-container service:web:1 demo-web-1 with its anonymous volumes (down: stack down) after #1
      #3 stop-container service:db:1 demo-db-1 (down: stack down) after #2
      #4 remove-container service:db:1 demo-db-1 with its anonymous volumes (down: stack down) after #2,#3
      #5 remove-network network:default demo_default (down: stack down) after #2,#4
      #6 remove-volume volume:data demo_data (down: stack down) after #2,#4 [destructive]"
    `);
  });

  it('never touches containers, networks or volumes of another project', () => {
    const m = stack();
    const o = up(m);
    const foreign: ObservedState = {
      ...o,
      containers: [...o.containers, container('other', 'db', 1)],
      networks: [
        ...o.networks,
        { id: 'x', name: 'other_default', labels: { [Label.project]: 'other' }, driver: 'bridge' },
      ],
      volumes: [...o.volumes, { name: 'other_data', labels: { [Label.project]: 'other' }, driver: 'local' }],
    };
    const plan = planDown(m, foreign, { volumes: true, removeOrphans: true });
    expect(renderPlan(plan, 'text')).not.toContain('other');
  });

  it('with only a project name, removes everything of the project in depends_on label order', () => {
    const m = stack();
    expect(text({ project: 'demo' }, up(m))).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (down: stack down)
      #2 remove-container service:web:1 demo-web-1 (down: stack down) after #1
      #3 stop-container service:db:1 demo-db-1 (down: stack down) after #2
      #4 remove-container service:db:1 demo-db-1 (down: stack down) after #2,#3
      #5 remove-network network:default demo_default (down: stack down) after #2,#4"
    `);
  });

  it('keeps orphans unless removeOrphans, and acts only on the named services', () => {
    const m = stack();
    const o = up(
      model('demo', [...Object.values(m.services), service('old')], {
        volumes: Object.values(m.volumes),
        networks: Object.values(m.networks),
      }),
    );
    expect(text(m, o)).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (down: stack down)
      #2 remove-container service:web:1 demo-web-1 (down: stack down) after #1
      #3 stop-container service:db:1 demo-db-1 (down: stack down) after #2
      #4 remove-container service:db:1 demo-db-1 (down: stack down) after #2,#3
      orphan: service:old:1
      note: orphan containers kept (remove them with --remove-orphans)
      note: network demo_default kept: still used by demo-old-1"
    `);
    expect(text(m, o, { services: ['web'] })).toMatchInlineSnapshot(`
      "#1 stop-container service:web:1 demo-web-1 (down: stack down)
      #2 remove-container service:web:1 demo-web-1 (down: stack down) after #1"
    `);
  });

  it('applied to the simulator leaves nothing of the project but external resources', () => {
    const m = stack();
    const after = applyPlan(up(m), planDown(m, up(m), { volumes: true }));
    expect(after.containers).toEqual([]);
    expect(after.networks.map((n) => n.name)).toEqual(['shared']);
    expect(after.volumes.map((v) => v.name)).toEqual(['ext']);
  });
});
