/**
 * `stack graph` as an SVG drawn by Graphviz (WebAssembly, @viz-js/viz), through the built CLI:
 * a valid XML document with a node per enabled service and each dependency's label, written by
 * `-o graph.svg` or printed by `--format svg`; profiles honoured; the other formats never load
 * the Graphviz module.
 */
import { DOMParser } from '@xmldom/xmldom';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/stack.cjs');

const STACK = `services:
  web:
    image: stack-test/busybox:latest
    depends_on:
      api: { condition: service_healthy }
      cache: { condition: service_started, required: false }
  api:
    image: stack-test/busybox:latest
    depends_on:
      migrate: { condition: service_completed_successfully }
    volumes: [data:/data]
  migrate:
    image: stack-test/busybox:latest
  cache:
    image: stack-test/busybox:latest
  debug:
    image: stack-test/busybox:latest
    profiles: [debug]
    depends_on: [web]
volumes:
  data: {}
`;

let dir = '';

function stack(
  args: readonly string[],
  preload: readonly string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [...preload, cli, '-p', 'shop', ...args], { cwd: dir, encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The parsed SVG (a parse error throws), its node titles and its edge labels. */
function readSvg(text: string): { root: string; nodes: string[]; edges: string[]; labels: string[] } {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(text, 'image/svg+xml');
  const groups = Array.from(doc.getElementsByTagName('g'));
  const titles = (cls: string): string[] =>
    groups
      .filter((g) => g.getAttribute('class') === cls)
      .map((g) => g.getElementsByTagName('title')[0]?.textContent ?? '');
  const labels = groups
    .filter((g) => g.getAttribute('class') === 'edge')
    .flatMap((g) => Array.from(g.getElementsByTagName('text')).map((t) => t.textContent ?? ''));
  return {
    root: doc.documentElement?.nodeName ?? '',
    nodes: titles('node').sort(),
    edges: titles('edge').sort(),
    labels: labels.sort(),
  };
}

describe('stack graph as SVG', { timeout: 60_000 }, () => {
  beforeAll(() => {
    // Runs the built CLI: `npm test` builds first; a missing build fails, never skips.
    expect(existsSync(join(root, 'dist/stack.cjs')), 'dist/stack.cjs is missing: run `npm run build` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'stack-graph-svg-'));
    writeFileSync(join(dir, 'stack.yaml'), STACK);
  });

  it('-o graph.svg writes a valid SVG with a node per enabled service and each dependency labelled with its condition', () => {
    const run = stack(['graph', '-o', 'graph.svg']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
    const svg = readSvg(readFileSync(join(dir, 'graph.svg'), 'utf8'));
    expect(svg.root).toBe('svg');
    expect(svg.nodes).toEqual(['service:api', 'service:cache', 'service:migrate', 'service:web']);
    expect(svg.edges).toEqual([
      'service:api->service:migrate',
      'service:web->service:api',
      'service:web->service:cache',
    ]);
    expect(svg.labels).toEqual(['completed', 'healthy', 'started']);
  });

  it('--format svg prints the same document; --networks --volumes add their nodes; --profile adds the profiled service', () => {
    const printed = stack(['graph', '--format', 'svg']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(readFileSync(join(dir, 'graph.svg'), 'utf8'));

    const full = readSvg(stack(['graph', '--format', 'svg', '--networks', '--volumes']).stdout);
    expect(full.nodes).toEqual(expect.arrayContaining(['network:default', 'volume:data']));
    expect(full.labels).toContain('/data');

    const debug = readSvg(stack(['--profile', 'debug', 'graph', '--format', 'svg']).stdout);
    expect(debug.nodes).toContain('service:debug');
    expect(debug.edges).toContain('service:debug->service:web');
  });

  it('the extension of -o chooses the text formats too, and --format wins over it', () => {
    expect(stack(['graph', '-o', 'graph.mmd']).status).toBe(0);
    expect(readFileSync(join(dir, 'graph.mmd'), 'utf8')).toMatch(/^flowchart LR\n/);
    expect(stack(['graph', '-o', 'graph.gv']).status).toBe(0);
    expect(readFileSync(join(dir, 'graph.gv'), 'utf8')).toMatch(/^digraph "shop" \{\n/);
    expect(stack(['graph', '--format', 'dot', '-o', 'dot.svg']).status).toBe(0);
    expect(readFileSync(join(dir, 'dot.svg'), 'utf8')).toMatch(/^digraph /);
  });

  it('a file that cannot be written is a usage error (exit 2) naming it', () => {
    const run = stack(['graph', '-o', join(dir, 'missing-dir', 'graph.svg')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`error[USAGE] cannot write ${join(dir, 'missing-dir', 'graph.svg')}: ENOENT`);
  });

  it('only the SVG format loads Graphviz (1.2 MB of WebAssembly): DOT and Mermaid do not', () => {
    const preload = join(dir, 'preload.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module');
const load = Module._load;
Module._load = function (request) {
  if (/@viz-js/.test(request)) process.stderr.write('LOADED ' + request + '\\n');
  return load.apply(this, arguments);
};\n`,
    );
    for (const format of ['dot', 'mermaid']) {
      const run = stack(['graph', '--format', format], ['--require', preload]);
      expect(run.status).toBe(0);
      expect(run.stderr).not.toMatch(/LOADED/);
    }
    // the hook sees it when it is loaded
    expect(stack(['graph', '--format', 'svg'], ['--require', preload]).stderr).toMatch(/LOADED @viz-js\/viz/);
  });
});
