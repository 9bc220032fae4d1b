import { describe, expect, it } from 'vitest';
import { PullProgressState, formatBytes, isNotFoundMessage } from '../../src/images/pull-stream.js';

const item = (value: unknown) => ({ ok: true as const, value });

describe('pull progress', () => {
  it('sums bytes and finished layers across layers', () => {
    const state = new PullProgressState();
    state.push(item({ status: 'Pulling from x', id: 'v1' }));
    state.push(item({ status: 'Pulling fs layer', id: 'l1', progressDetail: {} }));
    state.push(item({ status: 'Pulling fs layer', id: 'l2', progressDetail: {} }));
    state.push(item({ status: 'Downloading', id: 'l1', progressDetail: { current: 500, total: 1000 } }));
    state.push(item({ status: 'Downloading', id: 'l2', progressDetail: { current: 100, total: 4000 } }));
    expect(state.summary()).toMatchObject({ layers: 2, layersDone: 0, current: 600, total: 5000 });
    state.push(item({ status: 'Pull complete', id: 'l1', progressDetail: {} }));
    state.push(item({ status: 'Already exists', id: 'l2', progressDetail: {} }));
    state.push(item({ status: `Digest: sha256:${'a'.repeat(64)}` }));
    state.push(item({ status: 'Status: Downloaded newer image for x:v1' }));
    expect(state.summary()).toMatchObject({ layers: 2, layersDone: 2, current: 5000, total: 5000 });
    expect(state.digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(state.updated).toBe(true);
  });

  it('an in-band error is captured; non-JSON lines are ignored', () => {
    const state = new PullProgressState();
    state.push({ ok: false, line: 'garbage' });
    state.push(
      item({ errorDetail: { message: 'manifest for x:nope not found: manifest unknown' }, error: 'manifest unknown' }),
    );
    expect(state.error).toBe('manifest for x:nope not found: manifest unknown');
    expect(isNotFoundMessage(state.error!)).toBe(true);
    expect(isNotFoundMessage('connection refused')).toBe(false);
  });

  it('bytes are formatted in SI units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(42_000_000)).toBe('42 MB');
  });
});
