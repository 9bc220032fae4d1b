/**
 * Examples in the Markdown docs that a test runs, found by an HTML comment before them
 * (invisible on GitHub):
 *
 * - `<!-- example: stack <args> (exit <n>) -->`, then a ```yaml block (the project's
 *   `stack.yaml`) and the next fenced block (what stack prints on stderr). Run in a fresh
 *   directory that the text calls `/home/me/demo`, with NO_COLOR and no other variables.
 * - `<!-- offline-example -->` before a ```console block: every `$ ` line runs in one bash
 *   session (`stack` and `npx stack` are the built CLI), from a directory holding a copy of
 *   `examples/`; the lines under a command are what it prints (up to a `...` line: a prefix).
 *   `<!-- offline-example: graph.svg is docs/graph-example.svg -->` also compares a file the
 *   block wrote (relative to the last `cd`) with one of the repository.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/stack.cjs');

/** The directory name a file example's output shows for its project directory. */
export const SHOWN_PROJECT_DIR = '/home/me/demo';

/** One fenced block: its language, text and 1-based line of the opening fence. */
export interface Fence {
  readonly lang: string;
  readonly text: string;
  readonly line: number;
  /** The HTML comment right before the fence (blank lines and prose in between allowed), if any. */
  readonly comment?: string;
}

/** The fenced blocks of a Markdown text, each with the last HTML comment since the previous block. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const found: Fence[] = [];
  let comment: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const note = /^<!--\s*(.*?)\s*-->\s*$/.exec(line);
    if (note) comment = note[1];
    const open = /^(`{3,})(\S*)\s*$/.exec(line);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== open[1]; j++) body.push(lines[j]!);
    found.push({ lang: open[2]!, text: body.join('\n') + '\n', line: i + 1, ...(comment ? { comment } : {}) });
    comment = undefined;
    i = j;
  }
  return found;
}

/** A `stack.yaml` example: the command, its exit code, the file and the output shown. */
export interface FileExample {
  readonly line: number;
  readonly args: readonly string[];
  readonly exit: number;
  readonly yaml: string;
  readonly shown: string;
}

/** The `<!-- example: stack ... (exit n) -->` examples of a Markdown text. */
export function fileExamples(markdown: string): FileExample[] {
  const all = fences(markdown);
  const examples: FileExample[] = [];
  all.forEach((fence, i) => {
    const m = /^example: stack (.*) \(exit (\d+)\)$/.exec(fence.comment ?? '');
    if (!m) return;
    const shown = all[i + 1];
    if (fence.lang !== 'yaml' || shown === undefined)
      throw new Error(`line ${fence.line}: an example is a yaml block and then the output block`);
    examples.push({
      line: fence.line,
      args: m[1]!.split(' '),
      exit: Number(m[2]),
      yaml: fence.text,
      shown: shown.text,
    });
  });
  return examples;
}

/** Runs a file example: its status and stderr, the directory written as SHOWN_PROJECT_DIR. */
export function runFileExample(example: FileExample): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stack-doc-example-'));
  writeFileSync(join(dir, 'stack.yaml'), example.yaml);
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, NO_COLOR: '1' };
  const out = spawnSync(process.execPath, [CLI, ...example.args], { cwd: dir, env, encoding: 'utf8' });
  return { status: out.status, stderr: out.stderr.replaceAll(dir, SHOWN_PROJECT_DIR) };
}

/** One `$ command` of a console block and the lines shown under it. */
export interface ConsoleStep {
  readonly command: string;
  readonly shown: readonly string[];
}

export function consoleSteps(block: string): ConsoleStep[] {
  const steps: { command: string; shown: string[] }[] = [];
  for (const line of block.split('\n').slice(0, -1)) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
    else steps.at(-1)?.shown.push(line);
  }
  return steps;
}

/** What running a console block gave: each step's output lines, bash's status, and the scratch directory. */
export interface ConsoleRun {
  readonly status: number | null;
  readonly stderr: string;
  readonly outputs: readonly (readonly string[])[];
  readonly dir: string;
  /** The working directory after the last step. */
  readonly cwd: string;
}

/** Runs the steps in one bash session in a scratch copy of `examples/`, `stack` being the built CLI. */
export function runConsole(steps: readonly ConsoleStep[]): ConsoleRun {
  const dir = mkdtempSync(join(tmpdir(), 'stack-readme-'));
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'stack'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
    {
      mode: 0o755,
    },
  );
  const mark = (i: number): string => `echo "@@step ${i}"`;
  const script = [
    'npx() { if [ "$1" = stack ]; then shift; stack "$@"; else command npx "$@"; fi; }',
    ...steps.flatMap((s, i) => [mark(i), s.command]),
    mark(steps.length),
    'echo "@@cwd $PWD"',
  ].join('\n');
  const env = {
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    HOME: process.env['HOME'] ?? dir,
    NO_COLOR: '1',
  };
  const run = spawnSync('bash', ['-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  const outputs: string[][] = [];
  let cwd = dir;
  for (const line of run.stdout.split('\n')) {
    const cd = /^@@cwd (.*)$/.exec(line);
    if (cd) cwd = cd[1]!;
    else if (/^@@step \d+$/.test(line)) outputs.push([]);
    else outputs.at(-1)?.push(line);
  }
  return { status: run.status, stderr: run.stderr, outputs, dir, cwd };
}

/** The printed lines compared as the docs show them: all, or the part above a `...` line. */
export function comparable(shown: readonly string[], printed: readonly string[]): [string[], string[]] {
  const trimmed = printed.filter((l, k, all) => l !== '' || k < all.length - 1);
  const cut = shown.indexOf('...');
  return cut === -1 ? [[...trimmed], [...shown]] : [trimmed.slice(0, cut), shown.slice(0, cut)];
}
