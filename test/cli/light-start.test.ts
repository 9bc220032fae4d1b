/**
 * `stack config` must start fast: it never loads dockerode, listr2 or chokidar. The built CLI
 * is one CommonJS bundle (dist/stack.cjs) that requires those lazily from node_modules, so a
 * preloaded hook on the CommonJS loader and an ESM resolve hook (for dynamic imports) record
 * every module the process loads; the test runs the real entry point, bin/stack.cjs.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIGHT_COMMANDS } from '../../src/cli/main.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/stack.cjs');

describe('stack config start-up', () => {
  it('loads neither dockerode, listr2 nor chokidar', () => {
    // Runs the built CLI: `npm test` builds first; a missing build fails, never skips.
    expect(existsSync(join(root, 'dist/stack.cjs')), 'dist/stack.cjs is missing: run `npm run build` first').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'stack-light-'));
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: stack-test/busybox:latest\n');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/dockerode|listr2|chokidar|p-graph|@viz-js/.test(result.url)) process.stderr.write('LOADED ' + result.url + '\\n');
  return result;
}\n`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module'; import { pathToFileURL } from 'node:url'; register(pathToFileURL(${JSON.stringify(hooks)}));\n`,
    );
    const preload = join(dir, 'preload.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (/dockerode|listr2|chokidar|p-graph|@viz-js/.test(request)) process.stderr.write('LOADED ' + request + '\\n');
  return load.apply(this, arguments);
};\n`,
    );
    const loaders = ['--require', preload, '--import', register];
    const out = spawnSync(process.execPath, [...loaders, cli, 'config', '--services'], { cwd: dir, encoding: 'utf8' });
    expect(out.stderr).not.toMatch(/LOADED/);
    expect(out.stdout.trim()).toBe('web');
    expect(out.status).toBe(0);

    // the hooks work: a require and a dynamic import of dockerode are both reported
    const control = spawnSync(process.execPath, ['--require', preload, '-e', "require('dockerode')"], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(control.stderr).toMatch(/LOADED dockerode/);
    const esm = spawnSync(
      process.execPath,
      ['--import', register, '--input-type=module', '-e', "await import('dockerode')"],
      { cwd: root, encoding: 'utf8' },
    );
    expect(esm.stderr).toMatch(/LOADED .*dockerode/);
  }, 60_000);

  it('the shim classes the same commands as light as the CLI does (one list, kept equal)', () => {
    const shim = readFileSync(join(root, 'bin/stack.cjs'), 'utf8');
    const listed = /const LIGHT_COMMANDS = \[([^\]]*)\];/.exec(shim)?.[1];
    expect(listed, 'bin/stack.cjs declares LIGHT_COMMANDS').toBeTypeOf('string');
    const shimList = [...listed!.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
    expect(shimList).toEqual([...LIGHT_COMMANDS].sort());
  });
});
