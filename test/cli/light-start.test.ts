/**
 * `stack config` must start fast: it never loads dockerode, listr2 or chokidar. A module
 * resolve hook records every specifier the process resolves; the test runs the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/stack.js');

describe('stack config start-up', () => {
  it.skipIf(!existsSync(join(root, 'dist/cli/main.js')))('loads neither dockerode, listr2 nor chokidar', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-light-'));
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: stack-test/busybox:latest\n');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/dockerode|listr2|chokidar|p-graph/.test(result.url)) process.stderr.write('LOADED ' + result.url + '\\n');
  return result;
}\n`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; import { pathToFileURL } from 'node:url'; register(pathToFileURL(${JSON.stringify(hooks)}));\n`);
    const out = spawnSync(process.execPath, ['--import', register, cli, 'config', '--services'], { cwd: dir, encoding: 'utf8' });
    expect(out.stderr).not.toMatch(/LOADED/);
    expect(out.stdout.trim()).toBe('web');
    expect(out.status).toBe(0);

    // the hook itself works: importing dockerode directly is reported
    const control = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', "await import('dockerode')"], { cwd: root, encoding: 'utf8' });
    expect(control.stderr).toMatch(/LOADED .*dockerode/);
  });
});
