import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import {
  describeMissingDonors,
  describeMissingExternals,
  missingDonors,
  missingExternals,
} from '../../src/planner/externals.js';
import { desiredOneOff, oneOffService, oneOffWaits } from '../../src/planner/one-off.js';
import type { OneOffOptions } from '../../src/planner/one-off.js';
import { container, emptyObserved, model, network, service, volume } from './helpers.js';

const SLUG = 'abcdef0123456789'.repeat(4);
const base: OneOffOptions = { service: 'app', tty: false, interactive: true, slug: SLUG };

const demo = model('demo', [
  service('db'),
  service('app', {
    command: ['serve'],
    restart: 'always',
    containerName: 'fixed',
    ports: [{ target: 80, protocol: 'tcp', published: '8080', mode: 'ingress' } as never],
    capAdd: ['NET_ADMIN'],
    capDrop: ['CHOWN'],
    environment: { A: '1', B: '2' },
    dependsOn: { db: { condition: 'service_healthy', required: true, restart: false } },
  }),
]);

describe('one-off containers (stack run)', () => {
  it('apply the run flags over the service as Compose does: no restart, no ports unless asked, caps moved between lists', () => {
    const spec = oneOffService(demo.services['app']!, {
      ...base,
      capAdd: ['CHOWN'],
      capDrop: ['NET_ADMIN'],
      environment: { B: 'x' },
      user: 'u',
      workingDir: '/w',
    });
    expect(spec.restart).toBeUndefined();
    expect(spec.containerName).toBeUndefined();
    expect(spec.ports).toEqual([]);
    expect(spec.capAdd).toEqual(['CHOWN']);
    expect(spec.capDrop).toEqual(['NET_ADMIN']);
    expect(spec.environment).toEqual({ A: '1', B: 'x' });
    expect(spec.command).toEqual(['serve']);
    expect(oneOffService(demo.services['app']!, { ...base, servicePorts: true }).ports).toHaveLength(1);
    // --entrypoint without a command drops the service's command.
    expect(oneOffService(demo.services['app']!, { ...base, entrypoint: ['sh'] }).command).toEqual([]);
    expect(oneOffService(demo.services['app']!, { ...base, entrypoint: ['sh'], command: ['-c', 'x'] }).command).toEqual(
      ['-c', 'x'],
    );
  });

  it('are named <project>-<service>-run-<slug[0:12]>, labelled one-off with the slug, no replica number, aliased by name only', () => {
    const d = desiredOneOff(demo, undefined, base);
    expect(d.name).toBe('demo-app-run-abcdef012345');
    const labels = d.body['Labels'] as Record<string, string>;
    expect(labels[Label.oneoff]).toBe('True');
    expect(labels[Label.slug]).toBe(SLUG);
    expect(labels[Label.containerNumber]).toBeUndefined();
    const endpoints = (d.body['NetworkingConfig'] as { EndpointsConfig: Record<string, { Aliases: string[] }> })
      .EndpointsConfig;
    expect(Object.values(endpoints)[0]!.Aliases).toEqual(['demo-app-run-abcdef012345']);
    expect(d.body['OpenStdin']).toBe(true);
    expect(d.body['StdinOnce']).toBe(true);
    const aliased = desiredOneOff(demo, undefined, { ...base, useAliases: true, autoRemove: true, name: 'mine' });
    expect(aliased.name).toBe('mine');
    expect(
      Object.values(
        (aliased.body['NetworkingConfig'] as { EndpointsConfig: Record<string, { Aliases: string[] }> })
          .EndpointsConfig,
      )[0]!.Aliases,
    ).toEqual(['mine', 'app']);
    expect((aliased.body['HostConfig'] as Record<string, unknown>)['AutoRemove']).toBe(true);
  });

  it('wait for the depends_on conditions of their service', () => {
    expect(oneOffWaits(demo, 'app')).toEqual([
      { service: 'db', container: 'demo-db-1', condition: 'service_healthy', required: true },
    ]);
    expect(oneOffWaits(demo, 'db')).toEqual([]);
  });
});

describe('run prerequisites', () => {
  it('names each selected service that uses a missing external network or volume', () => {
    const m = model(
      'demo',
      [
        service('web', {
          networks: { shared: { aliases: [], linkLocalIps: [] } },
          volumes: [{ type: 'volume', source: 'cache', target: '/c', readOnly: false }],
        }),
        service('plain'),
      ],
      {
        networks: [network('demo', 'shared', { name: 'shared', external: true })],
        volumes: [volume('demo', 'cache', { name: 'cache', external: true })],
      },
    );
    const missing = missingExternals(m, emptyObserved('demo'), ['web', 'plain']);
    expect(missing).toEqual([
      { service: 'web', kind: 'network', name: 'shared' },
      { service: 'web', kind: 'volume', name: 'cache' },
    ]);
    expect(describeMissingExternals(missing)).toContain('service "web" uses external network "shared"');
    expect(missingExternals(m, emptyObserved('demo'), ['plain'])).toEqual([]);
  });

  it('names a donor left out of the run that has no container', () => {
    const m = model('demo', [service('db'), service('side', { networkMode: 'service:db', networks: {} })]);
    const missing = missingDonors(m, emptyObserved('demo'), new Set(['side']));
    expect(missing).toEqual([{ service: 'side', donor: 'db', container: 'demo-db-1' }]);
    expect(describeMissingDonors(missing)).toContain('demo-db-1');
    expect(missingDonors(m, emptyObserved('demo'), new Set(['side', 'db']))).toEqual([]);
    expect(
      missingDonors(m, { ...emptyObserved('demo'), containers: [container('demo', 'db', 1)] }, new Set(['side'])),
    ).toEqual([]);
  });
});
