/**
 * The reconcile loop (src/pipeline/reconcile.ts) on targets that are data: observed states as
 * literals, a planner that is a lookup, an executor that replays scripted outcomes. Each test
 * names what a user would see go wrong if the loop broke.
 */
import { describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import type { ActionLike, SummaryLike, Target } from '../../src/pipeline/reconcile.js';
import { REOBSERVATIONS, applyRun, planRun } from '../../src/pipeline/reconcile.js';
import { containerTarget } from '../../src/pipeline/apply.js';
import { EngineCallError } from '../../src/engine/errors.js';
import type { Action, Plan } from '../../src/planner/types.js';
import { fakeEngine } from '../support/fake-engine.js';

type Observed = { readonly generation: number; readonly inspected?: boolean };
type P = { readonly actions: readonly ActionLike[]; readonly notes: readonly string[] };
type S = SummaryLike<ActionLike>;

const action = (id: number, resource: string, destructive = false): ActionLike => ({
  id,
  kind: 'create-container',
  resource,
  destructive,
  reason: { code: 'missing', detail: 'not there' },
});
const ok: S = { failures: [], skipped: [], interrupted: false };

/** A target whose engine is a list of snapshots: each observe returns the next one. */
function scripted(
  snapshots: Observed[],
  plans: (o: Observed) => P,
  outcomes: S[],
  extra: Partial<Target<Observed, P, ActionLike, S>> = {},
) {
  const log: string[] = [];
  let observed = 0;
  let executed = 0;
  const target: Target<Observed, P, ActionLike, S> = {
    observe: () => {
      log.push(`observe ${observed}`);
      return Promise.resolve(snapshots[Math.min(observed++, snapshots.length - 1)]!);
    },
    plan: plans,
    execute: (plan) => {
      log.push(`execute ${plan.actions.map((a) => a.resource).join(',')}`);
      return Promise.resolve(outcomes[Math.min(executed++, outcomes.length - 1)]!);
    },
    ...extra,
  };
  return { target, log };
}

const signal = new AbortController().signal;
const byGeneration = (o: Observed): P => ({
  actions: o.generation === 0 ? [action(1, 'service:web:1')] : [],
  notes: [],
});

describe('reconcile loop', () => {
  it('a converged target is observed once, planned, and never executed', async () => {
    const { target, log } = scripted([{ generation: 1 }], byGeneration, [ok]);
    const result = await applyRun(target, { signal });
    expect(result.summary).toBeUndefined();
    expect(log).toEqual(['observe 0']);
  });

  it('a snapshot taken under the lock is planned from without observing again', async () => {
    const { target, log } = scripted([{ generation: 0 }], byGeneration, [ok]);
    await applyRun(target, { signal }, { generation: 1 });
    expect(log).toEqual([]);
  });

  it('a conflict re-observes and re-plans once, never retries the same plan blindly', async () => {
    const conflict: S = {
      failures: [{ action: action(1, 'service:web:1'), error: new Error('name taken') }],
      skipped: [],
      interrupted: false,
    };
    const { target, log } = scripted([{ generation: 0 }, { generation: 0 }], byGeneration, [conflict, ok], {
      shouldObserveAgain: (s) => (s.failures.length > 0 ? 'a container name was taken meanwhile' : undefined),
    });
    const notices: string[] = [];
    await applyRun(target, { signal, onNotice: (m) => notices.push(m) });
    expect(log).toEqual(['observe 0', 'execute service:web:1', 'observe 1', 'execute service:web:1']);
    expect(notices).toEqual(['a container name was taken meanwhile: observing again']);
  });

  it('a conflict that persists through the bounded re-observations is a failure naming the resource, not an endless loop', async () => {
    const conflict: S = {
      failures: [{ action: action(1, 'service:web:1'), error: new Error('name taken') }],
      skipped: [action(2, 'service:app:1')],
      interrupted: false,
    };
    const { target, log } = scripted([{ generation: 0 }], byGeneration, [conflict], {
      shouldObserveAgain: () => 'conflict',
    });
    const error = await applyRun(target, { signal }).catch((e: unknown) => e as StackError);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).code).toBe('APPLY_FAILED');
    expect((error as StackError).message).toContain('service:web:1: create-container failed: name taken');
    expect((error as StackError).message).toContain('skipped (a dependency failed): service:app:1');
    expect(log.filter((l) => l.startsWith('execute'))).toHaveLength(1 + REOBSERVATIONS);
  });

  it('a container someone else stopped while the run went is observed and planned again, then converges', async () => {
    let looks = 0;
    const { target, log } = scripted([{ generation: 0 }, { generation: 0 }, { generation: 1 }], byGeneration, [ok], {
      disturbed: () =>
        Promise.resolve(looks++ === 0 ? 'container db-1 (exit code 137) stopped during this run' : undefined),
    });
    const notices: string[] = [];
    const result = await applyRun(target, { signal, onNotice: (m) => notices.push(m) });
    expect(log).toEqual(['observe 0', 'execute service:web:1', 'observe 1', 'execute service:web:1']);
    expect(notices).toEqual(['container db-1 (exit code 137) stopped during this run: observing again']);
    expect(result.summary).toBe(ok);
  });

  it('a container stopped again and again by someone else is reported after the bounded re-observations', async () => {
    const { target, log } = scripted([{ generation: 0 }], byGeneration, [ok], {
      disturbed: () => Promise.resolve('container db-1 (exit code 0) stopped during this run, not by it'),
    });
    const error = (await applyRun(target, { signal }).catch((e: unknown) => e)) as StackError;
    expect(error.code).toBe('APPLY_FAILED');
    expect(error.message).toContain(
      `container db-1 (exit code 0) stopped during this run, not by it (observed and planned again ${REOBSERVATIONS} times already)`,
    );
    expect(log.filter((l) => l.startsWith('execute'))).toHaveLength(1 + REOBSERVATIONS);
  });

  it('a run with failures is not second-guessed by the look for stops made by others', async () => {
    let asked = 0;
    const { target } = scripted([{ generation: 0 }], byGeneration, [ok], {
      check: () => Promise.resolve(['service:web:1: web-1 exited with code 3 right after it started']),
      disturbed: () => {
        asked++;
        return Promise.resolve('stopped');
      },
    });
    await expect(applyRun(target, { signal })).rejects.toThrow(/exited with code 3/);
    expect(asked).toBe(0);
  });

  it('problems found after the run (a container that died at start) fail it even when every action succeeded', async () => {
    const { target } = scripted([{ generation: 0 }], byGeneration, [ok], {
      check: () => Promise.resolve(['service:web:1: web-1 exited with code 3 right after it started']),
    });
    const error = (await applyRun(target, { signal }).catch((e: unknown) => e)) as StackError;
    expect(error.code).toBe('APPLY_FAILED');
    expect(error.message).toMatch(/^1 failure:\n {2}service:web:1: web-1 exited with code 3/);
  });

  it("a failure's multi-line cause (a dependency's last log lines) stays indented inside its entry", async () => {
    const cause = new StackError(
      'DEPENDENCY_FAILED',
      'service "db" exited with code 3 (container demo-db-1)\nlast log lines of demo-db-1:\n  boom',
    );
    const failed: S = {
      failures: [{ action: action(1, 'service:web:1'), error: cause }],
      skipped: [],
      interrupted: false,
    };
    const { target } = scripted([{ generation: 0 }], byGeneration, [failed]);
    const error = (await applyRun(target, { signal }).catch((e: unknown) => e)) as StackError;
    expect(error.message.split('\n').slice(0, 4)).toEqual([
      '1 failure:',
      '  service:web:1: create-container failed: service "db" exited with code 3 (container demo-db-1)',
      '    last log lines of demo-db-1:',
      '      boom',
    ]);
  });

  it('an interrupted execution is INTERRUPTED, and is not re-observed', async () => {
    const { target, log } = scripted([{ generation: 0 }], byGeneration, [{ ...ok, interrupted: true }], {
      shouldObserveAgain: () => 'x',
    });
    const error = (await applyRun(target, { signal }).catch((e: unknown) => e)) as StackError;
    expect(error.code).toBe('INTERRUPTED');
    expect(log).toEqual(['observe 0', 'execute service:web:1']);
  });

  it('destructive actions need yes or a confirmation; a decline changes nothing', async () => {
    const plans = (): P => ({ actions: [action(1, 'volume:data', true)], notes: [] });
    const none = scripted([{ generation: 0 }], plans, [ok]);
    expect(((await applyRun(none.target, { signal }).catch((e: unknown) => e)) as StackError).code).toBe(
      'CONFIRMATION_REQUIRED',
    );
    const declined = scripted([{ generation: 0 }], plans, [ok]);
    const asked: string[][] = [];
    const error = (await applyRun(declined.target, {
      signal,
      confirm: (d) => (asked.push(d.map((a) => a.resource)), Promise.resolve(false)),
    }).catch((e: unknown) => e)) as StackError;
    expect(error.code).toBe('CONFIRMATION_REQUIRED');
    expect(asked).toEqual([['volume:data']]);
    expect(declined.log.filter((l) => l.startsWith('execute'))).toEqual([]);
    const yes = scripted([{ generation: 0 }], plans, [ok]);
    await applyRun(yes.target, { signal, yes: true });
    expect(yes.log).toContain('execute volume:data');
  });

  it('planRun plans again after a refinement, so reasons come from the refined state', async () => {
    const plans = (o: Observed): P => ({ actions: [action(1, o.inspected ? 'inspected' : 'listed')], notes: [] });
    const { target } = scripted([{ generation: 0 }], plans, [ok], {
      refine: (o) => Promise.resolve({ ...o, inspected: true }),
    });
    expect((await planRun(target, signal)).plan.actions[0]!.resource).toBe('inspected');
  });

  it('a run that writes takes the lease first, then plans again when another run acted meanwhile', async () => {
    // Another run created web while this one waited for the lease: the second look sees it,
    // so this run does not create web a second time.
    const { target, log } = scripted([{ generation: 0 }, { generation: 1 }], byGeneration, [ok], {
      unchanged: (o) => {
        log.push(`unchanged? ${o.generation}`);
        return Promise.resolve(false);
      },
    });
    const result = await applyRun(target, {
      signal,
      beforeWrite: () => {
        log.push('lease');
        return Promise.resolve();
      },
    });
    expect(log).toEqual(['observe 0', 'lease', 'unchanged? 0', 'observe 1']);
    expect(result.summary).toBeUndefined();
  });

  it('under the lease, an engine that still lists the same is not observed and planned a second time', async () => {
    const { target, log } = scripted([{ generation: 0 }], byGeneration, [ok], {
      unchanged: () => Promise.resolve(true),
    });
    await applyRun(target, { signal, beforeWrite: () => Promise.resolve() });
    expect(log).toEqual(['observe 0', 'execute service:web:1']);
  });
});

