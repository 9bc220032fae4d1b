/**
 * Our resolved config agrees with docker-compose 1.29's `config` on every valid fixture, on
 * the fields both understand. docker-compose is the reference implementation users know;
 * where the two differ on purpose the field is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadStack } from '../../src/loader/load.js';
import { toComposeConfig } from '../../src/loader/serialize.js';

const COMPOSE = '/usr/bin/docker-compose';
const root = resolve(import.meta.dirname, '../../fixtures');
const available = existsSync(COMPOSE);
const required = Boolean(process.env['CI'] || process.env['STACK_E2E_REQUIRED']);

/** Fixtures whose point is a feature docker-compose 1.29 lacks (see each file's comment). */
const NEWER_THAN_1_29 = new Set(['normalize-newer']);
/** Fixtures without top-level `name:`, compared as they are; see NAMED for the others. */
const fixtures = readdirSync(root)
  .filter((d) => d.startsWith('normalize-') || d === 'full')
  .filter((d) => existsSync(join(root, d, 'stack.yaml')) && !NEWER_THAN_1_29.has(d))
  .sort();

type Json = Record<string, unknown>;

/**
 * Fixtures that set top-level `name:`, which 1.29 rejects: each is copied to a temp dir with
 * that line removed and both tools get `-p <dir>`. Both read the same copy (so paths agree);
 * `forCompose` then rewrites it for 1.29 where the fixture uses something 1.29 cannot read,
 * and `expected` adjusts 1.29's output where the difference is on purpose.
 */
interface NamedCase {
  readonly title: string;
  readonly dir: string;
  readonly files: readonly string[];
  readonly profiles?: readonly string[];
  readonly forCompose?: (text: string) => string;
  readonly expected?: (reference: Record<string, Json>) => void;
}

