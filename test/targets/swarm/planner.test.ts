// The pure swarm planner over observed state written as literals.
import { describe, expect, it } from 'vitest';
import { renderSwarmPlan } from '../../../src/targets/swarm/plan.js';
import { planSwarmDown, planSwarmUp } from '../../../src/targets/swarm/planner.js';
import type { ObservedService, ObservedSwarm } from '../../../src/targets/swarm/observed.js';
import type { DesiredNetwork, DesiredService, DesiredSwarm } from '../../../src/targets/swarm/spec.js';
import { judgeService } from '../../../src/targets/swarm/wait.js';
import type { SwarmService, SwarmTask } from '../../../src/engine/types.js';

const NS = 'com.docker.stack.namespace';

function service(key: string, groups: Record<string, string>, extra: Partial<DesiredService> = {}): DesiredService {
  const hash = `v1:${Object.values(groups).join('')}`;
  const fieldHashes = groups;
  return {
    key,
    name: `demo_${key}`,
    spec: {
      Name: `demo_${key}`,
      Labels: { [NS]: 'demo', 'dev.stack.config-hash': hash, 'dev.stack.field-hashes': JSON.stringify(groups) },
      TaskTemplate: { ContainerSpec: { Image: 'img@sha256:1' } },
      Mode: { Replicated: { Replicas: 2 } },
    },
    hash,
    fieldHashes,
    mode: 'Replicated',
    image: 'img@sha256:1',
    dependsOn: [],
    replicas: 2,
    hasHealthcheck: false,
    job: false,
    ...extra,
  };
}

const web = service('web', { image: 'a1', environment: 'e1' }, { dependsOn: ['db'] });
const db = service('db', { image: 'b1', environment: 'f1' });

/** A network as convert makes it: field hashes in its labels, written at create. */
function network(key: string, groups: Record<string, string>): DesiredNetwork {
  const hash = `v1:${Object.values(groups).join('')}`;
  const labels = { [NS]: 'demo', 'dev.stack.resource-hash': hash, 'dev.stack.field-hashes': JSON.stringify(groups) };
  return {
    key,
    name: `demo_${key}`,
    external: false,
    body: { Driver: 'overlay', Labels: labels },
    hash,
    fieldHashes: groups,
  };
}
const defaultNet = network('default', { driver: 'd1', driver_opts: 'o1', labels: 'l1' });

const desired: DesiredSwarm = {
  project: 'demo',
  services: [db, web],
  networks: [defaultNet],
  secrets: [
    { kind: 'secret', key: 'token', name: 'demo_token_aaaa', external: false, data: 'eA==', labels: { [NS]: 'demo' } },
  ],
  configs: [],
};

function observedService(
  d: DesiredService,
  version: number,
  labels: Record<string, string> = d.spec.Labels,
): ObservedService {
  return { id: `id-${d.key}`, name: d.name, version, labels, image: 'img@sha256:1', replicas: 2, networks: ['n1'] };
}

const converged: ObservedSwarm = {
  project: 'demo',
  services: [observedService(db, 10), observedService(web, 11)],
  networks: [{ id: 'n1', name: 'demo_default', labels: defaultNet.body['Labels'] as Record<string, string> }],
  secrets: [{ id: 's1', name: 'demo_token_aaaa', labels: { [NS]: 'demo' } }],
  configs: [],
};