describe('the container target on the loop', () => {
  const create = {
    id: 1,
    kind: 'create-container',
    resource: 'service:web:1',
    name: 'p-web-1',
    body: {},
    connect: {},
    reason: { code: 'missing', detail: '' },
    dependsOn: [],
    destructive: false,
  } as unknown as Action;
  const plan = (actions: Action[]): Plan => ({ version: 1, project: 'p', actions, notes: [], orphans: [] });
  const empty = { containers: [], networks: [], volumes: [], images: [] } as never;

  it('a 409 on a create (a name taken meanwhile) observes again and converges on the next plan', async () => {
    const engine = fakeEngine();
    engine.failOn('createContainer', 'p-web-1', 409, 'Conflict. The container name "/p-web-1" is already in use');
    let plans = 0;
    const base = containerTarget(engine, { project: 'p' }, () => (plans++ === 0 ? plan([create]) : plan([])));
    const target = { ...base, observe: () => Promise.resolve(empty) };
    const notices: string[] = [];
    const result = await applyRun(target, { signal, onNotice: (m) => notices.push(m) });
    expect(notices).toEqual(['a container name was taken meanwhile: observing again']);
    expect(result.plan.actions).toEqual([]);
    expect(engine.calls.filter((c) => c.method === 'createContainer')).toHaveLength(1);
  });

  it('a write whose reply never came is resolved by observing again, naming the action', async () => {
    const engine = fakeEngine();
    const base = containerTarget(engine, { project: 'p' }, () => plan([create]));
    const ambiguous = new StackError('ENGINE_WRITE_AMBIGUOUS', 'no reply');
    const summary = {
      statuses: new Map([[1, 'failed']]),
      failures: [{ action: create, error: ambiguous }],
      skipped: [],
      interrupted: false,
      containerIds: new Map(),
    } as never;
    expect(base.shouldObserveAgain!(summary)).toBe('the outcome of create-container service:web:1 is unknown');
    const other = {
      ...(summary as object),
      failures: [{ action: create, error: new EngineCallError(500, 'create-container p-web-1', 'boom') }],
    } as never;
    expect(base.shouldObserveAgain!(other)).toBeUndefined();
  });
});
