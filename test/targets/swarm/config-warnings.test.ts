// `config` with a listing flag (`--services`, `-q`, `--images`, ...) on a file that selects the
// swarm target with `x-stack`: the warnings are the swarm target's, not the local target's
// "not implemented" for the deploy keys Swarm implements. Through the built CLI; no engine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack } from '../../support/stack-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-swarm-config-warnings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'stack.yaml'),
  [
    'x-stack: { target: swarm }',
    'services:',
    '  db:',
    '    image: busybox',
    '  web:',
    '    image: busybox',
    '    depends_on:',
    '      db: { condition: service_healthy }',
    '    deploy:',
    '      endpoint_mode: dnsrr',
    '      placement: { constraints: ["node.role == worker"] }',
    '',
  ].join('\n'),
);

describe('config listing flags on a file that selects swarm', () => {
  it.each([['--services'], ['-q'], ['--images'], ['--networks']])(
    'config %s warns as the swarm target: no "not implemented" for deploy keys Swarm honours, its own warnings kept',
    async (flag) => {
      const run = await runStack(['config', flag], { cwd: dir, env: { STACK_MODEL_CACHE: '0' } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain('endpoint_mode');
      expect(run.stderr).not.toContain('deploy.placement');
      expect(run.stderr).toContain('Swarm has no "service_healthy"');
      if (flag === '--services') expect(run.stdout).toBe('db\nweb\n');
    },
  );

  it('viz warns as the swarm target too', async () => {
    const run = await runStack(['viz'], { cwd: dir, env: { STACK_MODEL_CACHE: '0' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('endpoint_mode');
    expect(run.stderr).toContain('Swarm has no "service_healthy"');
    expect(run.stdout).toContain('digraph');
  });

  it.each([
    ['x-stack', 'x-stack: { target: swarm }\n', []],
    ['--target swarm', '', ['--target', 'swarm']],
  ])(
    'config -q and --services validate for swarm (%s): what Swarm cannot honour is exit 2 with file:line:col; the local target accepts it',
    async (_how, head, flags) => {
      const sub = mkdtempSync(join(dir, 'invalid-'));
      writeFileSync(
        join(sub, 'stack.yaml'),
        `${head}services:\n  web:\n    image: busybox\n    container_name: fixed\n`,
      );
      for (const args of [
        ['config', '-q'],
        ['config', '--services'],
      ]) {
        const run = await runStack([...flags, ...args], { cwd: sub, env: { STACK_MODEL_CACHE: '0' } });
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toMatch(
          /stack\.yaml:\d+:5 error\[UNSUPPORTED_KEY\] service "web": "container_name" is not supported on Swarm/,
        );
        expect(run.stdout).toBe('');
      }
      if (head === '') {
        const local = await runStack(['config', '-q'], { cwd: sub, env: { STACK_MODEL_CACHE: '0' } });
        expect(local.code, local.stderr).toBe(0);
      }
    },
  );
});
