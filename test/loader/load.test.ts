import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import type { StackModel } from '../../src/model.js';
import { loadRaw, loadStack } from '../../src/loader/load.js';
import type { LoadOptions } from '../../src/loader/load.js';
import { passThroughStages } from './support.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'stack-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(options: Partial<LoadOptions> & { cwd: string }): Promise<StackModel> {
  return loadStack({ env: {}, ...options }, passThroughStages);
}

function service(model: StackModel, name: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(model.services[name])) as Record<string, unknown>;
}

async function codes(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StackError);
  return (error as StackError).diagnostics.map(
    (d) => `${d.code} ${d.location ? `${d.location.line}:${d.location.col}` : '-'}`,
  );
}

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe('discovery', () => {
  it('finds the stack file and its override in a parent directory', async () => {
    const model = await load({ cwd: join(fixtures, 'merge', 'sub', 'dir') });
    expect(model.configFiles).toEqual([
      join(fixtures, 'merge', 'stack.yaml'),
      join(fixtures, 'merge', 'stack.override.yaml'),
    ]);
    expect(model.workingDir).toBe(join(fixtures, 'merge'));
  });

  it('prefers stack.yaml over compose.yaml and pairs compose.yaml with compose.override.yaml', async () => {
    const both = write(join(tmp, 'both'), {
      'stack.yaml': 'services: {a: {image: x}}\n',
      'compose.yaml': 'services: {b: {image: x}}\n',
    });
    expect(Object.keys((await load({ cwd: both })).services)).toEqual(['a']);
    const compose = write(join(tmp, 'compose'), {
      'compose.yaml': 'services: {a: {image: x}}\n',
      'compose.override.yaml': 'services: {a: {image: y}}\n',
    });
    expect(service(await load({ cwd: compose }), 'a')['image']).toBe('y');
  });

  it('reports NO_STACK_FILE when there is none', async () => {
    expect(await codes(load({ cwd: '/' }))).toEqual(['NO_STACK_FILE -']);
  });

  it('reports FILE_NOT_FOUND for a missing -f file', async () => {
    expect(await codes(load({ cwd: tmp, files: ['nope.yaml'] }))).toEqual(['FILE_NOT_FOUND -']);
  });

  it('uses --project-directory for the working dir and .env', async () => {
    const dir = write(join(tmp, 'projdir'), {
      'stack.yaml': 'services: {a: {image: "${IMG}"}}\n',
      'p/.env': 'IMG=from-p\n',
    });
    const model = await load({ cwd: dir, projectDirectory: 'p', files: ['stack.yaml'] });
    expect(model.workingDir).toBe(join(dir, 'p'));
    expect(service(model, 'a')['image']).toBe('from-p');
  });
});

