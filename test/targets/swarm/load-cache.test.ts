/**
 * The swarm target's load through the CLI's model cache: a hit gives exactly what a fresh load
 * gives (the model, the `deploy:` keys read from the raw files, the diagnostics at their
 * file:line:col, the variables the target reads itself), and any change to the file, `.env` or
 * a variable it used is a miss.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadResultThroughCache, loadThroughCache } from '../../../src/cli/model-cache.js';
import type { LoadOptions } from '../../../src/loader/load.js';
import { loadStack } from '../../../src/loader/load.js';
import { loadForSwarm } from '../../../src/targets/swarm/commands.js';
import type { SwarmLoad } from '../../../src/targets/swarm/commands.js';

let dir: string;
let cacheDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stack-swarm-load-cache-'));
  cacheDir = join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The swarm load through the cache, as the CLI makes it; says whether the files were loaded. */
async function load(env: Record<string, string | undefined>): Promise<{ hit: boolean; loaded: SwarmLoad }> {
  let loads = 0;
  const options: LoadOptions = { cwd: dir, env };
  const loaded = await loadResultThroughCache(
    options,
    'swarm',
    (full) => {
      loads++;
      return loadForSwarm(full);
    },
    { buildId: 'test-build', dir: cacheDir },
  );
  return { hit: loads === 0, loaded };
}

const FILE = [
  'services:',
  '  web:',
  '    image: registry.example/web:1',
  '    privileged: true',
  '    secrets: [token]',
  '    deploy:',
  '      replicas: ${REPLICAS:-2}',
  '      endpoint_mode: dnsrr',
  '      labels: { tier: front }',
  '      update_config: { parallelism: 2, delay: 5s }',
  'secrets:',
  '  token:',
  '    environment: TOKEN',
  '',
].join('\n');

describe('the swarm load through the model cache', () => {
  it('a hit gives what a fresh load gives: deploy keys, diagnostics at their position, the variables read', async () => {
    writeFileSync(join(dir, 'stack.yaml'), FILE);
    writeFileSync(join(dir, '.env'), 'TOKEN=from-dotenv\n');
    const env = { HOME: dir };
    const first = await load(env);
    expect(first.hit).toBe(false);
    const second = await load(env);
    expect(second.hit).toBe(true);
    expect(second.loaded).toEqual(await loadForSwarm({ cwd: dir, env }));
    expect(second.loaded.deploys['web']).toMatchObject({
      endpointMode: 'dnsrr',
      labels: { tier: 'front' },
      updateConfig: { parallelism: 2, delay: 5e9 },
    });
    const problem = second.loaded.problems.find((p) => p.code === 'UNSUPPORTED_KEY' && p.severity === 'error');
    expect(problem?.location).toEqual({ file: join(dir, 'stack.yaml'), line: 4, col: 5 });
    expect(second.loaded.variables).toEqual({ TOKEN: 'from-dotenv' });
  });

  it('misses on a changed deploy key, .env value or shell variable the load or the target used', async () => {
    writeFileSync(join(dir, 'stack.yaml'), FILE);
    const env = { HOME: dir, UNRELATED: 'x' };
    expect((await load(env)).hit).toBe(false);
    expect((await load({ ...env, UNRELATED: 'y' })).hit).toBe(true);

    writeFileSync(join(dir, 'stack.yaml'), FILE.replace('tier: front', 'tier: back'));
    const edited = await load(env);
    expect(edited.hit).toBe(false);
    expect(edited.loaded.deploys['web']?.labels).toEqual({ tier: 'back' });
    expect((await load(env)).hit).toBe(true);

    writeFileSync(join(dir, '.env'), 'REPLICAS=5\n');
    const dotenv = await load(env);
    expect(dotenv.hit).toBe(false);
    expect(dotenv.loaded.model.services['web']?.replicas).toBe(5);

    // TOKEN is read by the target (a secret's content), not by interpolation: still an input.
    const token = await load({ ...env, TOKEN: 'shell' });
    expect(token.hit).toBe(false);
    expect(token.loaded.variables).toEqual({ TOKEN: 'shell' });
    expect((await load({ ...env, TOKEN: 'shell' })).hit).toBe(true);
    expect((await load({ ...env, TOKEN: 'other' })).loaded.variables).toEqual({ TOKEN: 'other' });
  });

  it("the local target's entry and the swarm target's are apart: neither is read as the other", async () => {
    writeFileSync(join(dir, 'stack.yaml'), FILE);
    const options: LoadOptions = { cwd: dir, env: { HOME: dir } };
    const cache = { buildId: 'test-build', dir: cacheDir };
    const model = await loadThroughCache(options, (o) => loadStack(o), cache);
    const swarm = (await load({ HOME: dir })).loaded;
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    expect(await loadThroughCache(options, (o) => loadStack(o), cache)).toEqual(model);
    expect((await load({ HOME: dir })).loaded).toEqual(swarm);
  });
});
