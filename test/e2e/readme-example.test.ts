/**
 * The README's worked example, run as written: every `$ ` line of its console block in one
 * bash session from the repository root, `npx stack` included. `id -un` answers a unique test
 * name, so the example's own project rule (`hello-$(id -un)`) gives this run a project of its
 * own; the README's `hello-root` stands for it when outputs are compared. Output shown under a
 * command is compared with what it printed (up to a `...` line: a prefix).
 *
 * Intent: the example takes over nobody's project, serves on a port the engine chose, and its
 * `down` stops every container through SIGTERM (exit 143 or 0, never 137 after the 10 s
 * grace), so it takes well under a second per container.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT, cleanup, containers, describeE2E, docker, networks } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

/** One `$ command` of the block and the output lines shown under it. */
interface Step {
  readonly command: string;
  readonly shown: readonly string[];
}

/** The first ```console block after the "A worked example" heading. */
function readmeSteps(): Step[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A worked example'));
  const block = /```console\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README: no console block in "A worked example"');
  const steps: { command: string; shown: string[] }[] = [];
  for (const line of block.split('\n').slice(0, -1)) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
    else steps.at(-1)?.shown.push(line);
  }
  return steps;
}

describe('the README worked example', () => {
  const user = uniqueName('e2e-readme');
  const project = `hello-${user}`;
  afterAll(() => cleanup(project));

  it('runs as written under a project of its own, prints what the README shows, and down stops each container on SIGTERM', () => {
    const steps = readmeSteps();
    expect(steps.map((s) => s.command.split(/\s+#/)[0]!.trim())).toEqual(
      expect.arrayContaining(['cd examples/hello', 'npx stack up -d', 'npx stack down']),
    );
    const mark = (i: number): string => `echo "@@step ${i} $(date +%s%N)"`;
    const script = [
      `id() { if [ "$*" = "-un" ]; then echo ${user}; else command id "$@"; fi; }`,
      ...steps.flatMap((s, i) => [mark(i), s.command]),
      mark(steps.length),
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, STACK_PROJECT_NAME: '' },
    });
    expect(run.status, run.stderr).toBe(0);

    // stdout split at the markers: what each step printed and when it started.
    const outputs: string[][] = [];
    const started: number[] = [];
    for (const line of run.stdout.split('\n')) {
      const m = /^@@step (\d+) (\d+)$/.exec(line);
      if (m) {
        started.push(Number(BigInt(m[2]!) / 1_000_000n));
        outputs.push([]);
      } else outputs.at(-1)?.push(line);
    }
    expect(outputs).toHaveLength(steps.length + 1);
    steps.forEach((step, i) => {
      if (step.shown.length === 0) return;
      const shown = step.shown.map((l) => l.replaceAll('hello-root', project));
      const printed = outputs[i]!.filter((l, k, all) => l !== '' || k < all.length - 1);
      const cut = shown.indexOf('...');
      if (cut === -1) expect(printed, step.command).toEqual(shown);
      else expect(printed.slice(0, cut), step.command).toEqual(shown.slice(0, cut));
    });

    // Served (the curl step) on a port the engine chose: the example publishes no fixed one.
    const config = spawnSync(process.execPath, [join(ROOT, 'bin/stack.cjs'), 'config', '--format', 'json'], {
      cwd: join(ROOT, 'examples/hello'),
      encoding: 'utf8',
      env: { ...process.env, HELLO_PORT: '' },
    });
    const ports = (JSON.parse(config.stdout) as { services: Record<string, { ports?: { published?: string }[] }> })
      .services['web']?.ports;
    expect(ports).toEqual([expect.not.objectContaining({ published: expect.anything() })]);

    // down: every running container stopped on SIGTERM, quickly.
    const downAt = steps.findIndex((s) => s.command.startsWith('npx stack down'));
    const [from, to] = [started[downAt]!, started[downAt + 1]!];
    const dies = docker([
      'events',
      '--since',
      String(Math.floor(from / 1000)),
      '--until',
      String(Math.ceil(to / 1000) + 1),
      '--filter',
      'event=die',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--format',
      '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}',
    ]);
    const exits = Object.fromEntries(
      dies
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')),
    );
    expect(Object.keys(exits).sort()).toEqual([`${project}-client-1`, `${project}-web-1`]);
    // Stopped by SIGTERM (0 or 143), never killed after the grace period (137): no wall clock.
    for (const code of Object.values(exits)) expect(['0', '143']).toContain(code);
    expect(containers(project)).toEqual([]);
    expect(networks(project)).toEqual([]);
  }, 300_000);
});
