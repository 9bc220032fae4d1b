import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DependsOnSpec, MountSpec, ServiceSpec } from '../../src/model.js';
import { renderViz } from '../../src/planner/viz.js';
import { model, service, volume } from './helpers.js';

const dep = (condition: DependsOnSpec['condition'], required = true): DependsOnSpec => ({
  condition,
  required,
  restart: false,
});
const named = (source: string, target: string, readOnly = false): MountSpec => ({
  type: 'volume',
  source,
  target,
  readOnly,
});

/** A service built from source (no `image:`). */
function withoutImage(spec: ServiceSpec): ServiceSpec {
  const { image: _image, ...rest } = spec;
  return rest;
}

const shop = model(
  'shop',
  [
    service('web', {
      dependsOn: { api: dep('service_healthy'), cache: dep('service_started', false) },
      ports: [{ target: 80, published: '8080', hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }],
    }),
    service('api', {
      dependsOn: { migrate: dep('service_completed_successfully') },
      volumes: [named('data', '/data', true)],
      networks: { back: { aliases: [], linkLocalIps: [] }, default: { aliases: [], linkLocalIps: [] } },
    }),
    withoutImage(
      service('migrate', {
        volumes: [named('data', '/data'), { type: 'volume', target: '/tmp/anon', readOnly: false }],
      }),
    ),
    service('cache'),
    service('probe', { networkMode: 'service:web' }),
  ],
  { volumes: [volume('shop', 'data')] },
);

describe('stack viz', () => {
  it('draws each service once and an arrow from a service to each dependency, labelled with its condition, as DOT', () => {
    expect(renderViz(shop, { format: 'dot' })).toBe(
      [
        'digraph "shop" {',
        '  rankdir=LR;',
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  "service:api" [label="api", shape=box, style=rounded];',
        '  "service:cache" [label="cache", shape=box, style=rounded];',
        '  "service:migrate" [label="migrate", shape=box, style=rounded];',
        '  "service:probe" [label="probe", shape=box, style=rounded];',
        '  "service:web" [label="web", shape=box, style=rounded];',
        '  "service:api" -> "service:migrate" [label="completed"];',
        '  "service:probe" -> "service:web" [label="network_mode"];',
        '  "service:web" -> "service:api" [label="healthy"];',
        '  "service:web" -> "service:cache" [label="started", style=dashed];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('draws the same graph as a Mermaid flowchart, an optional dependency dotted', () => {
    expect(renderViz(shop, { format: 'mermaid' })).toBe(
      [
        'flowchart LR',
        '  s0("api")',
        '  s1("cache")',
        '  s2("migrate")',
        '  s3("probe")',
        '  s4("web")',
        '  s0 -->|"completed"| s2',
        '  s3 -->|"network_mode"| s4',
        '  s4 -->|"healthy"| s0',
        '  s4 -.->|"started"| s1',
        '',
      ].join('\n'),
    );
  });

  it('with --networks, --volumes, --ports and --images adds network and named-volume nodes and fills the service boxes', () => {
    const text = renderViz(shop, { format: 'mermaid', networks: true, volumes: true, ports: true, images: true });
    expect(text).toContain('  s4("web<br/>web:latest<br/>127.0.0.1:8080:80/tcp")');
    expect(text).toContain('  s2("migrate<br/>shop-migrate (build)")');
    expect(text).toContain('  n0{{"back"}}\n  n1{{"default"}}\n  v0[("data")]');
    expect(text).toContain('  s0 --- n0\n  s0 --- n1');
    expect(text).toContain('  s0 ---|"/data:ro"| v0\n  s2 ---|"/data"| v0');
    // probe shares web's network namespace: it joins no network itself; anonymous volumes are not drawn
    expect(text).not.toMatch(/s3 --- n/);
    expect(text).not.toContain('/tmp/anon');
    const dot = renderViz(shop, { format: 'dot', networks: true, volumes: true });
    expect(dot).toContain('  "volume:data" [label="data", shape=cylinder];');
    expect(dot).toContain('  "service:api" -> "volume:data" [label="/data:ro", dir=none, color=gray50];');
    expect(dot).toContain('  "network:back" [label="back", shape=ellipse, style=dashed];');
  });

  it('escapes quotes and backslashes in names and labels, so the text always parses', () => {
    const odd = model('p', [service('web', { image: 'reg/x:"1"\\' })]);
    expect(renderViz(odd, { format: 'dot', images: true })).toContain('[label="web\\nreg/x:\\"1\\"\\\\", shape=box');
    expect(renderViz(odd, { format: 'mermaid', images: true })).toContain('s0("web<br/>reg/x:#quot;1#quot;\\")');
  });

  it('honours profiles: a service outside the enabled profiles is not drawn (the built CLI)', () => {
    const root = join(import.meta.dirname, '../..');
    const viz = (...args: string[]): string => {
      const result = spawnSync(
        process.execPath,
        [
          join(root, 'bin/stack.cjs'),
          '-f',
          join(root, 'fixtures/profiles/stack.yaml'),
          ...args,
          'viz',
          '--format',
          'mermaid',
        ],
        { encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return result.stdout;
    };
    expect(viz()).toBe('flowchart LR\n  s0("web")\n');
    expect(viz('--profile', 'debug')).toBe('flowchart LR\n  s0("debug")\n  s1("web")\n');
  });
});
