/**
 * The real credential-helper runner (runCredentialHelper, the default of authForImage and
 * registryConfigForBuild): an executable `docker-credential-stacktest` on PATH speaking the
 * helper protocol (`get`, the server URL on stdin, JSON on stdout; "credentials not found"
 * and exit 1 when it knows nothing), and a temp DOCKER_CONFIG whose config.json names it
 * under `credHelpers` or `credsStore`. No fake runner: the child process is really spawned.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authForImage,
  credentialHelperRunner,
  readDockerConfig,
  registryConfigForBuild,
  runCredentialHelper,
} from '../../src/images/credentials.js';

// The helper logs each call (argv and stdin) and answers from a fixed table.
const HELPER = `#!/bin/sh
server=$(cat)
printf '%s %s\\n' "$1" "$server" >> "$STACKTEST_HELPER_LOG"
if [ "$1" != get ]; then echo "unsupported action $1" >&2; exit 2; fi
case "$server" in
  registry.example.com) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}\\n' "$server" ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token"}\\n' "$server" ;;
  store.example.com) printf '{"ServerURL":"%s","Username":"store-user","Secret":"store-secret"}\\n' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

describe('credential helpers, run for real', () => {
  let root: string;
  let log: string;
  const saved = { PATH: process.env['PATH'], STACKTEST_HELPER_LOG: process.env['STACKTEST_HELPER_LOG'] };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'stack-credhelper-'));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'docker-credential-stacktest'), HELPER);
    chmodSync(join(bin, 'docker-credential-stacktest'), 0o755);
    log = join(root, 'calls.log');
    writeFileSync(log, '');
    // runCredentialHelper spawns with the process environment: PATH and the log go there.
    process.env['PATH'] = `${bin}${delimiter}${saved.PATH ?? ''}`;
    process.env['STACKTEST_HELPER_LOG'] = log;
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });

  /** A DOCKER_CONFIG dir holding `config`, read back the way ensureImages reads it. */
  function dockerConfig(name: string, config: unknown): Record<string, string> {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    return { DOCKER_CONFIG: dir };
  }
  const calls = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

  it('credHelpers: the helper is asked `get` with the registry on stdin and its answer becomes the credentials', async () => {
    writeFileSync(log, '');
    const config = await readDockerConfig(
      dockerConfig('helpers', {
        credHelpers: { 'registry.example.com': 'stacktest', 'token.example.com': 'stacktest' },
      }),
    );
    expect(await authForImage('registry.example.com/team/app:1', config)).toEqual({
      username: 'helper-user',
      password: 'helper-secret',
      serveraddress: 'registry.example.com',
    });
    expect(await authForImage('token.example.com/app', config)).toEqual({
      identitytoken: 'refresh-token',
      serveraddress: 'token.example.com',
    });
    expect(calls()).toEqual(['get registry.example.com', 'get token.example.com']);
    // A registry the config does not name is anonymous and the helper is not asked.
    expect(await authForImage('elsewhere.example.com/app', config)).toBeUndefined();
    expect(calls()).toHaveLength(2);
  });

  it('credsStore: used for any registry; "credentials not found" (exit 1) gives no credentials, not an error', async () => {
    writeFileSync(log, '');
    const config = await readDockerConfig(dockerConfig('store', { credsStore: 'stacktest' }));
    expect(await authForImage('store.example.com/app:2', config)).toEqual({
      username: 'store-user',
      password: 'store-secret',
      serveraddress: 'store.example.com',
    });
    await expect(authForImage('unknown.example.com/app', config)).resolves.toBeUndefined();
    expect(await runCredentialHelper('stacktest', 'unknown.example.com')).toBeUndefined();
    expect(calls()).toEqual(['get store.example.com', 'get unknown.example.com', 'get unknown.example.com']);
  });

  it('a helper that does not know the registry falls through to auths; a helper that is not installed is skipped', async () => {
    writeFileSync(log, '');
    const b64 = Buffer.from('plain-user:plain-pw').toString('base64');
    const config = await readDockerConfig(
      dockerConfig('fallthrough', {
        credHelpers: { 'unknown.example.com': 'stacktest', 'missing.example.com': 'not-installed-stacktest' },
        auths: { 'unknown.example.com': { auth: b64 }, 'missing.example.com': { auth: b64 } },
      }),
    );
    expect(await authForImage('unknown.example.com/app', config)).toEqual({
      username: 'plain-user',
      password: 'plain-pw',
      serveraddress: 'unknown.example.com',
    });
    expect(await authForImage('missing.example.com/app', config)).toEqual({
      username: 'plain-user',
      password: 'plain-pw',
      serveraddress: 'missing.example.com',
    });
    expect(calls()).toEqual(['get unknown.example.com']);
  });

  it('a build gets X-Registry-Config entries from the real helper for every credHelpers registry it knows', async () => {
    writeFileSync(log, '');
    const config = await readDockerConfig(
      dockerConfig('build', {
        credHelpers: { 'https://registry.example.com/v2/': 'stacktest', 'unknown.example.com': 'stacktest' },
      }),
    );
    expect(await registryConfigForBuild(config)).toEqual({
      'registry.example.com': {
        username: 'helper-user',
        password: 'helper-secret',
        serveraddress: 'registry.example.com',
      },
    });
    expect(calls().sort()).toEqual(['get registry.example.com', 'get unknown.example.com']);
  });

  it("a library caller's environment is the helper's: found on its PATH, run with its variables", async () => {
    const own = join(root, 'own-log');
    writeFileSync(own, '');
    writeFileSync(log, '');
    // PATH without the helper's directory: only the passed environment can find it.
    const env = { PATH: `${join(root, 'bin')}${delimiter}${saved.PATH ?? ''}`, STACKTEST_HELPER_LOG: own };
    const previous = process.env['PATH'];
    process.env['PATH'] = saved.PATH;
    try {
      expect(await runCredentialHelper('stacktest', 'registry.example.com')).toBeUndefined();
      expect(await credentialHelperRunner(env)('stacktest', 'registry.example.com')).toEqual({
        Username: 'helper-user',
        Secret: 'helper-secret',
      });
    } finally {
      process.env['PATH'] = previous;
    }
    expect(readFileSync(own, 'utf8')).toBe('get registry.example.com\n');
    expect(calls()).toEqual([]);
  });
});