describe('project name', () => {
  const dir = write(join(tmp, 'My Project.Dir'), {
    'stack.yaml': 'name: From-File\nservices: {a: {image: x}}\n',
    'noname/stack.yaml': 'services: {a: {image: x}}\n',
  });

  it('takes -p first, then STACK_PROJECT_NAME/COMPOSE_PROJECT_NAME, then name:, then the directory', async () => {
    expect((await load({ cwd: dir, projectName: 'flag', env: { STACK_PROJECT_NAME: 'env' } })).name).toBe('flag');
    expect((await load({ cwd: dir, env: { STACK_PROJECT_NAME: 'env1', COMPOSE_PROJECT_NAME: 'env2' } })).name).toBe(
      'env1',
    );
    expect((await load({ cwd: dir, env: { COMPOSE_PROJECT_NAME: 'env2' } })).name).toBe('env2');
    expect((await load({ cwd: dir })).name).toBe('from-file');
    expect((await load({ cwd: join(dir, 'noname') })).name).toBe('noname');
    expect((await load({ cwd: dir, files: ['noname/stack.yaml'], projectDirectory: '.' })).name).toBe('myprojectdir');
  });

  it('reports INVALID_PROJECT_NAME when nothing is left after normalizing', async () => {
    expect(await codes(load({ cwd: dir, projectName: '!!!' }))).toEqual(['INVALID_PROJECT_NAME -']);
  });

  // As Docker Compose v2: a name the user typed is used as typed or refused, never silently
  // changed: `-p RSV` acting on project `rsv`, or `-p ../x/yarn` reaching a path, surprises.
  it('refuses a -p, STACK_PROJECT_NAME or COMPOSE_PROJECT_NAME that is not already valid, suggesting the normalized one', async () => {
    for (const [options, origin] of [
      [{ projectName: 'Flag' }, '-p'],
      [{ projectName: '../other/dir/yarn' }, '-p'],
      [{ env: { STACK_PROJECT_NAME: 'Env1' } }, 'STACK_PROJECT_NAME'],
      [{ env: { COMPOSE_PROJECT_NAME: 'feature/x' } }, 'COMPOSE_PROJECT_NAME'],
    ] as const) {
      const error = (await load({ cwd: dir, ...options }).then(
        () => undefined,
        (e: unknown) => e,
      )) as StackError;
      expect(error, origin).toBeInstanceOf(StackError);
      expect(error.code).toBe('INVALID_PROJECT_NAME');
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(
        /^invalid project name ".*": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number/,
      );
      expect(error.message).toContain(origin);
    }
    const hint = (await load({ cwd: dir, projectName: 'Feature/X' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as StackError;
    expect(hint.diagnostics[0]?.hint).toContain('featurex');
  });

  it('still normalizes a name: in the file and the directory name', async () => {
    expect((await load({ cwd: dir })).name).toBe('from-file');
    expect((await load({ cwd: dir, files: ['noname/stack.yaml'], projectDirectory: '.' })).name).toBe('myprojectdir');
  });
});

describe('environment and interpolation', () => {
  const dir = join(fixtures, 'interpolation');

  it('reads .env, lets the shell win and expands nested defaults', async () => {
    const app = service(await load({ cwd: dir, env: { GREETING: 'shell' } }), 'app');
    expect(app['image']).toBe('stack-test/busybox:latest');
    expect(app['command']).toEqual(['sh', '-c', 'echo ${GREETING} from demo; sleep 3600']);
    expect(app['environment']).toEqual({ GREETING: 'shell', LEVEL: 'info', OPTIONAL: '', DEBUG_FLAG: '' });
  });

  it('reads --env-file instead of .env', async () => {
    const envFile = write(join(tmp, 'envfile'), { 'custom.env': 'APP_NAME=custom\nDEBUG=1\n' });
    const app = service(
      await load({ cwd: envFile, files: [join(dir, 'stack.yaml')], envFiles: ['custom.env'] }),
      'app',
    );
    expect(app['command']).toEqual(['sh', '-c', 'echo ${GREETING} from custom; sleep 3600']);
    expect((app['environment'] as Record<string, string>)['DEBUG_FLAG']).toBe('--debug');
    expect((app['environment'] as Record<string, string>)['LEVEL']).toBe('warn');
  });

  it('reports a missing --env-file', async () => {
    expect(await codes(load({ cwd: dir, envFiles: ['missing.env'] }))).toEqual(['ENV_FILE_NOT_FOUND -']);
  });

  it('keeps templates as written with interpolate: false', async () => {
    const app = service(await load({ cwd: dir, interpolate: false }), 'app');
    expect(app['image']).toBe('stack-test/busybox:${BUSYBOX_TAG:-latest}');
  });

  it('COMPOSE_DISABLE_ENV_FILE leaves .env out of interpolation too; a named env file is still read', async () => {
    const disabled = await load({ cwd: dir, env: { COMPOSE_DISABLE_ENV_FILE: 'true' } });
    expect(service(disabled, 'app')['environment']).toMatchObject({ GREETING: 'hello', LEVEL: 'warn' });
    expect(disabled.sourceFiles).toEqual([join(dir, 'stack.yaml')]);
    const named = await load({ cwd: dir, env: { COMPOSE_DISABLE_ENV_FILE: '1' }, envFiles: ['.env'] });
    expect(service(named, 'app')['environment']).toMatchObject({ GREETING: 'hi there', LEVEL: 'info' });
  });

  it('lists .env among the source files', async () => {
    expect((await load({ cwd: dir })).sourceFiles).toEqual([join(dir, 'stack.yaml'), join(dir, '.env')]);
  });
});

describe('merge, extends and profiles through loadStack', () => {
  it('merges the override file by Compose rules', async () => {
    const model = await load({ cwd: join(fixtures, 'merge') });
    const web = service(model, 'web');
    expect(web['command']).toEqual(['httpd', '-f', '-p', '8080', '-v']);
    expect(web['environment']).toEqual({ MODE: 'override', KEEP: '1', EXTRA: '2' });
    expect(web['ports']).toEqual(['127.0.0.1:18082:8080']);
    expect(web['dns_search']).toEqual(['base.local', 'override.local']);
    const sidecar = service(model, 'sidecar');
    expect(sidecar['ports']).toBeUndefined();
    expect(sidecar['command']).toEqual(['sleep', '7200']);
  });

  it('extends from another file with its relative paths rebased, and chains', async () => {
    const dir = join(fixtures, 'extends');
    const model = await load({ cwd: dir });
    const app = service(model, 'app');
    expect(app['extends']).toBeUndefined();
    expect(app['environment']).toEqual({ LOG_LEVEL: 'debug', FROM_BASE: 'yes' });
    expect(app['volumes']).toEqual([`${join(dir, 'base', 'common')}:/common:ro`]);
    const worker = service(model, 'worker');
    expect(worker['command']).toEqual(['sh', '-c', 'echo worker; sleep 3600']);
    expect(worker['environment']).toEqual({ LOG_LEVEL: 'debug', FROM_BASE: 'yes', ROLE: 'worker' });
    expect(model.sourceFiles).toContain(join(dir, 'base', 'base.yaml'));
  });

  it('positions a value inherited through extends in the file that wrote it', async () => {
    const raw = await loadRaw({ cwd: join(fixtures, 'extends'), env: {} }, passThroughStages);
    expect(raw.locate(['services', 'worker', 'labels', 'dev.stack.fixture'])).toEqual({
      file: join(fixtures, 'extends', 'base', 'base.yaml'),
      line: 10,
      col: 26,
    });
    expect(raw.locate(['services', 'worker', 'environment', 'ROLE'])).toMatchObject({
      file: join(fixtures, 'extends', 'stack.yaml'),
      line: 17,
    });
    expect(raw.locate(['services', 'worker', 'environment', 'LOG_LEVEL'])).toMatchObject({
      file: join(fixtures, 'extends', 'stack.yaml'),
      line: 10,
    });
  });

  it('enables services by profile, by name and with *', async () => {
    const cwd = join(fixtures, 'profiles');
    const none = await load({ cwd });
    expect(Object.keys(none.services)).toEqual(['web']);
    expect(none.disabledServices).toEqual(['debug', 'tools']);
    expect(none.profiles).toEqual(['debug', 'ops', 'tools']);
    expect(Object.keys((await load({ cwd, profiles: ['ops'] })).services).sort()).toEqual(['tools', 'web']);
    expect(Object.keys((await load({ cwd, env: { COMPOSE_PROFILES: 'debug' } })).services).sort()).toEqual([
      'debug',
      'web',
    ]);
    expect(Object.keys((await load({ cwd, services: ['debug'] })).services).sort()).toEqual(['debug', 'web']);
    expect(Object.keys((await load({ cwd, profiles: ['*'] })).services).sort()).toEqual(['debug', 'tools', 'web']);
  });

  it('collects problems of several files before throwing once', async () => {
    const dir = write(join(tmp, 'several'), {
      'a.yaml': 'a: 1\na: 2\n',
      'b.yaml': 'services:\n  x:\n    image: ${NOPE:?}\n',
    });
    expect(await codes(load({ cwd: dir, files: ['a.yaml', 'b.yaml'] }))).toEqual([
      'YAML_DUPLICATE_KEY 2:1',
      'INTERPOLATION_REQUIRED 3:12',
    ]);
  });
});
