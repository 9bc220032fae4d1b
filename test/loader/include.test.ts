import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import type { Diagnostic } from '../../src/errors.js';
import { loadStack } from '../../src/loader/load.js';
import { toComposeConfig } from '../../src/loader/serialize.js';

const tmp = mkdtempSync(join(tmpdir(), 'stack-include-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

async function failure(dir: string, env: Record<string, string> = {}): Promise<Diagnostic[]> {
  const error = await loadStack({ cwd: dir, env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StackError);
  return [...(error as StackError).diagnostics].filter((d) => d.severity === 'error');
}

describe('include', () => {
  it('loads an included file as its own sub-project: own .env, paths relative to its own directory', async () => {
    const dir = write(join(tmp, 'short'), {
      'stack.yaml': 'include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: stack-test/busybox:latest\n',
      '.env': 'TAG=parent\n',
      'sub/compose.yaml':
        'services:\n  db:\n    image: "stack-test/busybox:${DB_TAG}"\n    env_file: db.env\n    environment: [DB_TAG]\n    volumes: ["./data:/data"]\n',
      'sub/.env': 'DB_TAG=sub\nTAG=ignored\n',
      'sub/db.env': 'X=1\n',
    });
    const model = await loadStack({ cwd: dir, env: {} });
    expect(Object.keys(model.services).sort()).toEqual(['db', 'web']);
    const db = model.services['db']!;
    expect(db.image).toBe('stack-test/busybox:sub');
    expect(db.environment).toMatchObject({ X: '1', DB_TAG: 'sub' });
    expect(JSON.stringify(db.volumes)).toContain(JSON.stringify(join(dir, 'sub', 'data')));
    // The watch mode and the model cache reload when an included file changes.
    expect(model.sourceFiles).toEqual(
      expect.arrayContaining([join(dir, 'sub/compose.yaml'), join(dir, 'sub/.env'), join(dir, 'sub/db.env')]),
    );
  });

  it('the load tracer (model cache) is told about every included file and env file it reads', async () => {
    const dir = write(join(tmp, 'traced'), {
      'stack.yaml': 'include: [sub/compose.yaml]\nservices: {}\n',
      'sub/compose.yaml': 'services:\n  db: {image: "x:${T}"}\n',
      'sub/.env': 'T=1\n',
    });
    const read: string[] = [];
    const trace = {
      probed: () => undefined,
      read: (path: string) => void read.push(path),
      watchEnv: <T extends Record<string, string>>(env: T): T => env,
    };
    await loadStack({ cwd: dir, env: {}, trace });
    expect(read).toEqual(
      expect.arrayContaining([join(dir, 'stack.yaml'), join(dir, 'sub/compose.yaml'), join(dir, 'sub/.env')]),
    );
  });

  it('the long form takes several files merged, a project_directory and env_file; the including project wins over its env file', async () => {
    const dir = write(join(tmp, 'long'), {
      'stack.yaml':
        'include:\n  - path: [lib/a.yaml, lib/a.override.yaml]\n    project_directory: lib/proj\n    env_file: lib/vars.env\nservices: {}\n',
      'lib/a.yaml': 'services:\n  api:\n    image: "img:${V}"\n    build: .\n    command: ["${W}"]\n',
      'lib/a.override.yaml': 'services:\n  api:\n    labels: {over: "yes"}\n',
      'lib/vars.env': 'V=fromfile\nW=fromfile\n',
      'lib/proj/.keep': '',
    });
    const model = await loadStack({ cwd: dir, env: { W: 'shell' } });
    const api = model.services['api']!;
    expect(api.image).toBe('img:fromfile');
    expect(api.command).toEqual(['shell']);
    expect(api.labels['over']).toBe('yes');
    expect(api.build?.context).toBe(join(dir, 'lib/proj'));
  });

  it('nested includes resolve against each sub-project', async () => {
    const dir = write(join(tmp, 'nested'), {
      'stack.yaml': 'include: [one/stack.yaml]\nservices:\n  web:\n    image: x\n    depends_on: [leaf]\n',
      'one/stack.yaml': 'include: [two/stack.yaml]\nservices: {}\n',
      'one/two/stack.yaml': 'services:\n  leaf:\n    image: stack-test/busybox:latest\n    environment: {DEEP: "1"}\n',
    });
    const model = await loadStack({ cwd: dir, env: {} });
    expect(model.services['leaf']!.environment).toMatchObject({ DEEP: '1' });
  });

  it('a resource defined by an include and locally, differently, is INCLUDE_CONFLICT at the local definition; an identical one is fine', async () => {
    const dir = write(join(tmp, 'conflict'), {
      'stack.yaml': 'include: [sub.yaml]\nservices:\n  db:\n    image: other\nnetworks:\n  shared: {}\n',
      'sub.yaml': 'services:\n  db:\n    image: stack-test/busybox:latest\nnetworks:\n  shared: {}\n',
    });
    const errors = await failure(dir);
    expect(errors.map((d) => `${d.code} ${d.location?.line}:${d.location?.col} ${d.message}`)).toEqual([
      'INCLUDE_CONFLICT 3:3 services.db is defined here and by the included sub.yaml',
    ]);
  });

  it('reports an include cycle with the chain and the position of the include', async () => {
    const dir = write(join(tmp, 'cycle'), {
      'stack.yaml': 'include: [b.yaml]\nservices: {}\n',
      'b.yaml': 'services: {}\ninclude:\n  - path: stack.yaml\n',
    });
    const errors = await failure(dir);
    expect(errors.map((d) => `${d.code} ${d.location?.file} ${d.location?.line}:${d.location?.col}`)).toEqual([
      `INCLUDE_CYCLE ${join(dir, 'b.yaml')} 3:11`,
    ]);
    expect(errors[0]!.message).toBe('include cycle: stack.yaml -> b.yaml -> stack.yaml');
  });

  it('reports a missing included file at its position', async () => {
    const dir = write(join(tmp, 'missing'), { 'stack.yaml': 'services: {}\ninclude:\n  - nope/compose.yaml\n' });
    const errors = await failure(dir);
    expect(errors.map((d) => `${d.code} ${d.location?.line}:${d.location?.col}`)).toEqual(['INCLUDE_NOT_FOUND 3:5']);
  });

  it('an error inside an included file points into that file', async () => {
    const dir = write(join(tmp, 'bad'), {
      'stack.yaml': 'include: [sub.yaml]\nservices: {}\n',
      'sub.yaml': 'services:\n  a:\n    image: x\n    restart: sometimes\n',
    });
    const errors = await failure(dir);
    expect(errors.map((d) => `${d.location?.file} ${d.location?.line}`)).toEqual([`${join(dir, 'sub.yaml')} 4`]);
  });
});

describe('project name and interpolation', () => {
  it('normalizes a top-level name and offers it to interpolation as COMPOSE_PROJECT_NAME', async () => {
    const dir = write(join(tmp, 'named'), {
      'stack.yaml':
        'name: My.Project\nservices:\n  web:\n    image: stack-test/busybox:latest\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n',
    });
    const model = await loadStack({ cwd: dir, env: {} });
    expect(model.name).toBe('myproject');
    expect(model.services['web']!.containerName).toBe('myproject-web');
  });

  it('COMPOSE_PROJECT_NAME is the -p name, else the directory name', async () => {
    const dir = write(join(tmp, 'Dir.Name'), {
      'stack.yaml':
        'services:\n  web:\n    image: stack-test/busybox:latest\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n',
    });
    expect((await loadStack({ cwd: dir, env: {} })).services['web']!.containerName).toBe('dirname-web');
    expect((await loadStack({ cwd: dir, env: {}, projectName: 'given' })).services['web']!.containerName).toBe(
      'given-web',
    );
  });

  it('a $ that starts no variable is kept in a shell command and dockerfile_inline', async () => {
    const dir = write(join(tmp, 'dollar'), {
      'stack.yaml':
        'services:\n  web:\n    image: x\n    command: sh -c "echo costs 5$ and $ 1"\n    build:\n      dockerfile_inline: "FROM x\\nRUN echo $(date) $"\n',
    });
    const model = await loadStack({ cwd: dir, env: {} });
    expect(model.services['web']!.command).toEqual(['sh', '-c', 'echo costs 5$ and $ 1']);
    expect(model.services['web']!.build?.dockerfileInline).toBe('FROM x\nRUN echo $(date) $');
  });
});

describe('keys of the current Compose specification', () => {
  it('accepts models, provider, no_cache_filter, interface_name, pull_refresh_after with a warning naming each', async () => {
    const dir = write(join(tmp, 'newer'), {
      'stack.yaml': [
        'models:',
        '  llm: {model: ai/smollm2, context_size: 1024}',
        'services:',
        '  web:',
        '    image: x',
        '    models: [llm]',
        '    pull_refresh_after: 24h',
        '    build: {context: ., no_cache_filter: [base]}',
        '    pre_start: [{command: [echo, hi]}]',
        '    networks: {default: {interface_name: eth7, gw_priority: 1}}',
        '    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: all}]}}}',
        '  ai:',
        '    provider: {type: model, options: {model: ai/smollm2, flags: [a, 1]}}',
        '',
      ].join('\n'),
    });
    const model = await loadStack({ cwd: dir, env: {} });
    const warned = model.warnings.map((w) => w.message).join('\n');
    for (const key of [
      '"models"',
      'services.web.models',
      'services.web.pull_refresh_after',
      'services.web.build.no_cache_filter',
      'interface_name',
      'services.ai.provider',
    ])
      expect(warned).toContain(key);
    // pre_start is run by up (src/planner/pre-start.ts), so it is not warned about.
    expect(warned).not.toContain('pre_start');
    expect(model.services['web']!.preStart).toEqual([
      { command: ['echo', 'hi'], privileged: false, environment: {}, perReplica: false },
    ]);
    expect(model.services['web']!.models).toEqual(['llm']);
    // config shows what stack does not run, as written, as Compose does.
    const config = toComposeConfig(model) as { models: unknown; services: Record<string, Record<string, unknown>> };
    expect(config.models).toEqual({ llm: { model: 'ai/smollm2', context_size: 1024 } });
    expect(config.services['web']!['models']).toEqual(['llm']);
    expect(config.services['web']!['pre_start']).toEqual([{ command: ['echo', 'hi'], image: 'x' }]);
    expect(config.services['ai']!['provider']).toEqual({
      type: 'model',
      options: { model: 'ai/smollm2', flags: ['a', 1] },
    });
  });

  it('a device request without capabilities is refused, as Compose does', async () => {
    const dir = write(join(tmp, 'device'), {
      'stack.yaml':
        'services:\n  web:\n    image: x\n    deploy: {resources: {reservations: {devices: [{count: 1}]}}}\n',
    });
    expect((await failure(dir)).map((d) => d.code)).toEqual(['SCHEMA_MISSING_KEY']);
  });
});

describe('dependency cycles and profiles', () => {
  it('a cycle only through services of a profile that is not enabled is no cycle (Compose v2; 1.29 refused it)', async () => {
    const dir = write(join(tmp, 'profile-cycle'), {
      'stack.yaml':
        'services:\n  web:\n    image: x\n  a:\n    image: x\n    profiles: [dev]\n    depends_on: [b]\n  b:\n    image: x\n    profiles: [dev]\n    depends_on: [a]\n',
    });
    expect(Object.keys((await loadStack({ cwd: dir, env: {} })).services)).toEqual(['web']);
    const enabled = await loadStack({ cwd: dir, env: {}, profiles: ['dev'] }).then(
      () => [],
      (e: StackError) => e.diagnostics.map((d) => d.code),
    );
    expect(enabled).toEqual(['DEPENDENCY_CYCLE']);
  });
});

describe('Windows container paths', () => {
  it('are accepted as targets (short and long syntax), as Compose does for Windows engines', async () => {
    const dir = write(join(tmp, 'windows'), {
      'stack.yaml':
        'services:\n  web:\n    image: x\n    volumes:\n      - data:C:\\data:ro\n      - {type: volume, source: data, target: "C:/logs"}\nvolumes:\n  data: {}\n',
    });
    const model = await loadStack({ cwd: dir, env: {} });
    expect(model.services['web']!.volumes.map((m) => `${m.source} ${m.target} ${m.readOnly}`)).toEqual([
      'data C:\\data true',
      'data C:/logs false',
    ]);
  });
});
