import { describe, expect, it } from 'vitest';
import type { StackModel } from '../../src/model.js';
import { planDown, planUp, renderPlan } from '../../src/planner/index.js';
import { Label } from '../../src/labels.js';
import type { ObservedContainer, ObservedState } from '../../src/planner/types.js';
import { applyPlan } from './simulate.js';
import { container, emptyObserved, image, model, service, wantedHash } from './helpers.js';

const hook = { command: ['sh', '-c', 'echo hi'], privileged: false, environment: { TOKEN: 'hunter2' } };

function withFiles(content: string): StackModel {
  const m = model('demo', [
    service('web', {
      postStart: [hook],
      preStop: [hook],
      secrets: [
        { source: 'token', target: '/run/secrets/token', uid: '1000', mode: 0o400 },
        { source: 'plain', target: '/run/secrets/plain' },
      ],
      configs: [{ source: 'settings', target: '/settings' }],
    }),
  ]);
  return {
    ...m,
    secrets: {
      token: { key: 'token', name: 'demo_token', external: false, file: '/work/demo/token' },
      plain: { key: 'plain', name: 'demo_plain', external: false, file: '/work/demo/plain' },
    },
    configs: { settings: { key: 'settings', name: 'demo_settings', external: false, content } },
  };
}

describe('hooks and copied files in the plan', () => {
  const plan = planUp(withFiles('v=1'), emptyObserved('demo', [image('web:latest')]));

  it('the create copies content sources and files with uid/gid/mode; a plain file source stays a bind mount', () => {
    const create = plan.actions.find((a) => a.kind === 'create-container')!;
    expect(create.kind === 'create-container' && create.files).toEqual([
      { target: '/run/secrets/token', mode: 0o400, uid: 1000, file: '/work/demo/token' },
      { target: '/settings', mode: 0o444, content: 'v=1' },
    ]);
    const mounts = (
      create.kind === 'create-container' ? (create.body['HostConfig'] as { Mounts: { Target: string }[] }).Mounts : []
    ).map((m) => m.Target);
    expect(mounts).toEqual(['/run/secrets/plain']);
  });

  it('the plan shows the copies and the post_start hooks; the JSON plan masks contents and hook environments', () => {
    const text = renderPlan(plan, 'text');
    expect(text).toContain('copying /run/secrets/token,/settings');
    expect(text).toContain('then 1 post_start hook(s)');
    const json = renderPlan(plan, 'json');
    expect(json).not.toContain('v=1');
    expect(json).not.toContain('hunter2');
  });

  it('down runs pre_stop before the stop', () => {
    const m = withFiles('v=1');
    const observed = {
      ...emptyObserved('demo'),
      containers: [container('demo', 'web', 1, { hash: wantedHash(m, 'web', 1, undefined) })],
    };
    const down = planDown(m, observed);
    expect(renderPlan(down, 'text')).toContain('after 1 pre_stop hook(s)');
  });

  it('a copied file source whose content changed (a new digest from the loader) changes the config hash', () => {
    const base = withFiles('v=1');
    const digested = (digest: string): StackModel => ({
      ...base,
      secrets: { ...base.secrets, token: { ...base.secrets['token']!, digest } },
    });
    expect(wantedHash(digested('a'), 'web', 1, 'sha256:x')).not.toBe(wantedHash(digested('b'), 'web', 1, 'sha256:x'));
  });

  it('a changed content changes the config hash (the container is recreated); the value is not in the labels', () => {
    const one = withFiles('v=1');
    const two = withFiles('v=2');
    expect(wantedHash(one, 'web', 1, 'sha256:x')).not.toBe(wantedHash(two, 'web', 1, 'sha256:x'));
    expect(JSON.stringify(plan.actions)).not.toMatch(/Labels[^}]*v=1/);
  });
});

