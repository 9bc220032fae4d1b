// The package as a user gets it: `npm pack`, installed from the tarball into a fresh directory
// (--prefer-offline: the tarballs `npm ci` cached, metadata from the registry), runs the README's library example (load, plan,
// up, plan again, down) against the real engine from ES modules and from CommonJS.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, cleanup, containers, describeE2E, networks } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

describe('the packed library', () => {
  let app = '';
  let files: string[] = [];
  const projects: string[] = [];

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'stack-pack-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', app], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-consumer', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(app, packed[0]!.filename)], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const f of ['library.mjs', 'library.cjs', 'demo.cjs']) copyFileSync(join(ROOT, 'examples', f), join(app, f));
    writeFileSync(join(app, 'stack.yaml'), ['services:', '  web:', '    image: stack-test/busybox:latest', '    command: ["sleep", "3600"]', '    stop_signal: SIGKILL', ''].join('\n'));
  }, 180_000);
  afterAll(() => {
    for (const p of projects) cleanup(p);
    rmSync(app, { recursive: true, force: true });
  });

  it('ships the built library, its types, the CLI and the licence, and no machine-specific code cache', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/stack.cjs', 'bin/stack.cjs', 'LICENSE']));
    expect(files.filter((f) => f.startsWith('dist/.cache'))).toEqual([]);
  });

  for (const example of ['library.mjs', 'library.cjs']) {
    it(`${example}: load → plan → up → converged → down, against the engine`, () => {
      const project = uniqueName('e2e-pack');
      projects.push(project);
      const out = execFileSync(process.execPath, [example, project], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      expect(out).toContain('service:web:1');
      expect(out).toMatch(/^up: [1-9]\d* actions$/m);
      expect(out).toContain('converged: true');
      expect(out).toMatch(/^down: [1-9]\d* actions$/m);
      expect(containers(project)).toEqual([]);
      expect(networks(project)).toEqual([]);
    }, 150_000);
  }
});
