import { describe, expect, it } from 'vitest';
import { authForImage, normalizeRegistryKey, registryConfigForBuild } from '../../src/images/credentials.js';
import type { CredentialHelperRunner } from '../../src/images/credentials.js';
import {
  authKeyOf,
  digestFor,
  parseReference,
  pinReference,
  repositoryOf,
  withDefaultTag,
} from '../../src/image-ref.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('image references', () => {
  it('the first component is a registry only when it looks like a host', () => {
    expect(parseReference('nginx')).toEqual({ registry: 'docker.io', path: 'library/nginx' });
    expect(parseReference('team/app:1')).toEqual({ registry: 'docker.io', path: 'team/app', tag: '1' });
    expect(parseReference('127.0.0.1:5000/x:v1')).toEqual({ registry: '127.0.0.1:5000', path: 'x', tag: 'v1' });
    expect(parseReference('localhost/a@sha256:00')).toEqual({ registry: 'localhost', path: 'a', digest: 'sha256:00' });
    expect(repositoryOf('docker.io/library/nginx:1')).toBe('nginx');
    expect(withDefaultTag('127.0.0.1:5000/x')).toBe('127.0.0.1:5000/x:latest');
    expect(pinReference('127.0.0.1:5000/x:v1', 'sha256:ab')).toBe('127.0.0.1:5000/x@sha256:ab');
    expect(pinReference('nginx:1', 'sha256:ab')).toBe('nginx@sha256:ab');
    expect(authKeyOf('nginx')).toBe('https://index.docker.io/v1/');
    expect(digestFor('127.0.0.1:5000/x:v1', ['other@sha256:1', '127.0.0.1:5000/x@sha256:2'])).toBe('sha256:2');
  });
});

describe('registry credentials', () => {
  const none: CredentialHelperRunner = () => Promise.resolve(undefined);

  it('auths: base64 user:password, keys matched with or without scheme and path', async () => {
    const config = { auths: { 'https://registry.example.com/v2/': { auth: b64('me:s3:cret') } } };
    expect(normalizeRegistryKey('https://registry.example.com/v2/')).toBe('registry.example.com');
    expect(await authForImage('registry.example.com/app:1', config, none)).toEqual({
      username: 'me',
      password: 's3:cret',
      serveraddress: 'registry.example.com',
    });
    expect(await authForImage('other.example.com/app', config, none)).toBeUndefined();
  });

  it('Docker Hub credentials live under the legacy index key', async () => {
    const config = { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } };
    expect(await authForImage('nginx', config, none)).toMatchObject({ username: 'hub', password: 'pw' });
  });

  it('credHelpers win over credsStore, which wins over auths; <token> means an identity token', async () => {
    const calls: string[] = [];
    const run: CredentialHelperRunner = (helper, server) => {
      calls.push(`${helper} ${server}`);
      if (helper === 'ecr') return Promise.resolve({ Username: 'AWS', Secret: 'ecr-pw' });
      if (helper === 'desktop') return Promise.resolve({ Username: '<token>', Secret: 'refresh' });
      return Promise.resolve(undefined);
    };
    const config = {
      credsStore: 'desktop',
      credHelpers: { 'aws.example.com': 'ecr' },
      auths: { 'ghcr.io': { auth: b64('u:p') } },
    };
    expect(await authForImage('aws.example.com/x', config, run)).toEqual({
      username: 'AWS',
      password: 'ecr-pw',
      serveraddress: 'aws.example.com',
    });
    expect(await authForImage('ghcr.io/x', config, run)).toEqual({
      identitytoken: 'refresh',
      serveraddress: 'ghcr.io',
    });
    expect(calls).toEqual(['ecr aws.example.com', 'desktop ghcr.io']);
  });

  it('a helper that knows nothing falls through to auths', async () => {
    const config = { credsStore: 'missing-helper', auths: { 'ghcr.io': { auth: b64('u:p') } } };
    expect(await authForImage('ghcr.io/x', config, none)).toMatchObject({ username: 'u', password: 'p' });
  });

  it('a build gets credentials for every registry named in auths and credHelpers', async () => {
    const config = { auths: { 'ghcr.io': { auth: b64('u:p') }, 'empty.io': {} } };
    expect(await registryConfigForBuild(config, none)).toEqual({
      'ghcr.io': { username: 'u', password: 'p', serveraddress: 'ghcr.io' },
    });
  });
});