describe('planSwarmUp', () => {
  it('a converged stack plans to no actions', () => {
    const plan = planSwarmUp(desired, converged, { removeOrphans: true });
    expect(plan.actions).toEqual([]);
    expect(renderSwarmPlan(plan)).toBe('demo: up to date (no changes)\n');
  });

  it('an empty cluster gets the network and secret first, then db, then web after db', () => {
    const plan = planSwarmUp(
      desired,
      { project: 'demo', services: [], networks: [], secrets: [], configs: [] },
      { removeOrphans: false },
    );
    expect(plan.actions.map((a) => [a.kind, a.name, a.after])).toEqual([
      ['create-network', 'demo_default', []],
      ['create-secret', 'demo_token_aaaa', []],
      ['create-service', 'demo_db', ['network:demo_default', 'secret:demo_token_aaaa']],
      ['create-service', 'demo_web', ['network:demo_default', 'secret:demo_token_aaaa', 'service:db']],
    ]);
  });

  it('one changed service is updated with its observed version, naming the changed field groups; the others have no action', () => {
    const changedWeb = service('web', { image: 'a1', environment: 'e2' }, { dependsOn: ['db'] });
    const plan = planSwarmUp({ ...desired, services: [db, changedWeb] }, converged, { removeOrphans: false });
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({
      kind: 'update-service',
      name: 'demo_web',
      objectId: 'id-web',
      version: 11,
      reasons: ['environment'],
      after: [],
    });
    expect(renderSwarmPlan(plan)).toBe('~ update service demo_web (version 11): environment\ndemo: 1 to update\n');
  });

  it('a rotated secret: the new object is created before the update, the old one removed after it', () => {
    const rotatedWeb = service('web', { image: 'a1', environment: 'e1', secrets: 'z2' }, { dependsOn: ['db'] });
    const plan = planSwarmUp(
      { ...desired, services: [db, rotatedWeb], secrets: [{ ...desired.secrets[0]!, name: 'demo_token_bbbb' }] },
      converged,
      { removeOrphans: false },
    );
    expect(plan.actions.map((a) => [a.kind, a.name, a.after])).toEqual([
      ['create-secret', 'demo_token_bbbb', []],
      ['update-service', 'demo_web', ['secret:demo_token_bbbb']],
      ['remove-secret', 'demo_token_aaaa', ['service:web']],
    ]);
  });

  it('a service made by docker stack deploy (no hash label) is taken over by one update', () => {
    const plan = planSwarmUp(
      desired,
      { ...converged, services: [observedService(db, 10, { [NS]: 'demo' }), observedService(web, 11)] },
      { removeOrphans: false },
    );
    expect(plan.actions.map((a) => [a.kind, a.name, 'reasons' in a ? a.reasons : []])).toEqual([
      ['update-service', 'demo_db', ['not_managed_by_stack']],
    ]);
  });

  it('a service whose mode changed is removed and created again (Swarm cannot update a mode), the plan says why', () => {
    const globalDb = service(
      'db',
      { image: 'b1', environment: 'f1', mode: 'g' },
      { spec: { ...db.spec, Mode: { Global: {} } }, mode: 'Global' },
    );
    const plan = planSwarmUp(
      { ...desired, services: [globalDb, web] },
      { ...converged, services: [{ ...observedService(db, 10), mode: 'Replicated' }, observedService(web, 11)] },
      { removeOrphans: false },
    );
    expect(plan.actions.map((a) => [a.kind, a.name, a.after])).toEqual([
      ['remove-service', 'demo_db', []],
      ['create-service', 'demo_db', ['service-removal:db']],
    ]);
    expect(renderSwarmPlan(plan)).toContain('- remove service demo_db (mode_changed)');
  });

  it('replicas scaled behind our back are put back', () => {
    const plan = planSwarmUp(
      desired,
      { ...converged, services: [{ ...observedService(db, 10), replicas: 5 }, observedService(web, 11)] },
      { removeOrphans: false },
    );
    expect(plan.actions.map((a) => ('reasons' in a ? a.reasons : []))).toEqual([['replicas_drifted']]);
  });

  it('orphans are removed only with removeOrphans, and objects they may use are kept while they stay', () => {
    const orphan = { id: 'id-old', name: 'demo_old', version: 3, labels: { [NS]: 'demo' } };
    const withOrphan = {
      ...converged,
      services: [...converged.services, orphan],
      secrets: [...converged.secrets, { id: 's0', name: 'demo_old_secret', labels: {} }],
    };
    const kept = planSwarmUp(desired, withOrphan, { removeOrphans: false });
    expect(kept.actions).toEqual([]);
    expect(kept.notes).toEqual([
      'orphan services kept: demo_old (not in the stack file; --remove-orphans removes them)',
    ]);
    const plan = planSwarmUp(desired, withOrphan, { removeOrphans: true });
    expect(plan.actions.map((a) => [a.kind, a.name, a.after])).toEqual([
      ['remove-service', 'demo_old', []],
      ['remove-secret', 'demo_old_secret', ['service:demo_old']],
    ]);
  });

  it('a network the manager still lists after its removal is created again, once its copy is gone', () => {
    const plan = planSwarmUp(
      desired,
      { ...converged, networks: [], lingeringNetworks: ['demo_default'] },
      { removeOrphans: false },
    );
    expect(plan.actions).toMatchObject([{ kind: 'create-network', name: 'demo_default', lingering: true }]);
    expect(renderSwarmPlan(plan)).toBe('+ create network demo_default\ndemo: 1 to create\n');
  });

  it('a network whose driver options changed is removed and created again with the services that join it, the plan naming the field', () => {
    const changedNet = network('default', { driver: 'd1', driver_opts: 'o2', labels: 'l1' });
    const plan = planSwarmUp({ ...desired, networks: [changedNet] }, converged, { removeOrphans: false });
    expect(plan.actions.map((a) => [a.kind, a.resource, a.after])).toEqual([
      ['remove-service', 'service-removal:db', []],
      ['remove-service', 'service-removal:web', []],
      ['remove-network', 'network-removal:demo_default', ['service-removal:db', 'service-removal:web']],
      ['create-network', 'network:demo_default', ['network-removal:demo_default']],
      ['create-service', 'service:db', ['network:demo_default', 'service-removal:db']],
      ['create-service', 'service:web', ['network:demo_default', 'service:db', 'service-removal:web']],
    ]);
    expect(renderSwarmPlan(plan)).toBe(
      [
        '- remove service demo_db (network_changed: network demo_default: driver_opts)',
        '- remove service demo_web (network_changed: network demo_default: driver_opts)',
        '- remove network demo_default (network_changed: driver_opts)',
        '+ create network demo_default (network_changed: driver_opts)',
        '+ create service demo_db (network_changed: network demo_default: driver_opts)',
        '+ create service demo_web (network_changed: network demo_default: driver_opts)',
        'demo: 3 to remove, 3 to create',
        '',
      ].join('\n'),
    );
    expect(plan.notes).toEqual([
      'network demo_default: driver_opts changed; Swarm cannot update a network: removed and created again, ' +
        'with the services that join it (demo_db, demo_web)',
    ]);
  });

  it('a changed network that a kept orphan service joins is left as it is, with a note; without hash labels it is never recreated', () => {
    const changedNet = network('default', { driver: 'd1', driver_opts: 'o1', labels: 'l2' });
    const orphan = { id: 'id-old', name: 'demo_old', version: 3, labels: { [NS]: 'demo' }, networks: ['n1'] };
    const kept = planSwarmUp(
      { ...desired, networks: [changedNet] },
      { ...converged, services: [...converged.services, orphan] },
      { removeOrphans: false },
    );
    expect(kept.actions).toEqual([]);
    expect(kept.notes[0]).toBe(
      'network demo_default: configuration changed (labels) but kept: in use by demo_old ' +
        '(not in the stack file; --remove-orphans removes them)',
    );
    const byDockerStack = { ...converged, networks: [{ id: 'n1', name: 'demo_default', labels: { [NS]: 'demo' } }] };
    expect(planSwarmUp({ ...desired, networks: [changedNet] }, byDockerStack, { removeOrphans: true }).actions).toEqual(
      [],
    );
  });

  it('planning is deterministic', () => {
    const empty = { project: 'demo', services: [], networks: [], secrets: [], configs: [] };
    expect(planSwarmUp(desired, empty, { removeOrphans: true })).toEqual(
      planSwarmUp(desired, empty, { removeOrphans: true }),
    );
  });
});

