/**
 * Safety and convergence properties over generated models and messy observed states
 * (Nomad-style property tests). Every property runs at least RUNS cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { planDown, planUp } from '../../src/planner/index.js';
import { preparations } from '../../src/planner/desired.js';
import type { Action, ObservedState, Plan, UpOptions } from '../../src/planner/types.js';
import { PROJECT, scenarioArb, upOptionsArb } from './arbitraries.js';
import { applyPlan } from './simulate.js';

const RUNS = 300;
const withOptions = scenarioArb.chain((s) => upOptionsArb(s.model).map((options) => ({ ...s, options })));

/** Options for the follow-up plan: forcing is a one-shot request, everything else stays. */
function steady(options: UpOptions): UpOptions {
  const { forceRecreate: _f, ...rest } = options;
  return rest;
}

/** Every existing resource an action touches, checked against the observed state. */
function touchesOnlyOwned(
  plan: Plan,
  observed: ObservedState,
  externalNames: ReadonlySet<string>,
  down = false,
): string | undefined {
  const containers = new Map(observed.containers.map((c) => [c.id, c]));
  const byName = new Map(observed.containers.map((c) => [c.name, c]));
  for (const a of plan.actions) {
    const check = (labels: Readonly<Record<string, string>> | undefined, what: string): string | undefined =>
      labels !== undefined && labels[Label.project] !== PROJECT
        ? `#${a.id} ${a.kind} touches foreign ${what}`
        : undefined;
    let problem: string | undefined;
    if ('containerId' in a && a.containerId !== undefined)
      problem = check(containers.get(a.containerId)?.labels ?? {}, `container ${a.containerId}`);
    if (a.kind === 'disconnect-network' || a.kind === 'connect-network')
      problem ??= check(byName.get(a.name)?.labels, `container ${a.name}`);
    if (a.kind === 'remove-network')
      problem ??= check(observed.networks.find((n) => n.id === a.networkId)?.labels ?? {}, `network ${a.name}`);
    if (a.kind === 'remove-volume')
      problem ??= check(observed.volumes.find((v) => v.name === a.name)?.labels ?? {}, `volume ${a.name}`);
    if (
      (a.kind === 'remove-network' ||
        a.kind === 'create-network' ||
        a.kind === 'remove-volume' ||
        a.kind === 'create-volume') &&
      externalNames.has(a.name)
    )
      problem ??= `#${a.id} touches external ${a.name}`;
    if (
      'containerId' in a &&
      a.containerId !== undefined &&
      containers.get(a.containerId)?.labels[Label.oneoff] === 'True' &&
      !down
    )
      problem ??= `#${a.id} touches a one-off container`;
    if (problem) return problem;
  }
  return undefined;
}

function wellFormed(actions: readonly Action[]): boolean {
  return actions.every((a, i) => a.id === i + 1 && a.dependsOn.every((d) => d >= 1 && d < a.id));
}

const externals = (s: { model: { networks: object; volumes: object } }): Set<string> =>
  new Set(
    [...Object.values(s.model.networks), ...Object.values(s.model.volumes)]
      .filter((r: { external: boolean }) => r.external)
      .map((r: { name: string }) => r.name),
  );

describe('planner properties', () => {
  // Each case plans (and simulates) several times; generous timeouts keep slow CI machines green.
  it('a converged stack plans to zero actions', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(scenarioArb, ({ model, observed }) => {
        const first = applyPlan(observed, planUp(model, observed, { removeOrphans: true }));
        const converged = applyPlan(first, planUp(model, first, { removeOrphans: true }));
        expect(planUp(model, converged, { removeOrphans: true }).actions).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('applying a plan reaches a state that plans to zero actions', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(withOptions, ({ model, observed, options }) => {
        const next = applyPlan(observed, planUp(model, observed, options));
        const again = planUp(model, next, steady(options));
        expect(
          again.actions.map((a) => `#${a.id} ${a.kind} ${a.resource} (${a.reason.code}: ${a.reason.detail})`),
        ).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('preparing the desired state while the engine answers changes no plan', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(withOptions, ({ model, observed, options }) => {
        // A copy has no memo: planned from scratch.
        const fresh = structuredClone(model);
        for (const step of preparations(model, Object.keys(model.services), options.scale)) step();
        expect(planUp(model, observed, options)).toEqual(planUp(fresh, observed, options));
      }),
      { numRuns: RUNS },
    );
  });
  it('planning is deterministic, whatever order the engine listed things in', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(withOptions, fc.integer(), ({ model, observed, options }, seed) => {
        const shuffle = <T>(xs: readonly T[]): T[] =>
          [...xs]
            .map((x, i) => ({ x, k: (i * 7919 + seed) % 101 }))
            .sort((a, b) => a.k - b.k)
            .map((p) => p.x);
        const shuffled: ObservedState = {
          ...observed,
          containers: shuffle(observed.containers),
          networks: shuffle(observed.networks),
          volumes: shuffle(observed.volumes),
          images: shuffle(observed.images),
        };
        expect(planUp(model, shuffled, options)).toEqual(planUp(model, observed, options));
        expect(JSON.parse(JSON.stringify(planUp(model, observed, options)))).toEqual(planUp(model, observed, options));
      }),
      { numRuns: RUNS },
    );
  });

  it(
    'no action touches a resource of another project, a one-off container or an external resource',
    { timeout: 60_000 },
    () => {
      fc.assert(
        fc.property(withOptions, fc.boolean(), ({ model, observed, options }, volumes) => {
          expect(touchesOnlyOwned(planUp(model, observed, options), observed, externals({ model }))).toBeUndefined();
          expect(
            touchesOnlyOwned(
              planDown(model, observed, { volumes, removeOrphans: true }),
              observed,
              externals({ model }),
              true,
            ),
          ).toBeUndefined();
          expect(
            touchesOnlyOwned(
              planDown({ project: PROJECT }, observed, { volumes }),
              observed,
              externals({ model }),
              true,
            ),
          ).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('ids are sequential and dependsOn points only to earlier ids', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(withOptions, ({ model, observed, options }) => {
        expect(wellFormed(planUp(model, observed, options).actions)).toBe(true);
        expect(wellFormed(planDown(model, observed, { volumes: true, removeOrphans: true }).actions)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it(
    'down removes every container of the project and nothing else (one-offs only with --remove-orphans)',
    { timeout: 60_000 },
    () => {
      fc.assert(
        fc.property(scenarioArb, ({ model, observed }) => {
          const kept = applyPlan(observed, planDown({ project: PROJECT }, observed, { volumes: true }));
          expect(
            kept.containers
              .filter((c) => c.labels[Label.project] === PROJECT)
              .every((c) => c.labels[Label.oneoff] === 'True'),
          ).toBe(true);
          const after = applyPlan(
            observed,
            planDown({ project: PROJECT }, observed, { volumes: true, removeOrphans: true }),
          );
          expect(after.containers.filter((c) => c.labels[Label.project] === PROJECT)).toEqual([]);
          expect(after.containers.length).toBe(
            observed.containers.filter((c) => c.labels[Label.project] !== PROJECT).length,
          );
          void model;
        }),
        { numRuns: RUNS },
      );
    },
  );
});
