// `stack exec` as scripts use it: stdin piped into the command when it is not a terminal
// (Compose's -i is on by default), `-e NAME` taking the caller's value, the command's exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, describeE2E, runCli } from './helpers.js';
import { uniqueName } from '../support/engine.js';

const describe = await describeE2E();

describe('stack exec pipes and passes like docker compose exec', () => {
  const project = uniqueName('e2e-exec');
  const dir = mkdtempSync(join(tmpdir(), 'stack-exec-'));
  beforeAll(async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      [
        'services:',
        '  db:',
        '    image: stack-test/busybox:latest',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '',
      ].join('\n'),
    );
    const up = await runCli(['-p', project, 'up', '-d'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(() => {
    cleanup(project);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exec -T with piped stdin feeds the command (a restore that restores)', async () => {
    const dump = Array.from({ length: 2000 }, (_, i) => `row ${i}`).join('\n') + '\n';
    const run = await runCli(['-p', project, 'exec', '-T', 'db', 'sh', '-c', 'cat > /restored; wc -l < /restored'], {
      cwd: dir,
      stdin: dump,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('2000');
  });

  it("-e NAME takes the caller's value; -e NAME=value as given; an unset NAME is left out", async () => {
    const run = await runCli(
      [
        '-p',
        project,
        'exec',
        '-T',
        '-e',
        'FROM_CALLER',
        '-e',
        'GIVEN=x',
        '-e',
        'UNSET_HERE',
        'db',
        'sh',
        '-c',
        'echo "$FROM_CALLER|$GIVEN|${UNSET_HERE-unset}"',
      ],
      { cwd: dir, env: { FROM_CALLER: 'caller-value', UNSET_HERE: undefined } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('caller-value|x|unset');
  });

  it('-T, --no-tty and the legacy --no-TTY run without a TTY, as Compose spells them', async () => {
    for (const flag of ['-T', '--no-tty', '--no-TTY']) {
      const run = await runCli(['-p', project, 'exec', flag, 'db', 'sh', '-c', '[ -t 1 ] && echo tty || echo no-tty'], {
        cwd: dir,
        stdin: '',
      });
      expect(run.code, `${flag}: ${run.stderr}`).toBe(0);
      expect(run.stdout.trim(), flag).toBe('no-tty');
    }
  });

  it("exits with the command's exit code", async () => {
    const run = await runCli(['-p', project, 'exec', '-T', 'db', 'sh', '-c', 'exit 7'], { cwd: dir, stdin: '' });
    expect(run.code).toBe(7);
  });
});
