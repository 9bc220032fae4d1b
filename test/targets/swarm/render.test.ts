// What the CLI prints for the swarm target: `config` and `ps`.
import { describe, expect, it } from 'vitest';
import { configSwarm, renderSwarmPs } from '../../../src/targets/swarm/commands.js';
import { renderSwarmProgress } from '../../../src/targets/swarm/wait.js';

describe('configSwarm', () => {
  it('prints the specs as they would be sent, and secret names without their data', () => {
    const text = configSwarm({
      project: 'demo',
      services: [
        {
          key: 'web',
          name: 'demo_web',
          spec: { Name: 'demo_web', Labels: { a: 'b' } },
          hash: 'v1:x',
          fieldHashes: {},
          mode: 'Replicated',
          dependsOn: [],
          hasHealthcheck: false,
          job: false,
        },
      ],
      networks: [
        {
          key: 'default',
          name: 'demo_default',
          external: false,
          body: { Driver: 'overlay' },
          hash: 'v1:n',
          fieldHashes: {},
        },
        { key: 'ext', name: 'shared', external: true, body: {}, hash: 'v1:e', fieldHashes: {} },
      ],
      secrets: [
        { kind: 'secret', key: 'token', name: 'demo_token_0123456789', external: false, data: 'c2VjcmV0', labels: {} },
      ],
      configs: [],
    });
    expect(JSON.parse(text)).toEqual({
      services: { demo_web: { Name: 'demo_web', Labels: { a: 'b' } } },
      networks: { demo_default: { Driver: 'overlay' }, shared: { external: true } },
      secrets: ['demo_token_0123456789'],
      configs: [],
    });
    expect(text).not.toContain('c2VjcmV0');
  });
});

describe('renderSwarmPs', () => {
  it('prints one aligned row per task', () => {
    const text = renderSwarmPs([
      {
        id: 'a1',
        image: 'busybox',
        service: 'demo_web',
        task: 'demo_web.1',
        node: 'node2',
        desiredState: 'running',
        currentState: 'running',
        error: '',
        ports: '8080->80/tcp',
      },
      {
        id: 'a2',
        image: 'busybox',
        service: 'demo_web',
        task: 'demo_web.2',
        node: 'node3',
        desiredState: 'shutdown',
        currentState: 'rejected',
        error: 'No such image',
        ports: '',
      },
    ]);
    expect(text).toBe(
      [
        'TASK        NODE   DESIRED   CURRENT   ERROR          PORTS',
        'demo_web.1  node2  running   running                  8080->80/tcp',
        'demo_web.2  node3  shutdown  rejected  No such image',
        '',
      ].join('\n'),
    );
  });
});

describe('renderSwarmProgress', () => {
  it('shows replicas running of desired per service, and an update state other than completed', () => {
    expect(
      renderSwarmProgress([
        { name: 'demo_web', running: 2, desired: 3, updateState: 'updating' },
        { name: 'demo_api', running: 1, desired: 1, updateState: 'completed' },
      ]),
    ).toBe('demo_web 2/3 (updating), demo_api 1/1');
  });
});
