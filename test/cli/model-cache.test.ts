/**
 * The model cache reuses a load only while every input it used is unchanged: the stack files,
 * `.env`, env_files, files that did NOT exist (an override created later), and the variables
 * looked up. Its entries never hold a value from the inputs in the clear.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadThroughCache, readCachedModel, recordInputs, writeCachedModel } from '../../src/cli/model-cache.js';
import { planUp } from '../../src/planner/index.js';
import type { LoadOptions } from '../../src/loader/load.js';
import { loadStack } from '../../src/loader/load.js';
import { emptyObserved } from '../planner/helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const BUILD = 'test-build';
let dir: string;
let cacheDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stack-model-cache-'));
  cacheDir = join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A load through the cache as the CLI does it; says whether it was a hit. */
async function load(
  env: Record<string, string | undefined>,
  extra: Partial<LoadOptions> = {},
): Promise<{ hit: boolean; model: unknown }> {
  const options: LoadOptions = { cwd: dir, env, ...extra };
  const cached = readCachedModel(cacheDir, BUILD, options);
  if (cached) return { hit: true, model: cached };
  const recorder = recordInputs();
  const model = await loadStack({ ...options, trace: recorder.tracer });
  writeCachedModel(cacheDir, BUILD, options, recorder.inputs(), model);
  return { hit: false, model };
}

