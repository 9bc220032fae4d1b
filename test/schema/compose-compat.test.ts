/**
 * Our resolved config agrees with docker-compose 1.29's `config` on every valid fixture, on
 * the fields both understand. docker-compose is the reference implementation users know;
 * where the two differ on purpose the field is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadStack } from '../../src/schema/load.js';
import { toComposeConfig } from '../../src/schema/serialize.js';

const COMPOSE = '/usr/bin/docker-compose';
const root = resolve(import.meta.dirname, '../../fixtures');
const available = existsSync(COMPOSE);
const required = Boolean(process.env['CI'] || process.env['STACK_E2E_REQUIRED']);

/** Fixtures whose point is a feature docker-compose 1.29 lacks (see each file's comment). */
const NEWER_THAN_1_29 = new Set(['normalize-newer']);
/** This suite's fixtures; others (hello, e2e-*) use top-level `name:`, which 1.29 rejects. */
const fixtures = readdirSync(root)
  .filter((d) => d.startsWith('normalize-') || d === 'full')
  .filter((d) => existsSync(join(root, d, 'stack.yaml')) && !NEWER_THAN_1_29.has(d))
  .sort();

type Json = Record<string, unknown>;
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/home/stack-test' };

function shellWords(text: string): string[] {
  // Python's shlex is an independent POSIX word splitter (docker-compose runs on Python).
  const out = execFileSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', text], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

function words(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.map(String) : shellWords(String(value));
}

function portKeys(value: unknown): string[] {
  return ((value as unknown[] | undefined) ?? []).map((p) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as Json;
      return `${String(o['host_ip'] ?? '')}|${String(o['published'] ?? '')}|${String(o['target'])}|${String(o['protocol'] ?? 'tcp')}`;
    }
    // 1.29 prints "ip:published:target/proto" (IPv6 without brackets).
    const [body, proto = 'tcp'] = String(p).split('/') as [string, string | undefined];
    const parts = body.split(':');
    const target = parts.pop()!;
    const published = parts.pop() ?? '';
    return `${parts.join(':')}|${published}|${target}|${proto}`;
  }).sort();
}

function volumeKeys(value: unknown): string[] {
  return ((value as unknown[] | undefined) ?? []).map((v) => {
    if (typeof v === 'object' && v !== null) {
      const o = v as Json;
      return `${String(o['type'])}|${String(o['source'] ?? '')}|${String(o['target'])}|${o['read_only'] === true}`;
    }
    const parts = String(v).split(':');
    if (parts.length === 1) return `volume||${parts[0]}|false`;
    const [source, target, mode = 'rw'] = parts as [string, string, string | undefined];
    return `${source.startsWith('/') ? 'bind' : 'volume'}|${source}|${target}|${mode.split(',').includes('ro')}`;
  }).sort();
}

function stringMap(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries((value as Json | undefined) ?? {})) out[k] = v === null ? null : String(v);
  return out;
}

/** The fields compared, in one shape for both sides. */
function comparable(service: Json): Json {
  const networks = service['networks'] as Json | undefined;
  return {
    image: service['image'],
    environment: stringMap(service['environment']),
    ports: portKeys(service['ports']),
    volumes: volumeKeys(service['volumes']),
    // 1.29 leaves out the implicit default network; stack lists it (Compose v2 does too).
    networks: service['network_mode'] !== undefined ? [] : Object.keys(networks ?? { default: null }).sort(),
    networkAliases: Object.fromEntries(
      Object.entries(networks ?? {})
        .map(([k, v]) => [k, ((v as Json | null)?.['aliases'] as string[] | undefined) ?? []] as const)
        .filter(([, aliases]) => aliases.length > 0),
    ),
    network_mode: service['network_mode'],
    // required/restart are newer than 1.29: only the condition is compared.
    depends_on: Object.fromEntries(Object.entries((service['depends_on'] as Json | undefined) ?? {}).map(([k, v]) => [k, (v as Json)['condition']])),
    command: words(service['command']),
    entrypoint: words(service['entrypoint']),
    // 1.29 turns an unset build arg into ""; stack keeps it unset (null), as Compose v2 does.
    build: service['build'] === undefined ? undefined : { context: (service['build'] as Json)['context'] },
  };
}

function services(config: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, s] of Object.entries((config['services'] as Json | undefined) ?? {})) out[name] = comparable(s as Json);
  return out;
}

describe.skipIf(!available && !required)('compatibility with docker-compose 1.29 config', () => {
  it('docker-compose is installed when CI or STACK_E2E_REQUIRED asks for it', () => {
    expect(existsSync(COMPOSE)).toBe(true);
  });

  it.each(fixtures)('%s resolves to the same services, images, env, ports, volumes, networks, depends_on and commands', async (dir) => {
    const file = join(root, dir, 'stack.yaml');
    const reference = parse(execFileSync(COMPOSE, ['-f', file, '-p', dir, 'config'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Json;
    const model = await loadStack({ cwd: join(root, dir), env, files: [file], projectName: dir });
    const ours = toComposeConfig(model);
    expect(services(ours)).toEqual(services(reference));
    // Top-level resources: the same keys (stack adds the implicit default network).
    for (const kind of ['volumes', 'secrets', 'configs']) {
      expect(Object.keys((ours[kind] as Json | undefined) ?? {}).sort(), kind).toEqual(Object.keys((reference[kind] as Json | undefined) ?? {}).sort());
    }
    const ourNetworks = Object.keys((ours['networks'] as Json | undefined) ?? {}).filter((n) => n !== 'default');
    expect(ourNetworks.sort()).toEqual(Object.keys((reference['networks'] as Json | undefined) ?? {}).sort());
  });
});