const NAMED: readonly NamedCase[] = [
  {
    title: 'merge (stack.yaml + stack.override.yaml)',
    dir: 'merge',
    files: ['stack.yaml', 'stack.override.yaml'],
    // !reset and !override are Compose v2 tags 1.29 cannot parse. Without its tag,
    // `command: !override [...]` still replaces (command always does), so it is compared;
    // `ports: !reset []` empties sidecar's ports in stack, while 1.29 keeps the base port.
    forCompose: (text) => text.replace(/ !(reset|override)\b/g, ''),
    expected: (reference) => {
      reference['sidecar']!['ports'] = [];
    },
  },
  { title: 'extends (same file, another file, chained)', dir: 'extends', files: ['stack.yaml'] },
  {
    title: 'interpolation (.env, defaults, $$)',
    dir: 'interpolation',
    files: ['stack.yaml'],
    // 1.29 rejects `${V:+alt}` and nested defaults (`${A:-${B:-c}}`), newer Compose syntax:
    // those lines are dropped for 1.29 and the variables left out (interpolate.test.ts covers them).
    forCompose: (text) =>
      text
        .split('\n')
        .filter((line) => !/:\+|:-\$\{/.test(line))
        .join('\n'),
    expected: (reference) => {
      const env = reference['app']!['environment'] as Record<string, string | null>;
      env['LEVEL'] = 'info';
      env['DEBUG_FLAG'] = '';
    },
  },
  {
    title: 'profiles (every profile active)',
    dir: 'profiles',
    files: ['stack.yaml'],
    // 1.29's `config` prints every service whatever --profile says; stack (like Compose v2)
    // leaves disabled ones out. With every profile active the two must agree; which services
    // a profile enables is tested in load.test.ts.
    profiles: ['debug', 'tools'],
  },
];

const scratch = mkdtempSync(join(tmpdir(), 'stack-compat-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/home/stack-test' };

function shellWords(text: string): string[] {
  // Python's shlex is an independent POSIX word splitter (docker-compose runs on Python).
  const out = execFileSync(
    'python3',
    ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', text],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

function words(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.map(String) : shellWords(String(value));
}

function portKeys(value: unknown): string[] {
  return ((value as unknown[] | undefined) ?? [])
    .map((p) => {
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
    })
    .sort();
}

function volumeKeys(value: unknown): string[] {
  return ((value as unknown[] | undefined) ?? [])
    .map((v) => {
      if (typeof v === 'object' && v !== null) {
        const o = v as Json;
        return `${String(o['type'])}|${String(o['source'] ?? '')}|${String(o['target'])}|${o['read_only'] === true}`;
      }
      const parts = String(v).split(':');
      if (parts.length === 1) return `volume||${parts[0]}|false`;
      const [source, target, mode = 'rw'] = parts as [string, string, string | undefined];
      return `${source.startsWith('/') ? 'bind' : 'volume'}|${source}|${target}|${mode.split(',').includes('ro')}`;
    })
    .sort();
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
    depends_on: Object.fromEntries(
      Object.entries((service['depends_on'] as Json | undefined) ?? {}).map(([k, v]) => [k, (v as Json)['condition']]),
    ),
    command: words(service['command']),
    entrypoint: words(service['entrypoint']),
    // 1.29 turns an unset build arg into ""; stack keeps it unset (null), as Compose v2 does.
    build: service['build'] === undefined ? undefined : { context: (service['build'] as Json)['context'] },
  };
}

function services(config: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, s] of Object.entries((config['services'] as Json | undefined) ?? {}))
    out[name] = comparable(s as Json);
  return out;
}

/**
 * Each case shells out to docker-compose 1.29 (a Python program: ~1 s to start on an idle
 * machine, several on a loaded 2-core one); vitest's 5 s default failed under load.
 */
const COMPOSE_TIMEOUT_MS = 60_000;

describe.skipIf(!available && !required)('compatibility with docker-compose 1.29 config', () => {
  it('docker-compose is installed when CI or STACK_E2E_REQUIRED asks for it', () => {
    expect(existsSync(COMPOSE)).toBe(true);
  });

  it.each(fixtures)(
    '%s resolves to the same services, images, env, ports, volumes, networks, depends_on and commands',
    async (dir) => {
      const file = join(root, dir, 'stack.yaml');
      const reference = parse(
        execFileSync(COMPOSE, ['-f', file, '-p', dir, 'config'], {
          env,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as Json;
      const model = await loadStack({ cwd: join(root, dir), env, files: [file], projectName: dir });
      const ours = toComposeConfig(model);
      expect(services(ours)).toEqual(services(reference));
      // Top-level resources: the same keys (stack adds the implicit default network).
      for (const kind of ['volumes', 'secrets', 'configs']) {
        expect(Object.keys((ours[kind] as Json | undefined) ?? {}).sort(), kind).toEqual(
          Object.keys((reference[kind] as Json | undefined) ?? {}).sort(),
        );
      }
      const ourNetworks = Object.keys((ours['networks'] as Json | undefined) ?? {}).filter((n) => n !== 'default');
      expect(ourNetworks.sort()).toEqual(Object.keys((reference['networks'] as Json | undefined) ?? {}).sort());
    },
    COMPOSE_TIMEOUT_MS,
  );

  it.each(NAMED.map((c) => [c.title, c] as const))(
    '%s, on a copy without top-level name:, agrees with 1.29 on the same fields',
    async (_, c) => {
      const dir = join(scratch, c.dir);
      cpSync(join(root, c.dir), dir, { recursive: true });
      const files = c.files.map((f) => join(dir, f));
      for (const file of files) writeFileSync(file, readFileSync(file, 'utf8').replace(/^name:.*\n/m, ''));
      const model = await loadStack({
        cwd: dir,
        env,
        files,
        projectName: c.dir,
        ...(c.profiles ? { profiles: c.profiles } : {}),
      });
      const ours = toComposeConfig(model);
      if (c.forCompose) for (const file of files) writeFileSync(file, c.forCompose(readFileSync(file, 'utf8')));
      const args = [
        ...files.flatMap((f) => ['-f', f]),
        '-p',
        c.dir,
        ...(c.profiles ?? []).flatMap((p) => ['--profile', p]),
        'config',
      ];
      const reference = parse(
        execFileSync(COMPOSE, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
      ) as Json;
      const expected = services(reference);
      c.expected?.(expected);
      expect(services(ours)).toEqual(expected);
    },
    COMPOSE_TIMEOUT_MS,
  );
});
