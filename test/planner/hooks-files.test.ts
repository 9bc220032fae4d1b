import { describe, expect, it } from 'vitest';
import type { StackModel } from '../../src/model.js';
import { planDown, planUp, renderPlan } from '../../src/planner/index.js';
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
