import { describe, expect, it } from 'vitest';
import type { ServiceSpec, StackModel } from '../../src/model.js';
import { planUp, renderPlan } from '../../src/planner/index.js';
import type { ObservedContainerDetail, ObservedState } from '../../src/planner/types.js';
import { emptyObserved, image, model, service } from './helpers.js';
import { applyPlan } from './simulate.js';

const IMAGES = [image('web:latest'), image('web:2')];
const web = (overrides: Partial<ServiceSpec> = {}): StackModel => model('demo', [service('web', overrides)]);

/** The state after applying the plan of `m` to nothing, then the web container's inspect detail set to `detail`. */
function convergedWith(m: StackModel, detail?: ObservedContainerDetail, images = IMAGES): ObservedState {
  const o = applyPlan(emptyObserved('demo', images), planUp(m, emptyObserved('demo', images)));
  return { ...o, containers: o.containers.map((c) => (detail ? { ...c, detail } : c)) };
}

/** The reason of the first line of the plan (the replacement's create). */
function reasonOf(m: StackModel, o: ObservedState): string {
  const first = renderPlan(planUp(m, o), 'text').split('\n')[0]!;
  return /\(([^)]*)\)/.exec(first)?.[1] ?? first;
}

describe('recreate reasons', () => {
  const before = { DB_URL: 'postgres://secret@db', MODE: 'a' };
  const inspected = (env: readonly string[], hostConfig: Record<string, unknown> = {}): ObservedContainerDetail => ({
    config: { Image: 'web:latest', Env: [...env, 'PATH=/usr/bin'] },
    hostConfig: {
      NetworkMode: 'demo_default',
      ShmSize: 67_108_864,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      Privileged: false,
      Dns: [],
      PortBindings: {},
      ...hostConfig,
    },
    imageEnv: ['PATH=/usr/bin'],
  });

  it('names an environment key removed from the stack file, never its value, and not the keys the image sets', () => {
    const o = convergedWith(web({ environment: before }), inspected(['DB_URL=postgres://secret@db', 'MODE=a']));
    const plan = renderPlan(planUp(web({ environment: { MODE: 'a' } }), o), 'text');
    expect(plan).not.toContain('secret');
    expect(plan.split('\n')[0]).toBe(
      '#1 create-container service:web:1 as c1002fffffff_demo-web-1 replacing c1002fffffff (diverged: environment.DB_URL)',
    );
  });

  it('names added, changed and removed environment keys together, also when no variable is left', () => {
    const o = convergedWith(web({ environment: before }), inspected(['DB_URL=postgres://secret@db', 'MODE=a']));
    expect(reasonOf(web({ environment: { MODE: 'b', NEW: 'x' } }), o)).toBe(
      'diverged: environment.DB_URL, environment.MODE, environment.NEW',
    );
    expect(reasonOf(web(), o)).toBe('diverged: environment.DB_URL, environment.MODE');
  });

  it('names a key that overrode an image variable and was removed, since the container no longer has the image value', () => {
    const detail = { ...inspected(['PATH=/opt/bin']), config: { Image: 'web:latest', Env: ['PATH=/opt/bin'] } };
    expect(reasonOf(web(), convergedWith(web({ environment: { PATH: '/opt/bin' } }), detail))).toBe(
      'diverged: environment.PATH',
    );
  });

  it('names a label removed from the stack file, and an added or changed one, but not the labels the image sets', () => {
    const withLabels = (labels: Record<string, string>): ObservedContainerDetail => ({
      ...inspected([]),
      config: {
        Image: 'web:latest',
        Env: ['PATH=/usr/bin'],
        Labels: { ...labels, 'org.opencontainers.image.title': 'web', 'com.docker.compose.project': 'demo' },
      },
      imageLabels: { 'org.opencontainers.image.title': 'web' },
    });
    const o = convergedWith(web({ labels: { team: 'a', tier: 'front' } }), withLabels({ team: 'a', tier: 'front' }));
    expect(reasonOf(web({ labels: { team: 'a' } }), o)).toBe('diverged: labels.tier');
    expect(reasonOf(web({ labels: { team: 'b', tier: 'front', extra: 'x' } }), o)).toBe(
      'diverged: labels.extra, labels.team',
    );
    // An image label the stack file overrode and then dropped: the container's value is not the image's.
    const overridden = {
      ...withLabels({}),
      config: { Image: 'web:latest', Env: ['PATH=/usr/bin'], Labels: { 'org.opencontainers.image.title': 'mine' } },
    };
    expect(
      reasonOf(web(), convergedWith(web({ labels: { 'org.opencontainers.image.title': 'mine' } }), overridden)),
    ).toBe('diverged: labels.org.opencontainers.image.title');
    // Without the image's labels, a label only the container has is not named.
    const { imageLabels: _omitted, ...noImageLabels } = withLabels({ team: 'a', tier: 'front' });
    expect(
      reasonOf(
        web({ labels: { team: 'a' } }),
        convergedWith(web({ labels: { team: 'a', tier: 'front' } }), noImageLabels),
      ),
    ).toBe('diverged: configuration changed');
  });

  it('names a removed port as ports, whether some or all ports are removed', () => {
    const ports = [
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
      { target: 443, published: '8443', protocol: 'tcp', mode: 'ingress' },
    ] as const;
    const detail = (keys: readonly string[]): ObservedContainerDetail => ({
      ...inspected([]),
      config: {
        Image: 'web:latest',
        Env: ['PATH=/usr/bin'],
        ExposedPorts: Object.fromEntries(keys.map((k) => [k, {}])),
      },
      hostConfig: {
        ...inspected([]).hostConfig,
        PortBindings: Object.fromEntries(
          keys.map((k) => [k, [{ HostIp: '', HostPort: k === '80/tcp' ? '8080' : '8443' }]]),
        ),
      },
    });
    const o = convergedWith(web({ ports }), detail(['80/tcp', '443/tcp']));
    expect(reasonOf(web({ ports: [ports[0]] }), o)).toBe('diverged: ports');
    expect(reasonOf(web(), o)).toBe('diverged: ports');
  });

  it('names other removed settings, but not engine defaults the inspect output shows', () => {
    const o = convergedWith(
      web({ capAdd: ['NET_ADMIN'], privileged: true }),
      inspected([], { CapAdd: ['NET_ADMIN'], Privileged: true }),
    );
    expect(reasonOf(web(), o)).toBe('diverged: cap_add, privileged');
  });

  it('without the image env, an only-observed key is not named, and with nothing else changed the reason stays generic', () => {
    const { imageEnv: _omitted, ...noImageEnv } = inspected(['DB_URL=postgres://secret@db', 'MODE=a']);
    expect(reasonOf(web({ environment: { MODE: 'a' } }), convergedWith(web({ environment: before }), noImageEnv))).toBe(
      'diverged: configuration changed',
    );
  });

  it('names image when the tag now resolves to another image ID, and when the tag changes', () => {
    const o = convergedWith(web());
    const repulled: ObservedState = { ...o, images: [image('web:latest', 'sha256:newer'), image('web:2')] };
    expect(renderPlan(planUp(web(), repulled), 'text')).toMatchInlineSnapshot(`
      "#1 create-container service:web:1 as c1002fffffff_demo-web-1 replacing c1002fffffff (diverged: image)
      #2 stop-container service:web:1 demo-web-1 (recreate: replaced by c1002fffffff_demo-web-1) after #1
      #3 remove-container service:web:1 demo-web-1 (recreate: replaced by c1002fffffff_demo-web-1) after #1,#2
      #4 rename-container service:web:1 c1002fffffff_demo-web-1 to demo-web-1 (recreate: into demo-web-1) after #3
      #5 start-container service:web:1 demo-web-1 (diverged: image) after #4"
    `);
    expect(reasonOf(web({ image: 'web:2' }), o)).toBe('diverged: image');
    // With inspect detail the image is still named once, from the observed image, not from Config.Image.
    expect(
      reasonOf(web({ image: 'web:2' }), {
        ...o,
        containers: o.containers.map((c) => ({ ...c, detail: inspected([]) })),
      }),
    ).toBe('diverged: image');
  });
});
