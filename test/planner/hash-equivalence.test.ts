/**
 * From the stack file to `dev.stack.config-hash`: the same meaning written in short or long
 * syntax, or with keys in another order, must hash the same (or the first `up` after a
 * harmless rewrite of the file would recreate containers). Loads real files, so it does I/O;
 * the planner itself does none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import type { StackModel } from '../../src/model.js';
import { desiredContainer, rehashContainer } from '../../src/planner/desired.js';
import { loadStack } from '../../src/loader/load.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-hash-eq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHORT = `
services:
  db:
    image: postgres:16
    healthcheck:
      disable: true
  web:
    image: nginx:1.27
    command: npm start --port "8 0"
    ports:
      - "8080:80"
      - "127.0.0.1:9443:443/udp"
    volumes:
      - data:/d:ro
      - /cache
    environment:
      - A=1
      - B=two words
      - C
    healthcheck:
      test: curl -f localhost
      interval: 1m30s
    depends_on:
      - db
volumes:
  data: {}
`;

const LONG = `
volumes:
  data:
services:
  web:
    depends_on:
      db:
        condition: service_started
        required: true
        restart: false
    healthcheck:
      interval: 90s
      test: ["CMD-SHELL", "curl -f localhost"]
    environment:
      C:
      B: two words
      A: "1"
    volumes:
      - type: volume
        target: /d
        source: data
        read_only: true
      - type: volume
        target: /cache
    ports:
      - protocol: udp
        published: 9443
        target: 443
        host_ip: 127.0.0.1
      - target: 80
        published: "8080"
    command: ["npm", "start", "--port", "8 0"]
    image: nginx:1.27
  db:
    healthcheck:
      test: ["NONE"]
    image: postgres:16
`;

async function load(name: string, text: string, projectName = 'demo'): Promise<StackModel> {
  writeFileSync(join(dir, name), text);
  return loadStack({ cwd: dir, env: {}, files: [name], projectName });
}

const hashOf = (m: StackModel, service: string): string =>
  desiredContainer(m, m.services[service]!, 1, 'sha256:abc').hash;

describe('config hash from the stack file', () => {
  it('is the same for short and long syntax and any key order (ports, volumes, environment, command, healthcheck, depends_on)', async () => {
    const short = await load('short.yaml', SHORT);
    const long = await load('long.yaml', LONG);
    for (const service of ['web', 'db']) {
      expect(hashOf(long, service), service).toBe(hashOf(short, service));
      const body = desiredContainer(long, long.services[service]!, 1, 'sha256:abc').body as {
        Labels: Record<string, string>;
      };
      expect(body.Labels[Label.configHash]).toBe(hashOf(short, service));
      expect(body.Labels[Label.composeConfigHash]).toBe(hashOf(short, service));
    }
  });

  it('differs when the meaning differs, so the equality above is not vacuous', async () => {
    const short = await load('short.yaml', SHORT);
    const variants: readonly (readonly [string, string])[] = [
      ['port', SHORT.replace('"8080:80"', '"8081:80"')],
      ['read-only', SHORT.replace('data:/d:ro', 'data:/d')],
      ['env value', SHORT.replace('A=1', 'A=2')],
      ['bare env key set', SHORT.replace('      - C\n', '      - C=\n')],
      ['command quoting', SHORT.replace('"8 0"', '8 0')],
      ['healthcheck form', SHORT.replace('test: curl -f localhost', 'test: ["CMD", "curl", "-f", "localhost"]')],
      ['healthcheck interval', SHORT.replace('1m30s', '1m31s')],
      ['post_start hook', SHORT.replace('  web:\n', '  web:\n    post_start: [{command: [echo, hi]}]\n')],
      ['pre_start hook', SHORT.replace('  web:\n', '  web:\n    pre_start: [{command: [echo, hi]}]\n')],
    ];
    for (const [what, text] of variants) {
      expect(text, what).not.toBe(SHORT);
      expect(hashOf(await load(`variant.yaml`, text), 'web'), what).not.toBe(hashOf(short, 'web'));
    }
  });

  it("leaves out what Compose's service hash leaves out: x- keys, depends_on, build, pull_policy, scale", async () => {
    const short = await load('short.yaml', SHORT);
    const variants: readonly (readonly [string, string])[] = [
      ['x- key', SHORT.replace('  web:\n', '  web:\n    x-owner: ops\n')],
      [
        'depends_on restart',
        SHORT.replace('      - db\n', '      db:\n        condition: service_started\n        restart: true\n'),
      ],
      ['depends_on removed', SHORT.replace('    depends_on:\n      - db\n', '')],
      ['build', SHORT.replace('  web:\n', '  web:\n    build: {context: ., args: {V: "2"}}\n')],
      ['pull_policy', SHORT.replace('  web:\n', '  web:\n    pull_policy: always\n')],
      ['scale', SHORT.replace('  web:\n', '  web:\n    scale: 3\n')],
    ];
    for (const [what, text] of variants) {
      expect(text, what).not.toBe(SHORT);
      expect(hashOf(await load(`variant.yaml`, text), 'web'), what).toBe(hashOf(short, 'web'));
    }
  });

  it('leaves out attach (what attached up prints, never part of the container), so adding it recreates nothing', async () => {
    const short = await load('short.yaml', SHORT);
    for (const value of ['false', 'true']) {
      const model = await load('variant.yaml', SHORT.replace('  web:\n', `  web:\n    attach: ${value}\n`));
      expect(model.services['web']!.attach, value).toBe(value === 'true');
      expect(hashOf(model, 'web'), value).toBe(hashOf(short, 'web'));
    }
    expect(short.services['web']!.attach).toBeUndefined();
  });
});

/**
 * The hashes of containers that exist: a stack release that computed other values would
 * recreate every container of every project on upgrade. Pinned from 0.1.0 (a52a434), before
 * the hash input was written as a prefix and the image key (2026-12-03).
 */
