import { describe, expect, it } from 'vitest';
import type { StackModel } from '../../src/model.js';
import type { Action, Plan } from '../../src/planner/types.js';
import type { EngineContainerInspect } from '../../src/engine/types.js';
import { exitLooksLikeStop, judge } from '../../src/pipeline/wait.js';
import { addWaitConditions, replicaNames } from '../../src/planner/wait-conditions.js';

const ZERO = '0001-01-01T00:00:00Z';
function state(s: Partial<EngineContainerInspect['State']>): EngineContainerInspect {
  return {
    Id: 'x',
    Name: '/x',
    Created: '',
    State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:00Z', FinishedAt: ZERO, ...s },
    Config: {},
    HostConfig: {},
  };
}

describe('judge', () => {
  it('service_healthy waits while starting, holds when healthy, fails when unhealthy, exited or without a healthcheck', () => {
    expect(judge('service_healthy', state({ Health: { Status: 'starting' } }))).toEqual({ done: false });
    expect(judge('service_healthy', state({ Health: { Status: 'healthy' } }))).toEqual({ done: true });
    expect(judge('service_healthy', state({ Health: { Status: 'unhealthy' } }))).toEqual({ failed: 'is unhealthy' });
    // The probe's last output says why (a user otherwise runs docker inspect to find it).
    const log = [
      { ExitCode: 0, Output: 'ok' },
      { ExitCode: 1, Output: "wget: can't connect to remote host\nConnection refused\n" },
    ];
    expect(judge('service_healthy', state({ Health: { Status: 'unhealthy', Log: log } }))).toEqual({
      failed: 'is unhealthy',
      detail: "last health check (exit 1): wget: can't connect to remote host | Connection refused",
    });
    expect(judge('service_healthy', state({ Status: 'exited', Running: false, ExitCode: 2 }))).toMatchObject({
      exitCode: 2,
    });
    expect(judge('service_healthy', state({}))).toMatchObject({ failed: expect.stringContaining('no healthcheck') });
  });

  it('service_completed_successfully holds on exit 0 and fails with the exit code otherwise', () => {
    expect(judge('service_completed_successfully', state({}))).toEqual({ done: false });
    expect(judge('service_completed_successfully', state({ Status: 'exited', Running: false, ExitCode: 0 }))).toEqual({
      done: true,
    });
    expect(judge('service_completed_successfully', state({ Status: 'exited', Running: false, ExitCode: 3 }))).toEqual({
      failed: 'exited with code 3',
      exitCode: 3,
    });
  });

  it('service_started holds once the container has started, even if it already exited', () => {
    expect(judge('service_started', state({ Status: 'created', Running: false, StartedAt: ZERO }))).toEqual({
      done: false,
    });
    expect(judge('service_started', state({ Status: 'exited', Running: false }))).toEqual({ done: true });
  });

  it('--wait: running without a healthcheck is enough; healthy is required with one', () => {
    expect(judge('running_or_healthy', state({}))).toEqual({ done: true });
    expect(judge('running_or_healthy', state({ Health: { Status: 'starting' } }))).toEqual({ done: false });
  });
});

const dep = (condition: 'service_healthy' | 'service_completed_successfully', required = true) => ({
  condition,
  required,
  restart: false,
});
const model = {
  name: 'p',
  services: {
    db: { name: 'db', replicas: 2, dependsOn: {} },
    migrate: { name: 'migrate', replicas: 1, containerName: 'migrator', dependsOn: {} },
    app: {
      name: 'app',
      replicas: 1,
      dependsOn: { db: dep('service_healthy'), migrate: dep('service_completed_successfully', false) },
    },
  },
} as unknown as StackModel;

describe('addWaitConditions', () => {
  const reason = { code: 'missing', detail: '' } as const;
  const actions: Action[] = [
    {
      id: 1,
      kind: 'start-container',
      resource: 'service:db:1',
      name: 'p-db-1',
      reason,
      dependsOn: [],
      destructive: false,
    },
    {
      id: 2,
      kind: 'start-container',
      resource: 'service:db:2',
      name: 'p-db-2',
      reason,
      dependsOn: [],
      destructive: false,
    },
    {
      id: 3,
      kind: 'start-container',
      resource: 'service:migrate:1',
      name: 'migrator',
      reason,
      dependsOn: [],
      destructive: false,
    },
    {
      id: 4,
      kind: 'start-container',
      resource: 'service:app:1',
      name: 'p-app-1',
      reason,
      dependsOn: [],
      destructive: false,
    },
  ];
  const plan: Plan = { version: 1, project: 'p', actions, notes: [], orphans: [] };

  it("a start waits for every replica of each dependency and is ordered after the required ones' actions", () => {
    const out = addWaitConditions(plan, model);
    const app = out.actions.find((a) => a.id === 4);
    expect(app?.kind === 'start-container' ? app.waitFor : undefined).toEqual([
      { service: 'db', container: 'p-db-1', condition: 'service_healthy', required: true },
      { service: 'db', container: 'p-db-2', condition: 'service_healthy', required: true },
      { service: 'migrate', container: 'migrator', condition: 'service_completed_successfully', required: false },
    ]);
    // migrate is not required: its failure must not skip app, so no ordering edge to it
    expect(app?.dependsOn).toEqual([1, 2]);
    expect(out.actions.filter((a) => a.kind === 'start-container' && a.waitFor).map((a) => a.id)).toEqual([4]);
  });

  it('replica names follow container_name or <project>-<service>-<n>', () => {
    expect(replicaNames(model, 'db')).toEqual(['p-db-1', 'p-db-2']);
    expect(replicaNames(model, 'migrate')).toEqual(['migrator']);
  });
});

describe('exitLooksLikeStop', () => {
  const exited = (ExitCode: number, extra: Partial<EngineContainerInspect['State']> = {}, StopSignal?: string) => ({
    ...state({ Status: 'exited', Running: false, ExitCode, ...extra }),
    Config: StopSignal === undefined ? {} : { StopSignal },
  });

  it("is true for what a stop leaves: 0, the grace period's SIGKILL (137), death by the stop signal", () => {
    expect(exitLooksLikeStop(exited(0))).toBe(true);
    expect(exitLooksLikeStop(exited(137))).toBe(true);
    expect(exitLooksLikeStop(exited(143))).toBe(true);
    expect(exitLooksLikeStop(exited(130, {}, 'SIGINT'))).toBe(true);
    expect(exitLooksLikeStop(exited(131, {}, 'QUIT'))).toBe(true);
    expect(exitLooksLikeStop(exited(130, {}, '2'))).toBe(true);
  });

  it("is false for a crash, the OOM killer's 137, and a signal that is not the container's stop signal", () => {
    expect(exitLooksLikeStop(exited(1))).toBe(false);
    expect(exitLooksLikeStop(exited(139))).toBe(false);
    expect(exitLooksLikeStop(exited(137, { OOMKilled: true }))).toBe(false);
    expect(exitLooksLikeStop(exited(143, {}, 'SIGINT'))).toBe(false);
  });
});