describe('planSwarmDown', () => {
  it('removes services first, then secrets, configs and networks after all of them', () => {
    const plan = planSwarmDown(converged);
    expect(plan.actions.map((a) => [a.kind, a.name, a.after])).toEqual([
      ['remove-service', 'demo_db', []],
      ['remove-service', 'demo_web', []],
      ['remove-secret', 'demo_token_aaaa', ['service:demo_db', 'service:demo_web']],
      ['remove-network', 'demo_default', ['service:demo_db', 'service:demo_web']],
    ]);
  });
});

describe('judgeService (--wait)', () => {
  const since = Date.parse('2026-01-01T00:00:00Z');
  const nodes = new Map([['n2', 'node2']]);
  const template = { ContainerSpec: { Image: 'img@sha256:2' } };
  const svc = (extra: Partial<SwarmService> = {}): SwarmService => ({
    ID: 's',
    Version: { Index: 5 },
    Spec: { Name: 'demo_web', TaskTemplate: template },
    ServiceStatus: { RunningTasks: 2, DesiredTasks: 2 },
    ...extra,
  });
  const runningTask = (slot: number, image: string): SwarmTask => ({
    ID: `t${slot}${image}`,
    ServiceID: 's',
    NodeID: 'n2',
    Slot: slot,
    DesiredState: 'running',
    Spec: { ContainerSpec: { Image: image } },
    Status: { State: 'running' },
  });
  const task = (state: string, err?: string): SwarmTask => ({
    ID: 'task123456789xyz',
    ServiceID: 's',
    NodeID: 'n2',
    Slot: 1,
    DesiredState: 'shutdown',
    CreatedAt: '2026-01-01T00:00:05Z',
    Status: { State: state, ...(err ? { Err: err } : {}) },
  });

  it('all replicas running the current spec and no update in progress is converged', () => {
    const current = [runningTask(1, 'img@sha256:2'), runningTask(2, 'img@sha256:2')];
    expect(judgeService({ name: 'demo_web', replicas: 2 }, svc(), current, since, nodes)).toEqual({
      state: 'converged',
    });
  });
  it('tasks of the previous spec do not count, even while the update status still reads completed', () => {
    const old = [runningTask(1, 'img@sha256:1'), runningTask(2, 'img@sha256:1')];
    expect(
      judgeService({ name: 'demo_web', replicas: 2 }, svc({ UpdateStatus: { State: 'completed' } }), old, since, nodes),
    ).toEqual({ state: 'pending' });
  });
  it('a rejected task of this rollout fails, naming the service, task, node and error', () => {
    const verdict = judgeService(
      { name: 'demo_web', replicas: 2 },
      svc({ ServiceStatus: { RunningTasks: 0, DesiredTasks: 2 } }),
      [task('rejected', 'No such image: nope')],
      since,
      nodes,
    );
    expect(verdict).toEqual({
      state: 'failed',
      message: 'service demo_web: task failed: demo_web.1 (task task12345678) on node2: rejected: No such image: nope',
    });
  });
  it('a rolled-back update is a failure even with every replica running', () => {
    const verdict = judgeService(
      { name: 'demo_web', replicas: 2 },
      svc({ UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } }),
      [task('failed', 'task: non-zero exit (1)')],
      since,
      nodes,
    );
    expect(verdict.state).toBe('failed');
    expect(verdict.state === 'failed' && verdict.message).toContain('update rolled back');
  });
  it('a job converges once every task of this run has completed, not while one still runs', () => {
    const job = { name: 'demo_web', job: true };
    const task = (state: string): SwarmTask => ({
      ID: `t-${state}`,
      ServiceID: 's',
      Slot: 1,
      DesiredState: 'complete',
      CreatedAt: '2026-01-01T00:00:05Z',
      Status: { State: state },
    });
    expect(judgeService(job, svc(), [task('complete'), task('running')], since, nodes)).toEqual({ state: 'pending' });
    expect(judgeService(job, svc(), [task('complete'), task('complete')], since, nodes)).toEqual({
      state: 'converged',
    });
  });
  it('during an update that rolls back on failure, a failed task waits for the rollback verdict', () => {
    const updating = svc({
      UpdateStatus: { State: 'updating' },
      Spec: { Name: 'demo_web', UpdateConfig: { FailureAction: 'rollback' } },
    });
    expect(judgeService({ name: 'demo_web', replicas: 2 }, updating, [task('failed', 'boom')], since, nodes)).toEqual({
      state: 'pending',
    });
  });
});
