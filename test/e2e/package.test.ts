// The package as a user gets it: `npm pack`, installed from the tarball into a fresh directory
// (--prefer-offline: the tarballs `npm ci` cached, metadata from the registry), runs the README's library example (load, plan,
// up, plan again, down) against the real engine from ES modules and from CommonJS; the JSON
// schema resolves as `stack-compose/schema.json`; a global install into a temp prefix runs the
// `stack` binary from another directory.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, cleanup, containers, describeE2E, networks } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

describe('the packed library', () => {
  let app = '';
  let files: string[] = [];
  let tarball = '';
  const projects: string[] = [];

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'stack-pack-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', app], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    tarball = join(app, packed[0]!.filename);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-consumer', private: true }));
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(app, packed[0]!.filename)],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const f of ['library.mjs', 'library.cjs', 'demo.cjs']) copyFileSync(join(ROOT, 'examples', f), join(app, f));
    writeFileSync(
      join(app, 'stack.yaml'),
      [
        'services:',
        '  web:',
        '    image: stack-test/busybox:latest',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '',
      ].join('\n'),
    );
  }, 180_000);
  afterAll(() => {
    for (const p of projects) cleanup(p);
    rmSync(app, { recursive: true, force: true });
  });

  it('ships the built library, its types, the CLI and the licence, and no machine-specific code cache', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/stack.cjs',
        'bin/stack.cjs',
        'bin/cache-dir.cjs',
        'LICENSE',
        'dist/stack.schema.json',
      ]),
    );
    expect(files.filter((f) => f.includes('.cache') || f.endsWith('.v8'))).toEqual([]);
  });

  it("the JSON schema resolves as stack-compose/schema.json from CommonJS and ES modules, with the package's own $id", () => {
    const cjs = execFileSync(
      process.execPath,
      ['-e', "process.stdout.write(require.resolve('stack-compose/schema.json'))"],
      { cwd: app, encoding: 'utf8' },
    );
    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "process.stdout.write(import.meta.resolve('stack-compose/schema.json'))"],
      { cwd: app, encoding: 'utf8' },
    );
    expect(cjs).toBe(join(app, 'node_modules', 'stack-compose', 'dist', 'stack.schema.json'));
    expect(esm).toBe(`file://${cjs}`);
    const schema = JSON.parse(readFileSync(cjs, 'utf8')) as { $id: string };
    expect(schema.$id).toBe('urn:stack-compose:schema:stack-file');
    expect(readFileSync(cjs, 'utf8')).toBe(readFileSync(join(ROOT, 'src/loader/stack.schema.json'), 'utf8'));
  });

  it('installed globally into a prefix, `stack` runs version, config, up and down from another directory', () => {
    const prefix = join(app, 'prefix');
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const bin = join(prefix, 'bin', 'stack');
    const elsewhere = join(app, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(
      join(elsewhere, 'compose.yaml'),
      [
        'services:',
        '  job:',
        '    image: stack-test/busybox:latest',
        '    command: ["sleep", "3600"]',
        '    init: true',
        '',
      ].join('\n'),
    );
    const run = (...args: string[]): string =>
      execFileSync(bin, args, { cwd: elsewhere, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    expect(run('version')).toMatch(/^stack version \d+\.\d+\.\d+/);
    expect(run('config', '--services')).toBe('job\n');
    expect(run('schema', '--path')).toBe(
      join(prefix, 'lib', 'node_modules', 'stack-compose', 'dist', 'stack.schema.json') + '\n',
    );
    expect(run('-f', 'compose.yaml', 'viz')).toContain('"service:job" [label="job"');
    // the SVG: Graphviz (WebAssembly) required lazily from the installed package's dependencies
    run('graph', '-o', 'graph.svg');
    expect(readFileSync(join(elsewhere, 'graph.svg'), 'utf8')).toMatch(
      /^<\?xml[^]*<title>service:job<\/title>[^]*<\/svg>\n?$/,
    );
    // the code cache is the user's, never written into the installed package
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'stack-compose', 'dist', '.cache'))).toBe(false);
    const project = uniqueName('e2e-global');
    projects.push(project);
    run('-p', project, '--progress', 'quiet', 'up', '-d');
    expect(containers(project)).toHaveLength(1);
    run('-p', project, '--progress', 'quiet', 'down');
    expect(containers(project)).toEqual([]);
  }, 180_000);

  for (const example of ['library.mjs', 'library.cjs']) {
    it(`${example}: load → plan → up → converged → down, against the engine`, () => {
      const project = uniqueName('e2e-pack');
      projects.push(project);
      const out = execFileSync(process.execPath, [example, project], {
        cwd: app,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      });
      expect(out).toContain('service:web:1');
      expect(out).toMatch(/^up: [1-9]\d* actions$/m);
      expect(out).toContain('converged: true');
      expect(out).toMatch(/^down: [1-9]\d* actions$/m);
      expect(containers(project)).toEqual([]);
      expect(networks(project)).toEqual([]);
    }, 150_000);
  }
});
