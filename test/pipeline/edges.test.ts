import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import { parseHost, resolveEndpoint } from '../../src/engine/endpoint.js';
import { negotiateApiVersion, toEngineError } from '../../src/engine/errors.js';
import { acquireLock } from '../../src/pipeline/lock.js';
import { parseStatus } from '../../src/engine/observe.js';
import { addWaitConditions, replicaNames } from '../../src/planner/wait-conditions.js';
import type { Plan } from '../../src/planner/types.js';
import type { StackModel } from '../../src/model.js';
import { LineSplitter, demuxFrames, readNdjson } from '../../src/engine/streams.js';

describe('streams', () => {
  it('an NDJSON object split across chunks is reassembled and a non-JSON line is reported, not thrown', async () => {
    async function* chunks() {
      yield Buffer.from('{"a":1}\n{"b"');
      yield Buffer.from(':2}\nnot json\n{"c":3}');
    }
    const items = [];
    for await (const item of readNdjson(chunks())) items.push(item);
    expect(items).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: true, value: { b: 2 } },
      { ok: false, line: 'not json' },
      { ok: true, value: { c: 3 } },
    ]);
  });

  it('a multi-byte character split across chunks survives', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('é\n');
    expect(splitter.push(bytes.subarray(0, 1))).toEqual([]);
    expect(splitter.push(bytes.subarray(1))).toEqual(['é']);
  });

  it('stdout/stderr frames are demultiplexed across chunk boundaries', async () => {
    const frame = (type: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = type;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]);
    async function* chunks() {
      yield all.subarray(0, 5);
      yield all.subarray(5, 15);
      yield all.subarray(15);
    }
    const out = [];
    for await (const f of demuxFrames(chunks())) out.push([f.stream, f.data.toString()]);
    expect(out).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
    ]);
  });
});

