// The swarm executor against recorded engine calls: ordering by `after`, the concurrency
// bound, secret IDs filled in, and a failure that skips its dependents (independent actions finish).
import { describe, expect, it } from 'vitest';
import { EngineCallError } from '../../../src/engine/errors.js';
import { executeSwarmPlan } from '../../../src/targets/swarm/execute.js';
import type { SwarmExecutorCalls } from '../../../src/targets/swarm/execute.js';
import type { SwarmAction, SwarmPlan, UnnumberedAction } from '../../../src/targets/swarm/plan.js';

const plan = (actions: UnnumberedAction[]): SwarmPlan => ({
  project: 'demo',
  actions: actions.map((a, i) => ({ ...a, id: i + 1 }) as SwarmAction),
  notes: [],
  objectIds: {},
});
const missing = { code: 'missing', detail: 'not on the swarm' };

function recorder(options: { failCreate?: string; delayMs?: number; secretExists?: string } = {}) {
  const calls: string[] = [];
  let running = 0;
  let peak = 0;
  const track = async (name: string) => {
    running++;
    peak = Math.max(peak, running);
    calls.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, options.delayMs ?? 5));
    running--;
    calls.push(`end ${name}`);
  };
  const specs: Record<string, unknown>[] = [];
  const client: SwarmExecutorCalls = {
    createNetwork: async (name) => {
      await track(name);
      return `id-${name}`;
    },
    removeNetwork: async (id) => {
      await track(id);
    },
    listNetworks: async () => [],
    createSecret: async (name) => {
      if (name === options.secretExists)
        throw new EngineCallError(409, `secret ${name}`, 'rpc error: code = AlreadyExists');
      await track(name);
      return `id-${name}`;
    },
    removeSecret: async (id) => {
      await track(id);
    },
    listSecrets: async (filters) =>
      options.secretExists && filters?.['name']?.includes(options.secretExists)
        ? [{ ID: 'existing-id', Version: { Index: 1 }, Spec: { Name: options.secretExists } }]
        : [],
    createConfig: async (name) => {
      await track(name);
      return `id-${name}`;
    },
    removeConfig: async (id) => {
      await track(id);
    },
    listConfigs: async () => [],
    createService: async (spec) => {
      if (spec['Name'] === options.failCreate)
        throw new EngineCallError(400, `service ${String(spec['Name'])}`, 'invalid spec');
      specs.push(spec);
      await track(String(spec['Name']));
      return `id-${String(spec['Name'])}`;
    },
    updateService: async (_id, _version, spec) => {
      await track(String(spec['Name']));
    },
    inspectService: async () => undefined,
    removeService: async (id) => {
      await track(id);
    },
  };
  return { client, calls, specs, peak: () => peak };
}

const service = (name: string, after: string[], secret?: string): UnnumberedAction => ({
  kind: 'create-service',
  resource: `service:${name}`,
  reason: missing,
  after,
  name,
  key: name,
  spec: {
    Name: name,
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'x', ...(secret ? { Secrets: [{ File: { Name: 't' }, SecretName: secret }] } : {}) },
    },
  },
});

const secret = (name: string): UnnumberedAction => ({
  kind: 'create-secret',
  resource: `secret:${name}`,
  reason: missing,
  after: [],
  name,
  key: 's',
  data: 'eA==',
  labels: {},
});

describe('executeSwarmPlan', () => {
  it('starts an action only after those it waits for, and fills in the IDs of secrets it created', async () => {
    const { client, calls, specs } = recorder();
    const actions = [secret('s1'), service('db', ['secret:s1'], 's1'), service('web', ['secret:s1', 'service:db'])];
    const { writes, failures } = await executeSwarmPlan(client, plan(actions));
    expect(failures).toEqual([]);
    expect(writes).toBe(3);
    expect(calls).toEqual(['start s1', 'end s1', 'start db', 'end db', 'start web', 'end web']);
    expect(specs[0]).toMatchObject({
      TaskTemplate: { ContainerSpec: { Secrets: [{ SecretName: 's1', SecretID: 'id-s1' }] } },
    });
  });

  it('runs independent actions at most `parallel` at a time', async () => {
    const { client, peak } = recorder({ delayMs: 20 });
    await executeSwarmPlan(client, plan(['a', 'b', 'c', 'd', 'e'].map((n) => service(n, []))), { parallel: 2 });
    expect(peak()).toBe(2);
  });

  it('a secret that exists already under its content-hash name (a concurrent run) is used, not an error', async () => {
    const { client, specs } = recorder({ secretExists: 's1' });
    await executeSwarmPlan(client, plan([secret('s1'), service('db', ['secret:s1'], 's1')]));
    expect(specs[0]).toMatchObject({
      TaskTemplate: { ContainerSpec: { Secrets: [{ SecretName: 's1', SecretID: 'existing-id' }] } },
    });
  });

  it('a failed action is reported with its cause, its dependents are skipped, an independent action still runs', async () => {
    const { client, calls } = recorder({ failCreate: 'db' });
    const summary = await executeSwarmPlan(
      client,
      plan([service('db', []), service('web', ['service:db']), service('cache', [])]),
    );
    expect(summary.failures.map((f) => [f.action.name, f.error.message])).toEqual([['db', 'service db: invalid spec']]);
    expect(summary.skipped.map((a) => a.name)).toEqual(['web']);
    expect(calls).toEqual(['start cache', 'end cache']);
    expect(summary.writes).toBe(1);
  });
});
