import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WatchRule } from '../../src/model.js';
import { createPathFilter } from '../../src/watch/ignore.js';
import type { BoundRule, FileChange } from '../../src/watch/rules.js';
import { containerPath, matchRules, planWatchWork } from '../../src/watch/rules.js';
import { prepareSync, walkRule } from '../../src/watch/sync.js';

function rule(service: string, index: number, r: Partial<WatchRule> & Pick<WatchRule, 'action' | 'path'>): BoundRule {
  const full: WatchRule = { include: [], ignore: [], initialSync: false, ...r };
  return {
    service,
    index,
    rule: full,
    filter: createPathFilter({ root: full.path, ignore: full.ignore, include: full.include }),
  };
}

const change = (path: string, kind: FileChange['kind'] = 'change'): FileChange => ({ kind, path });

describe('rule matching', () => {
  const web = rule('web', 0, { action: 'sync', path: '/p/web/src', target: '/app/src', ignore: ['*.test.js'] });
  const webPkg = rule('web', 1, { action: 'rebuild', path: '/p/web/package.json' });
  const api = rule('api', 0, { action: 'sync+restart', path: '/p/api', target: '/srv' });

  it('a path matches the rules whose path contains it and whose filter accepts it', () => {
    expect(matchRules([web, webPkg, api], '/p/web/src/a.js')).toEqual([web]);
    expect(matchRules([web, webPkg, api], '/p/web/src/a.test.js')).toEqual([]);
    expect(matchRules([web, webPkg, api], '/p/web/package.json')).toEqual([webPkg]);
    expect(matchRules([web, webPkg, api], '/p/web/src-other/a.js')).toEqual([]);
    expect(matchRules([web, webPkg, api], '/p/api/node_modules/x/index.js')).toEqual([]);
  });

  it('container paths join the target and the path relative to the rule', () => {
    expect(containerPath(web.rule, '/p/web/src/lib/a.js')).toBe('/app/src/lib/a.js');
    expect(containerPath(web.rule, '/p/web/src')).toBe('/app/src');
    expect(containerPath(web.rule, '/p/other.js')).toBeUndefined();
    expect(containerPath(webPkg.rule, '/p/web/package.json')).toBeUndefined();
  });

  it('a stack source change asks for a reload; rule paths ask for their actions', () => {
    const work = planWatchWork(
      [change('/p/stack.yaml'), change('/p/web/src/a.js'), change('/p/web/src/a.js', 'unlink'), change('/p/api/x.py')],
      new Set(['/p/stack.yaml']),
      [web, webPkg, api],
    );
    expect(work.sources).toEqual(['/p/stack.yaml']);
    expect(work.rebuild).toEqual([]);
    expect(work.syncs.map((s) => [s.service, s.paths])).toEqual([
      ['api', ['/p/api/x.py']],
      ['web', ['/p/web/src/a.js']],
    ]);
    expect(work.restart).toEqual(['api']);
    expect(work.changed).toEqual(['/p/stack.yaml', '/p/web/src/a.js', '/p/api/x.py']);
  });

  it("a rebuild wins over the same service's syncs in one batch", () => {
    const work = planWatchWork([change('/p/web/src/a.js'), change('/p/web/package.json')], new Set(), [
      web,
      webPkg,
      api,
    ]);
    expect(work.rebuild).toEqual(['web']);
    expect(work.syncs).toEqual([]);
  });

  it('sync+exec rules are listed for exec after their sync', () => {
    const ex = rule('web', 2, {
      action: 'sync+exec',
      path: '/p/web/conf',
      target: '/etc/app',
      exec: { command: ['kill', '-HUP', '1'], environment: {} },
    });
    const work = planWatchWork([change('/p/web/conf/a.conf')], new Set(), [ex]);
    expect(work.exec).toEqual([ex]);
    expect(work.syncs).toHaveLength(1);
    expect(work.restart).toEqual([]);
  });

  it('editor temp files never trigger anything', () => {
    const work = planWatchWork([change('/p/web/src/.a.js.swp'), change('/p/web/src/4913')], new Set(), [web]);
    expect(work.changed).toEqual([]);
  });
});

describe('preparing a sync', () => {
  it('copies what exists, removes what is gone, decided from disk at sync time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'stack-sync-'));
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'lib', 'a.js'), 'A');
    const r = rule('web', 0, { action: 'sync', path: root, target: '/app' });
    const prepared = await prepareSync(r, [join(root, 'lib', 'a.js'), join(root, 'gone.js'), join(root, 'lib')]);
    expect(prepared.copied).toEqual(['/app/lib/a.js', '/app/lib']);
    expect(prepared.removed).toEqual(['/app/gone.js']);
    expect(prepared.tar).toBeDefined();
  });

  it('initial sync walks the rule path with its filter, skipping node_modules and ignored files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'stack-walk-'));
    mkdirSync(join(root, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'x', 'i.js'), '');
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.js'), '');
    writeFileSync(join(root, 'src', 'a.log'), '');
    writeFileSync(join(root, 'src', '.a.js.swp'), '');
    const r = rule('web', 0, { action: 'sync', path: root, target: '/app', ignore: ['**/*.log'] });
    expect(await walkRule(r)).toEqual([join(root, 'src', 'a.js')]);
  });
});
