import { describe, expect, it } from 'vitest';
import type { BuildSpec, ServiceSpec } from '../../src/model.js';
import { planImages } from '../../src/images/plan-images.js';
import { buildSpec, image, model, service } from '../planner/helpers.js';

const NOW = 1_700_000_000;
const build = (over: Partial<BuildSpec> = {}): BuildSpec => buildSpec('/src/app', over);
const buildOnly = (name: string, b: BuildSpec): ServiceSpec => {
  const { image: _image, ...rest } = service(name, { build: b });
  return rest;
};
const summary = (plan: ReturnType<typeof planImages>): string[] =>
  plan.decisions.map(
    (d) => `${d.service}: ${d.action} ${d.image} (${d.reason.code})${d.fallbackToBuild ? ' +fallback' : ''}`,
  );

describe('planImages', () => {
  it('a missing image is pulled, a present one left alone', () => {
    const m = model('demo', [service('web', { image: 'nginx' }), service('db', { image: 'postgres:16' })]);
    const plan = planImages(m, [image('nginx:latest')], {}, NOW);
    expect(summary(plan)).toEqual(['db: pull postgres:16 (missing)', 'web: none nginx (present)']);
    expect(plan.pulls.map((p) => p.image)).toEqual(['postgres:16']);
  });

  it('a build-only service is named <project>-<service>, built when missing, never pulled', () => {
    const m = model('demo', [buildOnly('api', build())]);
    const plan = planImages(m, [], {}, NOW);
    expect(summary(plan)).toEqual(['api: build demo-api (missing)']);
    expect(planImages(m, [image('demo-api:latest')], {}, NOW).builds).toEqual([]);
  });

  it('--build rebuilds every buildable service; --no-build refuses a missing build-only image', () => {
    const m = model('demo', [buildOnly('api', build()), service('web', { image: 'nginx' })]);
    const forced = planImages(m, [image('demo-api:latest'), image('nginx:latest')], { build: 'always' }, NOW);
    expect(summary(forced)).toEqual(['api: build demo-api (build_forced)', 'web: none nginx (present)']);
    const refused = planImages(m, [image('nginx:latest')], { build: 'never' }, NOW);
    expect(refused.problems.map((p) => p.service)).toEqual(['api']);
    expect(refused.problems[0]!.message).toMatch(/--no-build/);
  });

  it('build + image without pull_policy: pull, falling back to the build', () => {
    const m = model('demo', [service('web', { image: 'registry.local/web:1', build: build() })]);
    const plan = planImages(m, [], {}, NOW);
    expect(summary(plan)).toEqual(['web: pull registry.local/web:1 (missing) +fallback']);
    expect(plan.pulls[0]!.fallback?.tags).toEqual(['registry.local/web:1']);
    expect(plan.builds).toEqual([]);
  });

  it('pull_policy: build rebuilds on every run; never with a missing image and no build is a problem', () => {
    const m = model('demo', [
      service('a', { image: 'a:1', build: build(), pullPolicy: 'build' }),
      service('b', { image: 'b:1', pullPolicy: 'never' }),
    ]);
    const plan = planImages(m, [image('a:1')], {}, NOW);
    expect(summary(plan)).toEqual(['a: build a:1 (policy_build)']);
    expect(plan.problems.map((p) => p.message)).toEqual([
      'image b:1 for service b is not present locally and its pull_policy is never',
    ]);
  });

  it('pull_policy: always pulls a present image; daily uses the recorded pull time', () => {
    const m = model('demo', [
      service('a', { image: 'a:1', pullPolicy: 'always' }),
      service('b', { image: 'b', pullPolicy: 'daily' }),
    ]);
    const fresh = planImages(m, [image('a:1'), image('b:latest')], { lastPulled: { 'b:latest': NOW - 60 } }, NOW);
    expect(summary(fresh)).toEqual(['a: pull a:1 (policy_always)', 'b: none b (interval_fresh)']);
    const stale = planImages(m, [image('a:1'), image('b:latest')], { lastPulled: { 'b:latest': NOW - 90_000 } }, NOW);
    expect(stale.pulls.map((p) => p.image)).toEqual(['a:1', 'b']);
  });

  it('a build shared by several services runs once, tagged with every service image', () => {
    const shared = build({ args: { V: '1' }, tags: ['extra/tag:1'] });
    const services = [
      buildOnly('a', shared),
      buildOnly('b', { ...shared, tags: [] }),
      buildOnly('c', build({ args: { V: '2' } })),
    ];
    const plan = planImages(model('demo', services), [], {}, NOW);
    expect(plan.builds.map((t) => ({ image: t.image, tags: t.tags, services: t.services }))).toEqual([
      { image: 'demo-a', tags: ['demo-a', 'demo-b', 'extra/tag:1'], services: ['a', 'b'] },
      { image: 'demo-c', tags: ['demo-c'], services: ['c'] },
    ]);
  });

  it('a pull override replaces every pull_policy; services and ignoreBuildable narrow the set', () => {
    const m = model('demo', [
      service('a', { image: 'a:1', pullPolicy: 'never' }),
      service('b', { image: 'b:1', build: build() }),
    ]);
    const plan = planImages(m, [image('a:1'), image('b:1')], { pull: 'always', ignoreBuildable: true }, NOW);
    expect(summary(plan)).toEqual(['a: pull a:1 (policy_always)']);
    expect(planImages(m, [], { services: ['b'] }, NOW).decisions.map((d) => d.service)).toEqual(['b']);
  });

  it('the same image used by two services is pulled once', () => {
    const m = model('demo', [service('a', { image: 'x:1' }), service('b', { image: 'x:1' })]);
    expect(planImages(m, [], {}, NOW).pulls).toEqual([
      { image: 'x:1', services: ['a', 'b'], reason: { code: 'missing', detail: 'not present locally' } },
    ]);
  });
});
