// `logs -f` as Compose v2 follows a project: containers that start after it began (a scaled-up
// replica, a replacement from another `up`, a restart) are followed, exits are reported, and it
// ends by itself once nothing it follows is running, or at Ctrl-C (130, no word about actions).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanup, describeE2E, eventually, runCli, startCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

const FILE = `services:
  web:
    image: stack-test/busybox:latest
    environment:
      REV: \${REV:-1}
    command: ["sh", "-c", "echo web-up rev=$$REV; trap 'exit 0' TERM; while true; do sleep 1; done"]
  keeper:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

describe('logs -f', () => {
  const projects: string[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const p of projects) cleanup(p);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const setup = (): { dir: string; project: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-logs-follow-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'stack.yaml'), FILE);
    const project = uniqueName('e2e-logsf');
    projects.push(project);
    return { dir, project };
  };
  const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

  it('follows a replica scaled up later, a container recreated by another up and a restarted one, and ends once none is running', async () => {
    const { dir, project } = setup();
    const stack = (args: string[], env: Record<string, string> = {}) =>
      runCli(['-p', project, ...args], { cwd: dir, env });
    expect((await stack(['up', '-d'])).code).toBe(0);
    const follow = startCli(['-p', project, 'logs', '-f'], { cwd: dir, timeoutMs: 180_000 });
    await eventually(() => expect(follow.output()).toMatch(/^web-1 +\| web-up rev=1$/m), 30_000);

    expect((await stack(['up', '-d', '--scale', 'web=2'])).code).toBe(0);
    await eventually(() => expect(follow.output()).toMatch(/^web-2 +\| web-up rev=1$/m), 30_000);

    expect((await stack(['up', '-d', '--scale', 'web=2'], { REV: '2' })).code).toBe(0);
    await eventually(() => {
      expect(follow.output()).toMatch(/^web-1 +\| web-up rev=2$/m);
      expect(follow.output()).toMatch(/^web-2 +\| web-up rev=2$/m);
    }, 30_000);

    expect((await stack(['restart', 'web'], { REV: '2' })).code).toBe(0);
    await eventually(() => expect(count(follow.output(), /^web-1 +\| web-up rev=2$/gm)).toBe(2), 30_000);

    expect((await stack(['stop'], { REV: '2' })).code).toBe(0);
    const result = await follow.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^keeper-1 exited with code 0$/m);
    // Each run's line once: the restart printed rev=2 again, nothing was repeated from before.
    expect(count(result.stdout, /^web-1 +\| web-up rev=1$/gm)).toBe(1);
    expect(count(result.stdout, /^web-2 +\| web-up rev=2$/gm)).toBe(2);
  });

  it('Ctrl-C stops following: exit 130, no word about in-flight actions', async () => {
    const { dir, project } = setup();
    expect((await runCli(['-p', project, 'up', '-d', 'keeper'], { cwd: dir })).code).toBe(0);
    const follow = startCli(['-p', project, 'logs', '-f'], { cwd: dir });
    // A container started after logs -f began shows up: it is following.
    expect((await runCli(['-p', project, 'up', '-d', 'web'], { cwd: dir })).code).toBe(0);
    await eventually(() => expect(follow.output()).toMatch(/^web-1 +\| web-up rev=1$/m), 30_000);
    follow.child.kill('SIGINT');
    const result = await follow.done;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain('in-flight');
  });
});