describe('engine endpoint and errors', () => {
  it('plain tcp:// is refused unless STACK_ALLOW_INSECURE_TCP=1; TLS is accepted', () => {
    expect(() => parseHost('tcp://10.0.0.1:2375', {})).toThrow(expect.objectContaining({ code: 'ENGINE_INSECURE' }));
    expect(parseHost('tcp://10.0.0.1:2375', { STACK_ALLOW_INSECURE_TCP: '1' })).toMatchObject({
      kind: 'tcp',
      tls: false,
      port: 2375,
    });
    expect(parseHost('tcp://10.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' })).toMatchObject({
      kind: 'tcp',
      tls: true,
      port: 2376,
      certPath: '/certs',
    });
    expect(parseHost('ssh://me@box:2222', {})).toMatchObject({ kind: 'ssh', host: 'box', port: 2222, username: 'me' });
    expect(parseHost('unix:///run/docker.sock', {})).toMatchObject({ kind: 'unix', socketPath: '/run/docker.sock' });
  });

  it('without DOCKER_HOST the current Docker context is used', () => {
    const home = mkdtempSync(join(tmpdir(), 'stack-home-'));
    mkdirSync(join(home, '.docker', 'contexts', 'meta', 'abc'), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    writeFileSync(
      join(home, '.docker', 'contexts', 'meta', 'abc', 'meta.json'),
      JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'unix:///ctx/docker.sock' } } }),
    );
    expect(resolveEndpoint({}, home)).toMatchObject({ kind: 'unix', socketPath: '/ctx/docker.sock' });
  });

  /** A Docker config dir with one context (meta under sha256(name), TLS files when given). */
  function contextStore(
    configDir: string,
    name: string,
    docker: Record<string, unknown>,
    tlsFiles: readonly string[] = [],
  ): string {
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(configDir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ currentContext: name }));
    writeFileSync(
      join(configDir, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker } }),
    );
    const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
    if (tlsFiles.length > 0) mkdirSync(tlsDir, { recursive: true });
    for (const file of tlsFiles) writeFileSync(join(tlsDir, file), `-- ${file} --\n`);
    return tlsDir;
  }

  it('a context with TLS material connects over TLS with its certificates; one without is refused as plain tcp', () => {
    const home = mkdtempSync(join(tmpdir(), 'stack-home-'));
    const tlsDir = contextStore(
      join(home, '.docker'),
      'secure',
      { Host: 'tcp://engine.example:2376', SkipTLSVerify: false },
      ['ca.pem', 'cert.pem', 'key.pem'],
    );
    expect(resolveEndpoint({}, home)).toEqual({
      kind: 'tcp',
      url: 'tcp://engine.example:2376',
      host: 'engine.example',
      port: 2376,
      tls: true,
      certPath: tlsDir,
    });
    // The context's TLS wins over DOCKER_CERT_PATH (the docker CLI ignores it for contexts).
    expect(resolveEndpoint({ DOCKER_CERT_PATH: '/elsewhere' }, home)).toMatchObject({ tls: true, certPath: tlsDir });

    const skip = mkdtempSync(join(tmpdir(), 'stack-home-'));
    contextStore(join(skip, '.docker'), 'lab', { Host: 'tcp://lab:2376', SkipTLSVerify: true });
    expect(resolveEndpoint({}, skip)).toMatchObject({ kind: 'tcp', tls: true, skipVerify: true, port: 2376 });

    const plain = mkdtempSync(join(tmpdir(), 'stack-home-'));
    contextStore(join(plain, '.docker'), 'plain', { Host: 'tcp://plain:2375', SkipTLSVerify: false });
    expect(() => resolveEndpoint({}, plain)).toThrow(expect.objectContaining({ code: 'ENGINE_INSECURE' }));
    expect(resolveEndpoint({ DOCKER_CONTEXT: 'default' }, plain)).toMatchObject({ kind: 'unix' });
  });

  it('DOCKER_CONFIG moves config.json, the contexts and the default DOCKER_CERT_PATH', () => {
    const home = mkdtempSync(join(tmpdir(), 'stack-home-'));
    const config = mkdtempSync(join(tmpdir(), 'stack-docker-config-'));
    // A context under ~/.docker that DOCKER_CONFIG must hide.
    contextStore(join(home, '.docker'), 'home-ctx', { Host: 'unix:///home/docker.sock' });
    const tlsDir = contextStore(config, 'moved', { Host: 'tcp://moved:2376' }, ['ca.pem', 'cert.pem', 'key.pem']);
    expect(resolveEndpoint({ DOCKER_CONFIG: config }, home)).toMatchObject({
      kind: 'tcp',
      host: 'moved',
      tls: true,
      certPath: tlsDir,
    });
    expect(resolveEndpoint({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'home-ctx' }, home)).not.toMatchObject({
      socketPath: '/home/docker.sock',
    });
    expect(resolveEndpoint({}, home)).toMatchObject({ kind: 'unix', socketPath: '/home/docker.sock' });
    // DOCKER_TLS_VERIFY without DOCKER_CERT_PATH: the certificates are in the config dir.
    expect(parseHost('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: config }, undefined, home)).toMatchObject(
      { tls: true, certPath: config },
    );
    expect(parseHost('tcp://h:2376', { DOCKER_TLS_VERIFY: '1' }, undefined, home)).toMatchObject({
      tls: true,
      certPath: join(home, '.docker'),
    });
    expect(parseHost('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: '' }, undefined, home)).toMatchObject({
      certPath: join(home, '.docker'),
    });
  });

  it('the API version is min(tested max, server), never below the server minimum', () => {
    expect(negotiateApiVersion('1.41')).toBe('1.41');
    expect(negotiateApiVersion('1.51', '1.44')).toBe('1.47');
    expect(negotiateApiVersion('1.40')).toBeUndefined();
  });

  it('connection errors become ENGINE_UNREACHABLE / ENGINE_PERMISSION; HTTP errors keep their status', () => {
    expect(
      toEngineError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'unix:///s', 'version'),
    ).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(toEngineError(Object.assign(new Error('x'), { code: 'EACCES' }), 'unix:///s', 'version')).toMatchObject({
      code: 'ENGINE_PERMISSION',
    });
    expect(
      toEngineError(
        Object.assign(new Error('x'), { statusCode: 409, json: { message: 'name in use' } }),
        'e',
        'container a',
      ),
    ).toMatchObject({ statusCode: 409, message: 'container a: name in use' });
  });

  it('the list Status text yields exit code and health', () => {
    expect(parseStatus('Exited (137) 3 seconds ago')).toEqual({ exitCode: 137 });
    expect(parseStatus('Up 2 minutes (healthy)')).toEqual({ health: 'healthy' });
    expect(parseStatus('Up 1 second (health: starting)')).toEqual({ health: 'starting' });
  });
});

