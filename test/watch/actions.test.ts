import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StackModel, WatchRule } from '../../src/model.js';
import type { Engine } from '../../src/engine/types.js';
import { bindRules, runInitialSync, runServiceActions } from '../../src/watch/actions.js';
import { planWatchWork } from '../../src/watch/rules.js';

/** An engine that records calls: two running replicas of every service. */
function fakeEngine(execExit = 0) {
  const calls: string[] = [];
  const engine = {
    endpoint: 'unix:///fake',
    async putArchive(id: string, tar: Buffer, path: string) {
      calls.push(`put ${id} at ${path} (${tar.length} bytes)`);
    },
    async listContainers(query: { filters: { label: string[] } }) {
      const service = query.filters.label.find((l) => l.startsWith('com.docker.compose.service='))!.split('=')[1]!;
      return [1, 2].map((n) => ({
        Id: `${service}${n}`,
        Names: [`/p-${service}-${n}`],
        Labels: { 'com.docker.compose.service': service },
      }));
    },
    async restartContainer(id: string, t?: number) {
      calls.push(`restart ${id} t=${t}`);
    },
    async createExec(id: string, body: { Cmd: string[]; User?: string }) {
      calls.push(`exec ${id} ${body.Cmd.join(' ')}${body.User ? ` as ${body.User}` : ''}`);
      return `x-${id}`;
    },
    async startExec() {
      const s = new PassThrough();
      s.end();
      return s;
    },
    async inspectExec() {
      return { ExitCode: execExit, Running: false };
    },
  } as unknown as Engine;
  return { engine, calls };
}

function model(dir: string, rules: WatchRule[], extra: Partial<StackModel['services'][string]> = {}): StackModel {
  const web = {
    name: 'web',
    envFiles: [],
    stopGracePeriod: 3e9,
    develop: { watch: rules },
    ...extra,
  } as unknown as StackModel['services'][string];
  return { name: 'p', workingDir: dir, configFiles: [], sourceFiles: [], services: { web } } as unknown as StackModel;
}

const base = { include: [], ignore: [], initialSync: false };

describe('develop.watch actions', () => {
  it('sync+restart copies into each replica, then restarts each with the stop grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-actions-'));
    writeFileSync(join(dir, 'a.js'), 'A');
    const m = model(dir, [{ ...base, action: 'sync+restart', path: dir, target: '/app' }]);
    const { rules } = await bindRules(m, []);
    const work = planWatchWork(
      [
        { kind: 'change', path: join(dir, 'a.js') },
        { kind: 'unlink', path: join(dir, 'gone.js') },
      ],
      new Set(),
      rules,
    );
    const { engine, calls } = fakeEngine();
    const done: string[] = [];
    expect(await runServiceActions(engine, m, work, done)).toBe(true);
    expect(calls).toEqual([
      'exec web1 rm -rf -- /app/gone.js',
      'exec web2 rm -rf -- /app/gone.js',
      'put web1 at / (2048 bytes)',
      'put web2 at / (2048 bytes)',
      'restart web1 t=3',
      'restart web2 t=3',
    ]);
    expect(done).toEqual(['synced 1 path, removed 1 path in web (2 replicas)', 'restarted web']);
  });

  it('sync+exec runs the command in each replica after the sync; a non-zero exit is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-actions-'));
    writeFileSync(join(dir, 'app.conf'), 'x');
    const m = model(dir, [
      {
        ...base,
        action: 'sync+exec',
        path: dir,
        target: '/etc/app',
        exec: { command: ['kill', '-HUP', '1'], user: 'root', environment: {} },
      },
    ]);
    const { rules } = await bindRules(m, []);
    const work = planWatchWork([{ kind: 'change', path: join(dir, 'app.conf') }], new Set(), rules);
    const { engine, calls } = fakeEngine(3);
    const done: string[] = [];
    expect(await runServiceActions(engine, m, work, done)).toBe(false);
    expect(calls.slice(2)).toEqual(['exec web1 kill -HUP 1 as root', 'exec web2 kill -HUP 1 as root']);
    expect(done.at(-1)).toMatch(/^`kill -HUP 1` in web exited 3/);
  });

  it('initial_sync copies the whole rule path once, filtered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-actions-'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', 'big.js'), 'x'.repeat(10_000));
    writeFileSync(join(dir, 'a.js'), 'A');
    writeFileSync(join(dir, 'b.js'), 'B');
    const m = model(dir, [{ ...base, action: 'sync', path: dir, target: '/app', initialSync: true }]);
    const { rules } = await bindRules(m, []);
    const { engine, calls } = fakeEngine();
    const done: string[] = [];
    expect(await runInitialSync(engine, m, rules, done)).toBe(true);
    expect(calls).toEqual(['put web1 at / (3072 bytes)', 'put web2 at / (3072 bytes)']);
    expect(done).toEqual(['synced 2 paths in web (2 replicas)']);
  });

  it('rules that cannot work are warned about and left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-actions-'));
    const m = model(dir, [
      { ...base, action: 'sync', path: dir },
      { ...base, action: 'sync+exec', path: dir, target: '/app' },
      { ...base, action: 'restart', path: dir },
    ]);
    const { rules, warnings } = await bindRules(m, []);
    expect(rules.map((r) => r.index)).toEqual([2]);
    expect(warnings.map((w) => [w.code, w.severity, w.message])).toEqual([
      [
        'INVALID_VALUE',
        'warning',
        'services.web.develop.watch[0]: action sync needs a target (the path in the container); this rule is ignored',
      ],
      [
        'INVALID_VALUE',
        'warning',
        'services.web.develop.watch[1]: action sync+exec needs exec.command; this rule is ignored',
      ],
    ]);
  });

  it("the build context .dockerignore applies to the service's rules", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-actions-'));
    writeFileSync(join(dir, '.dockerignore'), 'secret.txt\n');
    const m = model(dir, [{ ...base, action: 'rebuild', path: dir }], {
      build: { context: dir, args: {}, labels: {}, tags: [], extraHosts: [], cacheFrom: [], platforms: [] },
    } as never);
    const { rules } = await bindRules(m, []);
    expect(planWatchWork([{ kind: 'change', path: join(dir, 'secret.txt') }], new Set(), rules).rebuild).toEqual([]);
    expect(planWatchWork([{ kind: 'change', path: join(dir, 'main.go') }], new Set(), rules).rebuild).toEqual(['web']);
  });
});
