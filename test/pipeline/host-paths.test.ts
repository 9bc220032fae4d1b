/**
 * The host paths of the plan's host-access notes are judged where they lead: symlinks made in
 * a temp project resolve to their targets, a missing tail is kept, a loop is judged as written.
 */
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realHostPath, resolveHostPaths } from '../../src/pipeline/host-paths.js';
import { planUp } from '../../src/planner/index.js';
import type { StackModel } from '../../src/model.js';
import { emptyObserved, image, model, service } from '../planner/helpers.js';

describe('resolveHostPaths', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'stack-host-paths-')));
  const project = join(base, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  symlinkSync('/etc', join(project, 'conf'));
  symlinkSync('/etc/shadow', join(project, 'secret.txt'));
  symlinkSync(join(project, 'src'), join(project, 'code'));
  symlinkSync('loop-b', join(project, 'loop-a'));
  symlinkSync('loop-a', join(project, 'loop-b'));
  writeFileSync(join(project, 'local.conf'), 'x\n');
  // the project reached through a symlink of its own
  symlinkSync(project, join(base, 'via'));

  it('follows symlinks, keeps a missing tail, and judges a loop as written', () => {
    expect(realHostPath(join(project, 'conf'))).toBe('/etc');
    expect(realHostPath(join(project, 'conf', 'not-there', 'x'))).toBe('/etc/not-there/x');
    expect(realHostPath(join(project, 'code', 'app.js'))).toBe(join(project, 'src', 'app.js'));
    expect(realHostPath(join(project, 'loop-a'))).toBe(join(project, 'loop-a'));
  });

  it('makes plan list a bind and a secret that lead out of the project through in-project symlinks, and nothing that stays in', () => {
    const via = join(base, 'via');
    const m: StackModel = {
      ...model('demo', [
        service('app', {
          volumes: [
            { type: 'bind', source: join(via, 'conf'), target: '/conf', readOnly: true },
            { type: 'bind', source: join(via, 'code'), target: '/code', readOnly: false },
            { type: 'bind', source: join(via, 'new-dir'), target: '/data', readOnly: false },
          ],
          secrets: [{ source: 'pw', target: '/run/secrets/pw' }],
          configs: [{ source: 'local', target: '/local.conf' }],
        }),
      ]),
      workingDir: via,
      secrets: { pw: { key: 'pw', name: 'demo_pw', external: false, file: join(via, 'secret.txt') } },
      configs: { local: { key: 'local', name: 'demo_local', external: false, file: join(via, 'local.conf') } },
    };
    const hostPaths = resolveHostPaths(m);
    expect(hostPaths.projectDir).toBe(project);
    expect(planUp(m, emptyObserved('demo', [image('app:latest')]), { hostPaths }).notes).toEqual([
      `service app gets host path /etc (through ${join(via, 'conf')}) (read-only)`,
      `service app gets host file /etc/shadow (through ${join(via, 'secret.txt')}) as secret pw`,
    ]);
  });
});