describe('the model cache', () => {
  it('hits while nothing the load used changed, and misses on each input that did', async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      'services:\n  web:\n    image: busybox:${TAG:-1}\n    env_file: [app.env]\n',
    );
    writeFileSync(join(dir, 'app.env'), 'A=1\n');
    writeFileSync(join(dir, '.env'), 'TAG=2\n');
    const env = { HOME: dir, UNRELATED: 'x' };

    expect((await load(env)).hit).toBe(false);
    const second = await load(env);
    expect(second.hit).toBe(true);
    expect(second.model).toEqual((await loadStack({ cwd: dir, env })) as unknown);
    // a variable the load never looked up does not matter
    expect((await load({ ...env, UNRELATED: 'y' })).hit).toBe(true);

    // the shell variable that interpolation looked up
    expect((await load({ ...env, TAG: '3' })).hit).toBe(false);
    // .env
    writeFileSync(join(dir, '.env'), 'TAG=4\n');
    expect((await load(env)).hit).toBe(false);
    expect((await load(env)).hit).toBe(true);
    // an env_file
    writeFileSync(join(dir, 'app.env'), 'A=2\n');
    const afterEnvFile = await load(env);
    expect(afterEnvFile.hit).toBe(false);
    expect(
      (afterEnvFile.model as { services: { web: { environment: Record<string, string> } } }).services.web.environment[
        'A'
      ],
    ).toBe('2');
    // the stack file
    writeFileSync(
      join(dir, 'stack.yaml'),
      'services:\n  web:\n    image: busybox:${TAG:-1}\n    env_file: [app.env]\n    user: "1000"\n',
    );
    expect((await load(env)).hit).toBe(false);
    expect((await load(env)).hit).toBe(true);
    // a file that did not exist: the override, created now
    writeFileSync(join(dir, 'stack.override.yaml'), 'services:\n  web:\n    user: "2000"\n');
    const withOverride = await load(env);
    expect(withOverride.hit).toBe(false);
    expect((withOverride.model as { services: { web: { user: string } } }).services.web.user).toBe('2000');
    // the same options from another directory are another entry
    expect((await load(env, { cwd: join(dir, 'cache') })).hit).toBe(false);
  });

  it('never writes a value from .env or the shell in the clear, and a damaged entry is a miss', async () => {
    writeFileSync(
      join(dir, 'stack.yaml'),
      'services:\n  web:\n    image: busybox\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      TOKEN: ${TOKEN}\n',
    );
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=sentinel-dotenv-3141\n');
    const env = { TOKEN: 'sentinel-shell-2718' };
    await load(env);
    expect((await load(env)).hit).toBe(true);
    const entries = readdirSync(cacheDir);
    expect(entries).toHaveLength(1);
    const text = readFileSync(join(cacheDir, entries[0]!), 'utf8');
    expect(text).not.toContain('sentinel');
    expect(text).toContain('DB_PASSWORD'); // names of inputs are in the clear, values are not
    writeFileSync(join(cacheDir, entries[0]!), text.replace(/"data":"(.)/, '"data":"A$1'));
    expect((await load(env)).hit).toBe(false);
    writeFileSync(join(cacheDir, entries[0]!), '{not json');
    expect((await load(env)).hit).toBe(false);
  });

  it('keeps at most 256 entries: past that, the least recently written go, down to 192', async () => {
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox\n');
    for (let i = 0; i < 256; i++) await load({}, { projectName: `p${i}` });
    expect(readdirSync(cacheDir)).toHaveLength(256);
    await load({}, { projectName: 'p256' });
    // 257 entries: the 65 oldest removed at once, so the next 64 writes list but stat nothing.
    expect(readdirSync(cacheDir)).toHaveLength(192);
    expect((await load({}, { projectName: 'p256' })).hit).toBe(true);
    expect((await load({}, { projectName: 'p65' })).hit).toBe(true);
    expect((await load({}, { projectName: 'p64' })).hit).toBe(false);
    expect(readdirSync(cacheDir)).toHaveLength(193);
  }, 120_000);

  it('a cached model plans exactly like a fresh one, for every valid fixture', async () => {
    const fixtures = readdirSync(join(root, 'fixtures')).filter(
      (name) => existsSync(join(root, 'fixtures', name, 'stack.yaml')) && name !== 'invalid',
    );
    expect(fixtures.length).toBeGreaterThan(10);
    for (const name of fixtures) {
      const cwd = join(root, 'fixtures', name);
      const options: LoadOptions = {
        cwd,
        env: { HOME: dir, WEB_PORT: '18080' },
        projectName: 'cachecheck',
        profiles: ['*'],
      };
      let fresh;
      try {
        fresh = await loadStack(options);
      } catch {
        continue; // fixtures that need more variables are someone else's business
      }
      const roundTripped = JSON.parse(JSON.stringify(fresh)) as typeof fresh;
      expect(roundTripped, name).toEqual(fresh);
      const observed = emptyObserved('cachecheck');
      expect(JSON.stringify(planUp(roundTripped, observed, {})), name).toBe(
        JSON.stringify(planUp(fresh, observed, {})),
      );
    }
  });

  it('the built CLI uses it: the same output from a hit, a new one after an edit, nothing with STACK_MODEL_CACHE=0', () => {
    // Runs the built CLI: `npm test` builds first; a missing build fails, never skips.
    expect(existsSync(join(root, 'dist/stack.cjs')), 'dist/stack.cjs is missing: run `npm run build` first').toBe(true);
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox:1\n');
    const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'xdg'), NO_COLOR: '1' };
    const run = (extra: Record<string, string> = {}) =>
      spawnSync(process.execPath, [join(root, 'bin/stack.cjs'), 'config', '--images'], {
        cwd: dir,
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
    expect(run().stdout.trim()).toBe('busybox:1');
    expect(readdirSync(join(dir, 'xdg/stack/models'))).toHaveLength(1);
    expect(run().stdout.trim()).toBe('busybox:1');
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox:2\n');
    expect(run().stdout.trim()).toBe('busybox:2');
    rmSync(join(dir, 'xdg'), { recursive: true, force: true });
    expect(run({ STACK_MODEL_CACHE: '0' }).stdout.trim()).toBe('busybox:2');
    // (the code cache, xdg/stack/code, is another cache: test/cli/code-cache.test.ts)
    expect(existsSync(join(dir, 'xdg/stack/models'))).toBe(false);
  }, 120_000);

  /**
   * Replaces the honest entry at `path` with one anyone could write from public data: no
   * inputs, key = sha256 of the options as the entry's name is made (issue 20 item 3).
   */
  function forge(path: string, options: LoadOptions, model: unknown): void {
    const format = (JSON.parse(readFileSync(path, 'utf8')) as { format: number }).format;
    const { env: _env, trace: _trace, ...rest } = options;
    const key = createHash('sha256')
      .update(JSON.stringify([format, BUILD, rest]))
      .digest();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(model), 'utf8'), cipher.final()]);
    writeFileSync(
      path,
      JSON.stringify({
        format,
        inputs: { files: [], names: [], wholeEnv: false },
        mac: '',
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        data: data.toString('base64'),
      }),
      { mode: 0o600 },
    );
  }

  it('a forged entry (no inputs, key from public data) never runs: the key needs a per-user secret made 0600', async () => {
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox\n');
    const options: LoadOptions = { cwd: dir, env: {} };
    expect((await load({})).hit).toBe(false);
    expect((await load({})).hit).toBe(true);
    const entry = join(
      cacheDir,
      readdirSync(cacheDir).find((n) => n.endsWith('.json'))!,
    );
    // the per-user secret exists, 0600
    expect(statSync(join(dir, 'model-cache.key')).mode & 0o777).toBe(0o600);
    const honest = readFileSync(entry, 'utf8');

    const real = await loadStack(options);
    const evil = {
      ...real,
      services: Object.fromEntries(
        Object.entries(real.services).map(([name, s]) => [
          name,
          { ...s, privileged: true, command: ['sh', '-c', 'evil-from-nowhere'] },
        ]),
      ),
    };
    forge(entry, options, evil);
    expect(readCachedModel(cacheDir, BUILD, options)).toBeUndefined();
    const loaded = await loadThroughCache(options, (o) => loadStack(o), { buildId: BUILD, dir: cacheDir });
    expect(JSON.stringify(loaded)).not.toContain('evil-from-nowhere');

    // a tampered inputs list (an input dropped) is refused even with the right key material
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox:2\n');
    const tampered = honest.replace(/"files":\[[^\]]*\](,\[[^\]]*\])*\]/, '"files":[]');
    expect(tampered).not.toBe(honest);
    writeFileSync(entry, tampered);
    expect((await load({})).hit).toBe(false);
  });

  it('a cache directory or entry not owned by this user, or writable by others, is ignored with a one-line warning', async () => {
    writeFileSync(join(dir, 'stack.yaml'), 'services:\n  web:\n    image: busybox\n');
    const options: LoadOptions = { cwd: dir, env: {} };
    const warnings: string[] = [];
    const through = () =>
      loadThroughCache(options, (o) => loadStack(o), { buildId: BUILD, dir: cacheDir, warn: (m) => warnings.push(m) });
    await through();
    expect(readCachedModel(cacheDir, BUILD, options)).toBeDefined();
    expect(warnings).toEqual([]);

    chmodSync(cacheDir, 0o777);
    expect(readCachedModel(cacheDir, BUILD, options)).toBeUndefined();
    await through();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cache/);
    expect(warnings[0]).not.toContain('\n');
    chmodSync(cacheDir, 0o700);
    expect(readCachedModel(cacheDir, BUILD, options)).toBeDefined();

    const entry = join(
      cacheDir,
      readdirSync(cacheDir).find((n) => n.endsWith('.json'))!,
    );
    if (process.getuid?.() === 0) {
      chownSync(entry, 65534, 65534); // written by nobody, read by root
      expect(readCachedModel(cacheDir, BUILD, options)).toBeUndefined();
      chownSync(entry, 0, 0);
      chownSync(cacheDir, 65534, 65534); // a directory owned by another user
      expect(readCachedModel(cacheDir, BUILD, options)).toBeUndefined();
      chownSync(cacheDir, 0, 0);
    }
    chmodSync(entry, 0o666);
    expect(readCachedModel(cacheDir, BUILD, options)).toBeUndefined();
    await through();
    expect(warnings.length).toBeGreaterThanOrEqual(2);
  });
});