const PINNED = `
name: golden
services:
  db:
    image: postgres:16
    environment: { POSTGRES_PASSWORD: example, B: "two words" }
    healthcheck: { test: ["CMD", "pg_isready"], interval: 5s, retries: 3 }
    volumes: [data:/var/lib/postgresql/data, /cache]
    networks: [back]
    tmpfs: [/run:size=1m]
    ulimits: { nofile: { soft: 1024, hard: 2048 } }
  web:
    image: nginx:1.27
    command: []
    entrypoint: ["/docker-entrypoint.sh"]
    ports: ["8080:80", "127.0.0.1:9443:443/udp"]
    labels: { team: web }
    depends_on: { db: { condition: service_healthy } }
    networks:
      front: { aliases: [www] }
      back: {}
    logging: { driver: json-file, options: { max-size: 1m } }
    cap_add: [NET_ADMIN]
    sysctls: { net.core.somaxconn: 1024 }
    stop_grace_period: 1500ms
    user: "101"
networks:
  front: {}
  back: { internal: true }
volumes:
  data: {}
`;

describe('config hash stability', () => {
  it('gives containers created by earlier releases the hashes they carry (image ID, image reference, former scheme)', async () => {
    const m = await load('pinned.yaml', PINNED, 'golden');
    const id = `sha256:${'ab'.repeat(32)}`;
    const hashes = Object.fromEntries(
      ['db', 'web'].map((name) => {
        const desired = desiredContainer(m, m.services[name]!, 1, id);
        return [
          name,
          [desired.hash, rehashContainer(desired, 'ref:x'), rehashContainer(desired, 'ref:x', 'former')].map((h) =>
            h.slice(3, 19),
          ),
        ];
      }),
    );
    expect(hashes).toEqual({
      db: ['e706e2d9d0818593', 'c5f8e41200e9f2fc', 'c5f8e41200e9f2fc'],
      // depends_on: only the former scheme hashed it.
      web: ['d4c5aa2d0b4589cf', '28399a893c594962', '1886de87b36cbeda'],
    });
  });
});
