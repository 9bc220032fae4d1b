// `stack attach SERVICE` as `docker compose attach`: this terminal's stdin and output joined to
// a running service container, the detach keys leaving it running, signals forwarded to it
// (--sig-proxy, the default) and its exit code as stack's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, describeE2E, docker, runCli, startCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';
import { eventually } from '../support/eventually.js';

const describe = await describeE2E();

describe('stack attach joins a running service container', () => {
  const project = uniqueName('e2e-attach');
  const dir = mkdtempSync(join(tmpdir(), 'stack-attach-'));
  const container = (service: string, n = 1): string => `${project}-${service}-${n}`;
  const running = (name: string): string => docker(['inspect', '-f', '{{.State.Running}}', name]);
  beforeAll(async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  echo:',
        '    image: stack-test/busybox:latest',
        '    stdin_open: true',
        '    command: ["sh", "-c", "while read line; do echo \\"got $$line\\"; done; echo bye"]',
        '  ticker:',
        '    image: stack-test/busybox:latest',
        '    scale: 2',
        '    command: ["sh", "-c", "trap \'echo caught INT; exit 3\' INT; while true; do echo \\"tick $$(hostname)\\"; sleep 1; done"]',
        '  idle:',
        '    image: stack-test/busybox:latest',
        '    command: ["true"]',
        '',
      ].join('\n'),
    );
    const up = await runCli(['-p', project, 'up', '-d', 'echo', 'ticker'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(() => {
    cleanup(project);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stdin reaches the container, its output comes back, and ctrl-p ctrl-q detaches leaving it running', async () => {
    const cli = startCli(['-p', project, 'attach', 'echo'], { cwd: dir, openStdin: true });
    cli.child.stdin!.write('hello\n');
    await eventually(() => expect(cli.output()).toContain('got hello'));
    cli.child.stdin!.write(Buffer.from([0x10, 0x11]));
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('read escape sequence');
    expect(run.stdout).not.toContain('bye');
    expect(running(container('echo'))).toBe('true');
  });

  it('Ctrl-C is forwarded to the container (--sig-proxy) and stack exits with its exit code', async () => {
    const cli = startCli(['-p', project, 'attach', '--no-stdin', 'ticker'], { cwd: dir });
    await eventually(() => expect(cli.output()).toContain('tick'));
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.stdout).toContain('caught INT');
    expect(run.code, run.stderr).toBe(3);
    expect(running(container('ticker'))).toBe('false');
  });

  it('--index picks the replica; with --sig-proxy=false Ctrl-C only ends the attach', async () => {
    const second = container('ticker', 2);
    const hostname = docker(['inspect', '-f', '{{.Config.Hostname}}', second]);
    const cli = startCli(['-p', project, 'attach', '--index', '2', '--sig-proxy=false', 'ticker'], { cwd: dir });
    await eventually(() => expect(cli.output()).toContain(`tick ${hostname}`));
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).not.toContain('caught INT');
    expect(running(second)).toBe('true');
  });

  it('a service with no running container is an error naming it', async () => {
    const run = await runCli(['-p', project, 'attach', 'idle'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('service "idle" is not running');
  });
});
