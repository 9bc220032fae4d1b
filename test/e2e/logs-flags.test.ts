// `logs` flags of Compose v2 beyond the basics: `--index N` reads one replica (with `-f` it
// follows only that one), `--until` stops at a time, `--no-color` drops the colours a terminal
// otherwise gets. Colour needs a terminal on stdout: those runs go through `script` (a pty).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, cleanup, describeE2E, eventually, runCli, startCli } from './helpers.js';
import { ENGINE_SOCKET, uniqueName } from '../support/engine.js';

const describe = await describeE2E();

const FILE = `services:
  web:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "echo hello from $$HOSTNAME; trap 'exit 0' TERM; while true; do sleep 1; done"]
  timed:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "echo first; sleep 3; echo second; trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

describe('logs --index, --until, --no-color', () => {
  const project = uniqueName('e2e-logsflags');
  let dir = '';
  const stack = (...args: string[]) => runCli(['-p', project, ...args], { cwd: dir });
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-logs-flags-'));
    writeFileSync(join(dir, 'stack.yaml'), FILE);
    const up = await stack('up', '-d', '--scale', 'web=2');
    expect(up.code, up.stderr).toBe(0);
    await eventually(async () => expect((await stack('logs', 'timed')).stdout).toContain('second'), 30_000);
  });
  afterAll(() => {
    cleanup(project);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--index 2 web prints the second replica only; --index without one service is a usage error (2), a replica that does not exist a failure (1)', async () => {
    const id2 = execFileSync('docker', ['inspect', '-f', '{{.Config.Hostname}}', `${project}-web-2`], {
      encoding: 'utf8',
    }).trim();
    const both = await stack('logs', 'web');
    expect(both.stdout).toMatch(/^web-1 +\| hello from /m);
    const one = await stack('logs', '--index', '2', 'web');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trim().split('\n')).toEqual([`web-2  | hello from ${id2}`]);

    const noService = await stack('logs', '--index', '2');
    expect(noService.code).toBe(2);
    expect(noService.stderr).toContain('--index requires one service to be selected');
    const missing = await stack('logs', '--index', '3', 'web');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('service "web" has no container number 3');
  });

  it('--until: the lines before the time only (here: a second after the first line, two before the next)', async () => {
    const stamped = await stack('logs', '-t', '--no-log-prefix', 'timed');
    const first = /^(\S+) first$/m.exec(stamped.stdout)?.[1];
    expect(first, stamped.stdout).toBeDefined();
    const until = new Date(Date.parse(first!) + 1000).toISOString();
    const before = await stack('logs', '--until', until, 'timed');
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout.trim().split('\n')).toEqual(['timed-1  | first']);
    // Relative: "0s ago" is after both lines.
    const relative = await stack('logs', '--until', '0s', 'timed');
    expect(relative.stdout).toContain('timed-1  | second');
    const bad = await stack('logs', '--until', 'yesterday', 'timed');
    expect(bad.code).toBe(2);
  });

  it('-f --index 2 web follows that replica alone: its exit line ends it, web-1 is not shown', async () => {
    const follow = startCli(['-p', project, 'logs', '-f', '--index', '2', 'web'], { cwd: dir });
    await eventually(() => expect(follow.output()).toMatch(/^web-2 +\| hello from /m), 30_000);
    expect((await stack('stop', 'web')).code).toBe(0);
    const result = await follow.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^web-2 exited with code 0$/m);
    expect(result.stdout).not.toContain('web-1');
  });

  it('in a terminal the prefixes are coloured; --no-color prints them plain', () => {
    const env: Record<string, string | undefined> = { ...process.env, DOCKER_HOST: `unix://${ENGINE_SOCKET}` };
    for (const name of ['NO_COLOR', 'CI', 'DOCKER_CONTEXT']) delete env[name];
    env['TERM'] = 'xterm';
    const inTerminal = (...args: string[]): string =>
      execFileSync('script', ['-qec', [process.execPath, CLI, '-p', project, ...args].join(' '), '/dev/null'], {
        cwd: dir,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const coloured = inTerminal('logs', 'timed');
    expect(coloured).toContain('first');
    expect(coloured).toContain('\u001b[');
    const plain = inTerminal('logs', '--no-color', 'timed');
    expect(plain).toMatch(/^timed-1 +\| first\r?$/m);
    expect(plain).not.toContain('\u001b[');
  });

  it('piped, the prefixes are plain; --ansi always colours them anyway (as Compose)', async () => {
    const piped = await runCli(['-p', project, 'logs', 'timed'], { cwd: dir, env: { NO_COLOR: '' } });
    expect(piped.stdout).toContain('first');
    expect(piped.stdout).not.toContain('\u001b[');
    const always = await runCli(['-p', project, '--ansi', 'always', 'logs', 'timed'], { cwd: dir });
    expect(always.code, always.stderr).toBe(0);
    expect(always.stdout).toMatch(/\u001b\[\d+mtimed-1/);
  });
});