describe('project lock', () => {
  it('a second run waits for the holder, naming it, and times out with LOCK_HELD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-lock-'));
    const first = await acquireLock('demo', { command: 'stack up', env: {}, dir });
    const told: string[] = [];
    const second = acquireLock('demo', {
      command: 'stack up',
      env: {},
      dir,
      timeoutMs: 200,
      onWait: (h) => told.push(`${h.pid} ${h.command}`),
    });
    await expect(second).rejects.toMatchObject({
      code: 'LOCK_HELD',
      message: expect.stringContaining(`pid ${process.pid} (stack up`),
    });
    expect(told).toEqual([`${process.pid} stack up`]);
    first.release();
    const third = await acquireLock('demo', { command: 'stack down', env: {}, dir });
    third.release();
    expect(existsSync(third.path)).toBe(false);
  });

  it("a dead holder's lock is taken over", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-lock-'));
    writeFileSync(
      join(dir, 'demo.lock'),
      JSON.stringify({ stack: 'project-lock', pid: 2 ** 22 + 12345, command: 'stack up', started: 'then', host: '' }),
    );
    const lock = await acquireLock('demo', { command: 'stack up', env: {}, dir, timeoutMs: 500 });
    lock.release();
  });

  it('waiting stops when interrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-lock-'));
    const first = await acquireLock('demo', { command: 'stack up', env: {}, dir });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(acquireLock('demo', { command: 'x', env: {}, dir, signal: controller.signal })).rejects.toBeInstanceOf(
      StackError,
    );
    first.release();
  });
});

describe('replicas waited for', () => {
  const model = {
    name: 'p',
    services: {
      web: { name: 'web', replicas: 1, dependsOn: {} },
      job: { name: 'job', replicas: 1, containerName: 'the-job', dependsOn: {} },
    },
  } as unknown as StackModel;

  it("up --scale counts win over the file's replicas (0 means nothing to wait for)", () => {
    expect(replicaNames(model, 'web')).toEqual(['p-web-1']);
    expect(replicaNames(model, 'web', { web: 3 })).toEqual(['p-web-1', 'p-web-2', 'p-web-3']);
    expect(replicaNames(model, 'web', { web: 0 })).toEqual([]);
    expect(replicaNames(model, 'web', { other: 2 })).toEqual(['p-web-1']);
    expect(replicaNames(model, 'job', { job: 0 })).toEqual([]);
    expect(replicaNames(model, 'job')).toEqual(['the-job']);
  });

  it('a start is not made to wait on a dependency this plan leaves out (up --no-deps web)', () => {
    const withDeps = {
      ...model,
      services: {
        ...model.services,
        web: {
          name: 'web',
          replicas: 1,
          dependsOn: { db: { condition: 'service_started', required: true, restart: false } },
        },
        db: { name: 'db', replicas: 1, dependsOn: {} },
      },
    } as unknown as StackModel;
    const reason = { code: 'missing', detail: '' } as const;
    const onlyWeb: Plan = {
      version: 1,
      project: 'p',
      notes: [],
      orphans: [],
      actions: [
        {
          id: 1,
          kind: 'start-container',
          resource: 'service:web:1',
          name: 'p-web-1',
          reason,
          dependsOn: [],
          destructive: false,
        },
      ],
    } as unknown as Plan;
    const out = addWaitConditions(onlyWeb, withDeps).actions[0]!;
    expect(out.kind === 'start-container' ? out.waitFor : 'not a start').toBeUndefined();
  });
});