describe('pre_start hooks in the plan (Compose v2: containers of their own, once per service)', () => {
  const migrate = {
    command: ['sh', '-c', 'migrate'],
    privileged: false,
    environment: { STEP: 'one' },
    perReplica: false,
  };
  const chown = { image: 'tools:1', privileged: true, environment: {}, perReplica: false };
  const withHooks = (replicas = 1, preStart = [migrate, chown]): StackModel =>
    model('demo', [service('web', { replicas, preStart, environment: { DB: 'db', STEP: 'service' }, dependsOn: {} })]);
  const images = [image('web:latest', 'sha256:web'), image('tools:1', 'sha256:tools')];
  const text = (m: StackModel, observed = emptyObserved('demo', images), scale?: number): string =>
    renderPlan(planUp(m, observed, scale ? { scale: { web: scale } } : {}), 'text');
  const converged = (m: StackModel): ObservedState =>
    applyPlan(emptyObserved('demo', images), planUp(m, emptyObserved('demo', images)));
  const withState = (o: ObservedState, state: ObservedContainer['state']): ObservedState => ({
    ...o,
    containers: o.containers.map((c) => ({ ...c, state })),
  });

  it('a first up creates the replicas, runs the hooks in order, then starts every replica after the last one', () => {
    expect(text(withHooks(2))).toMatchInlineSnapshot(`
      "#1 create-network network:default demo_default (missing: not created yet)
      #2 create-container service:web:1 as demo-web-1 (missing: not created yet) after #1
      #3 create-container service:web:2 as demo-web-2 (missing: not created yet) after #1
      #4 run-pre-start service:web web pre_start[0] (web:latest) (pre_start: before web starts) after #2
      #5 run-pre-start service:web web pre_start[1] (tools:1) (pre_start: before web starts) after #4
      #6 start-container service:web:1 demo-web-1 (missing: not created yet) after #2,#5
      #7 start-container service:web:2 demo-web-2 (missing: not created yet) after #3,#5"
    `);
  });

  it("a hook container shares the first replica's volumes and the service's networks and environment, as Compose's", () => {
    const plan = planUp(withHooks(), emptyObserved('demo', images));
    const [first, second] = plan.actions.filter((a) => a.kind === 'run-pre-start');
    expect(first?.kind === 'run-pre-start' && first.body).toEqual({
      Image: 'web:latest',
      Cmd: ['sh', '-c', 'migrate'],
      Env: ['DB=db', 'STEP=one'],
      Labels: {
        'com.docker.compose.project': 'demo',
        'com.docker.compose.service': 'web',
        'com.docker.compose.version': '2.0.0',
        'com.docker.compose.hook': 'pre_start',
      },
      HostConfig: { VolumesFrom: ['demo-web-1'], NetworkMode: 'demo_default' },
      NetworkingConfig: { EndpointsConfig: { demo_default: { Aliases: ['web'] } } },
    });
    // No command: the image's own; its own image; privileged when asked.
    expect(second?.kind === 'run-pre-start' && second.body).toMatchObject({
      Image: 'tools:1',
      HostConfig: { Privileged: true, VolumesFrom: ['demo-web-1'] },
    });
    expect(second?.kind === 'run-pre-start' && 'Cmd' in second.body).toBe(false);
    expect(renderPlan(plan, 'json')).not.toContain('STEP=one');
  });

  it('a converged service runs no hook; a replica added beside a running one runs none either', () => {
    const m = withHooks();
    const observed = converged(m);
    expect(text(m, observed)).toBe('project demo: nothing to do');
    expect(text(m, observed, 2)).not.toContain('run-pre-start');
  });

  it('a stopped service runs its hooks again before the start, with the existing replica as the donor', () => {
    const m = withHooks();
    const observed = withState(converged(m), 'exited');
    const plan = planUp(m, observed);
    expect(plan.actions.map((a) => a.kind)).toEqual(['run-pre-start', 'run-pre-start', 'start-container']);
    const hook = plan.actions[0]!;
    const donor = observed.containers[0]!.id;
    expect(hook.kind === 'run-pre-start' && hook.body['HostConfig']).toMatchObject({ VolumesFrom: [donor] });
  });

  it('changing a hook recreates the service (Compose hashes pre_start) and runs the hooks after the rename', () => {
    const m = withHooks();
    const observed = converged(m);
    const changed = withHooks(1, [{ ...migrate, command: ['sh', '-c', 'migrate --v2'] }]);
    const kinds = planUp(changed, observed).actions.map((a) => a.kind);
    expect(kinds).toEqual([
      'create-container',
      'stop-container',
      'remove-container',
      'rename-container',
      'run-pre-start',
      'start-container',
    ]);
  });

  it("a hook's image that is missing is pulled before the hook; the service waits on its depends_on before the first hook", () => {
    const m = model('demo', [
      service('db'),
      service('web', {
        preStart: [chown],
        dependsOn: { db: { condition: 'service_healthy', required: true, restart: false } },
      }),
    ]);
    const plan = planUp(m, emptyObserved('demo', [image('web:latest'), image('db:latest')]));
    const pull = plan.actions.find((a) => a.kind === 'pull-image');
    const hook = plan.actions.find((a) => a.kind === 'run-pre-start');
    expect(pull?.kind === 'pull-image' && pull.image).toBe('tools:1');
    expect(hook?.dependsOn).toContain(pull!.id);
    expect(hook?.kind === 'run-pre-start' && hook.waitFor).toEqual([
      { service: 'db', container: 'demo-db-1', condition: 'service_healthy', required: true },
    ]);
    const dbStart = plan.actions.find((a) => a.kind === 'start-container' && a.resource === 'service:db:1')!;
    expect(hook?.dependsOn).toContain(dbStart.id);
  });

  it('a hook container kept after a failed hook is removed by the next up of its service, never taken for a replica', () => {
    const m = withHooks();
    const kept = container('demo', 'web', 1, {
      id: 'hook'.padEnd(64, '0'),
      name: 'focused_turing',
      state: 'exited',
      extraLabels: { 'com.docker.compose.hook': 'pre_start' },
    });
    const { [Label.containerNumber]: _n, ...labels } = kept.labels;
    const base = withState(converged(m), 'created');
    const observed = { ...base, containers: [{ ...kept, labels }, ...base.containers] };
    expect(text(m, observed)).toMatchInlineSnapshot(`
      "#1 remove-container service:web:? focused_turing (hook_leftover: pre_start hook container kept after a failed hook)
      #2 run-pre-start service:web web pre_start[0] (web:latest) (pre_start: before web starts)
      #3 run-pre-start service:web web pre_start[1] (tools:1) (pre_start: before web starts) after #2
      #4 start-container service:web:1 demo-web-1 (stopped: container is created) after #3"
    `);
    // Another service's up leaves it alone.
    const other = model('demo', [...Object.values(m.services), service('api')]);
    expect(renderPlan(planUp(other, observed, { services: ['api'] }), 'text')).not.toContain('focused_turing');
    // down removes it with its service, without running pre_stop hooks in it.
    const down = planDown({ ...m, services: { web: service('web', { preStop: [hook] }) } }, observed);
    expect(renderPlan(down, 'text')).toContain('remove-container service:web:? focused_turing');
    expect(renderPlan(down, 'text')).not.toMatch(/stop-container.*focused_turing/);
  });
});
