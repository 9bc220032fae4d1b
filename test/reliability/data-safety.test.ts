// Data safety: the data in named volumes survives every way of touching a project (no-op up,
// --force-recreate, an env change, an image change, stop/start, down without -v then up; the
// daemon restart is the seventh, in scripts/reliability-sweep.sh only). Anonymous-volume data
// is carried over on recreate and renewed only with -V; `down -v` never removes external
// volumes or another project's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_IMAGE, describeWithEngine, rawRequest, uniqueName } from '../support/engine.js';
import {
  cliBuilt,
  describeRun,
  randomPort,
  readProjectState,
  removeProjectDirect,
  removeProjectsWithPrefix,
  runOnVolume,
  runStack,
  stackArgs,
} from '../support/stack-cli.js';

const describeEngine = await describeWithEngine();
const PREFIX = uniqueName('rel-data');
const RUN_TIMEOUT = 120_000;

interface Inspect {
  Id: string;
  Mounts: { Type: string; Name?: string; Destination: string }[];
}

describeEngine('data safety', () => {
  const project = `${PREFIX}-main`;
  const imageRepo = `${PREFIX}/img`;
  const image = `${imageRepo}:latest`;
  const env: Record<string, string> = { WEB_PORT: String(randomPort()), REL_GEN: '1', REL_IMAGE: image };
  const survived: string[] = [];

  const up = async (...flags: string[]) => {
    const run = await runStack(stackArgs(project, ['up', '-d', ...flags]), { env, timeoutMs: RUN_TIMEOUT });
    expect(run.code, describeRun(run)).toBe(0);
  };
  const dbContainer = async (): Promise<Inspect> => {
    const res = await rawRequest({ path: `/containers/${project}-db-1/json` });
    expect(res.status, `${project}-db-1 exists`).toBe(200);
    return res.json as Inspect;
  };
  const scratchVolume = async () => (await dbContainer()).Mounts.find((m) => m.Destination === '/scratch')?.Name ?? '';
  const readSentinels = async () => ({
    dbdata: (await runOnVolume(`${project}_dbdata`, 'cat /data/sentinel')).trim(),
    shared: (await runOnVolume(`${project}_shared`, 'cat /data/sentinel')).trim(),
  });
  const expectIntact = async (what: string) => {
    expect(await readSentinels(), `named-volume data after ${what}`).toEqual({
      dbdata: 'sentinel-dbdata',
      shared: 'sentinel-shared',
    });
    const state = await readProjectState(project);
    expect(state.duplicates).toEqual([]);
    expect(state.containers.length).toBe(5);
    survived.push(what);
  };

  beforeAll(async () => {
    expect(cliBuilt(), 'the CLI is not built: run `npm run build`').toBe(true);
    const tag = await rawRequest({
      method: 'POST',
      path: `/images/${TEST_IMAGE}/tag?repo=${encodeURIComponent(imageRepo)}&tag=latest`,
    });
    expect(tag.status).toBe(201);
    await up();
    await runOnVolume(`${project}_dbdata`, 'echo sentinel-dbdata > /data/sentinel');
    await runOnVolume(`${project}_shared`, 'echo sentinel-shared > /data/sentinel');
  }, 200_000);

  afterAll(async () => {
    await removeProjectsWithPrefix(PREFIX);
    for (const tag of ['latest', 'alt'])
      await rawRequest({ method: 'DELETE', path: `/images/${imageRepo}:${tag}?force=1` }).catch(() => undefined);
    process.stdout.write(
      `[reliability] data safety: survived ${survived.length}/6 in this suite (${survived.join(', ')}); the daemon restart runs in scripts/reliability-sweep.sh\n`,
    );
  });

  it('survives a no-op up', async () => {
    const before = (await dbContainer()).Id;
    await up();
    expect((await dbContainer()).Id).toBe(before);
    await expectIntact('no-op up');
  }, 200_000);

  it('survives --force-recreate, and anonymous-volume data is carried over', async () => {
    const anon = await scratchVolume();
    await runOnVolume(anon, 'echo sentinel-anon > /data/a');
    const before = (await dbContainer()).Id;
    await up('--force-recreate');
    expect((await dbContainer()).Id).not.toBe(before);
    expect((await runOnVolume(await scratchVolume(), 'cat /data/a')).trim()).toBe('sentinel-anon');
    await expectIntact('--force-recreate');
  }, 200_000);

  it('survives an env change (a recreate of every service)', async () => {
    env['REL_GEN'] = '2';
    const before = (await dbContainer()).Id;
    await up();
    expect((await dbContainer()).Id).not.toBe(before);
    expect((await runOnVolume(await scratchVolume(), 'cat /data/a')).trim()).toBe('sentinel-anon');
    await expectIntact('env change');
  }, 200_000);

  it('survives an image change (the tag now points at another locally built image)', async () => {
    // A second local image: a commit of an unstarted container, so its ID differs.
    const created = await rawRequest({
      method: 'POST',
      path: '/containers/create',
      body: { Image: TEST_IMAGE, Labels: { 'dev.stack.test': PREFIX } },
    });
    const id = (created.json as { Id: string }).Id;
    const commit = await rawRequest({
      method: 'POST',
      path: `/commit?container=${id}&repo=${encodeURIComponent(imageRepo)}&tag=alt`,
      body: { Labels: { 'dev.stack.test.alt': '1' } },
    });
    expect(commit.status).toBe(201);
    await rawRequest({ method: 'DELETE', path: `/containers/${id}?force=1` });
    const retag = await rawRequest({
      method: 'POST',
      path: `/images/${imageRepo}:alt/tag?repo=${encodeURIComponent(imageRepo)}&tag=latest`,
    });
    expect(retag.status).toBe(201);
    const before = (await dbContainer()).Id;
    await up();
    expect((await dbContainer()).Id, 'an image change recreates the container').not.toBe(before);
    await expectIntact('image change');
  }, 200_000);

  it('survives stop then start', async () => {
    for (const command of [['stop'], ['start']]) {
      const run = await runStack(stackArgs(project, command), { env, timeoutMs: RUN_TIMEOUT });
      expect(run.code, describeRun(run)).toBe(0);
    }
    await up();
    await expectIntact('stop/start');
  }, 200_000);

  it('survives down without -v then up', async () => {
    const down = await runStack(stackArgs(project, ['down']), { env, timeoutMs: RUN_TIMEOUT });
    expect(down.code, describeRun(down)).toBe(0);
    expect((await readProjectState(project)).containers).toEqual([]);
    await up();
    await expectIntact('down then up');
  }, 200_000);

  it('renews anonymous volumes only with -V', async () => {
    const anon = await scratchVolume();
    await runOnVolume(anon, 'echo sentinel-anon-2 > /data/a');
    await up('--force-recreate', '-V');
    const renewed = await scratchVolume();
    expect(renewed).not.toBe(anon);
    expect((await runOnVolume(renewed, 'cat /data/a 2>/dev/null || echo none')).trim()).toBe('none');
    expect(await readSentinels()).toEqual({ dbdata: 'sentinel-dbdata', shared: 'sentinel-shared' });
  }, 200_000);

  it("down -v removes the project volumes but never an external volume or another project's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-rel-ext-'));
    const other = `${PREFIX}-other`;
    const ext = `${PREFIX}-external`;
    const own = `${PREFIX}-own`;
    try {
      await rawRequest({ method: 'POST', path: '/volumes/create', body: { Name: ext } });
      await rawRequest({
        method: 'POST',
        path: '/volumes/create',
        body: {
          Name: `${other}_data`,
          Labels: { 'com.docker.compose.project': other, 'com.docker.compose.volume': 'data' },
        },
      });
      const file = join(dir, 'stack.yaml');
      writeFileSync(
        file,
        [
          'services:',
          '  app:',
          `    image: ${TEST_IMAGE}`,
          `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]`,
          '    volumes: [data:/data, ext:/ext, other:/other]',
          'volumes:',
          '  data: {}',
          `  ext: { external: true, name: ${ext} }`,
          `  other: { external: true, name: ${other}_data }`,
          '',
        ].join('\n'),
      );
      const upRun = await runStack(['-f', file, '-p', own, 'up', '-d'], { timeoutMs: RUN_TIMEOUT });
      expect(upRun.code, describeRun(upRun)).toBe(0);
      const downRun = await runStack(['-f', file, '-p', own, 'down', '-v'], { timeoutMs: RUN_TIMEOUT });
      expect(downRun.code, describeRun(downRun)).toBe(0);
      expect((await rawRequest({ path: `/volumes/${ext}` })).status, 'external volume kept').toBe(200);
      expect((await rawRequest({ path: `/volumes/${other}_data` })).status, "another project's volume kept").toBe(200);
      expect((await rawRequest({ path: `/volumes/${own}_data` })).status, 'own volume removed').toBe(404);
    } finally {
      await removeProjectDirect(own);
      await removeProjectDirect(other);
      await rawRequest({ method: 'DELETE', path: `/volumes/${ext}?force=1` });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 200_000);

  afterAll(async () => {
    await removeProjectDirect(project);
  });
});
