/**
 * The README's commands that need no engine run as written and print what the README shows
 * (the built CLI; test/support/doc-examples.ts says how blocks are marked). Every other code
 * block is named here with the test that runs it, so a new block is either marked and run
 * or classified: none is left unchecked by accident.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ROOT,
  comparable,
  consoleSteps,
  fences,
  fileExamples,
  runConsole,
  runFileExample,
} from '../support/doc-examples.js';
import type { Fence } from '../support/doc-examples.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = fences(readme);

/** Blocks that need an engine, a registry or a package install, by their first line, and what runs them. */
const RUN_ELSEWHERE: Readonly<Record<string, string>> = {
  'npm run demo': 'installs and starts an engine: scripts/demo.sh (test/cli/setup-script.test.ts)',
  'npm pack && npm install -g ./stack-compose-0.1.0.tgz': 'installs the package: test/e2e/package.test.ts',
  'npm test': 'the test suite itself',
  '$ cd examples/hello': 'the worked example needs an engine: test/e2e/readme-example.test.ts',
  'source <(stack completion bash)                                   # in ~/.bashrc':
    'sourced in bash, completions checked: test/cli/completion.test.ts',
  "import { connectEngine, down, loadStack, planStack, renderPlan, up } from 'stack-compose';":
    'the library against an engine: examples/demo.cjs in test/e2e/package.test.ts',
};

const firstLine = (block: Fence): string => block.text.split('\n')[0]!;
const offline = blocks.filter((b) => /^offline-example\b/.test(b.comment ?? ''));
const examples = fileExamples(readme);

describe('README.md', () => {
  it('every shell, console and code block is run here or named with the test that runs it', () => {
    const exampleLines = new Set(examples.map((e) => e.line));
    const outputs = new Set(blocks.filter((_, i) => i > 0 && exampleLines.has(blocks[i - 1]!.line)).map((b) => b.line));
    const unclassified = blocks
      .filter((b) => !offline.includes(b) && !exampleLines.has(b.line) && !outputs.has(b.line))
      .filter((b) => b.lang !== 'mermaid' && RUN_ELSEWHERE[firstLine(b)] === undefined)
      .map((b) => `line ${b.line}: ${firstLine(b)}`);
    expect(unclassified, 'mark the block <!-- offline-example --> or name it in RUN_ELSEWHERE').toEqual([]);
    expect(offline.length).toBeGreaterThan(0);
    expect(examples.length).toBeGreaterThan(0);
  });

  it("the install block names the tarball npm pack makes (the package's name and version)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(Object.keys(RUN_ELSEWHERE)).toContain(`npm pack && npm install -g ./${pkg.name}-${pkg.version}.tgz`);
  });

  for (const example of examples)
    it(`line ${example.line}: stack ${example.args.join(' ')} prints the error shown`, { timeout: 30_000 }, () => {
      const run = runFileExample(example);
      expect(run.stderr).toBe(example.shown);
      expect(run.status).toBe(example.exit);
    });

  for (const block of offline)
    it(`line ${block.line}: the console block runs as written and prints what it shows`, { timeout: 120_000 }, () => {
      const steps = consoleSteps(block.text);
      const run = runConsole(steps);
      expect(run.status, run.stderr).toBe(0);
      expect(run.outputs).toHaveLength(steps.length + 1);
      steps.forEach((step, i) => {
        const [printed, shown] = comparable(step.shown, run.outputs[i]!);
        expect(printed, step.command).toEqual(shown);
      });
      for (const [, written, kept] of (block.comment ?? '').matchAll(/(\S+) is (\S+)/g))
        expect(readFileSync(join(run.cwd, written!), 'utf8'), `${written} is ${kept}`).toBe(
          readFileSync(join(ROOT, kept!), 'utf8'),
        );
    });
});
