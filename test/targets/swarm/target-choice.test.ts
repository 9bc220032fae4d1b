// Which target a command that loads the stack runs on (plan, up, config), and which load it
// makes: the swarm target chosen by the file itself must not load the local model as well.
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { loadForTarget } from '../../../src/cli/commands/swarm.js';
import type { StackModel } from '../../../src/model.js';
import type { SwarmLoad } from '../../../src/targets/swarm/commands.js';

const model = (target?: string) =>
  ({ name: 'demo', services: {}, warnings: [], extensions: target ? { 'x-stack': { target } } : {} }) as Pick<
    StackModel,
    'name' | 'services' | 'warnings' | 'extensions'
  >;

/** A CLI context whose loads are counted: `cached` is what the cache holds for the swarm kind. */
function context(options: { file?: string; cached?: string; flag?: string; env?: Record<string, string> }) {
  const calls = { loadModel: 0, peek: 0 };
  const ctx = {
    globals: { ...(options.flag ? { target: options.flag } : {}) },
    env: options.env ?? {},
    loadModel: () => {
      calls.loadModel++;
      return Promise.resolve(model(options.file));
    },
    peekCached: () => {
      calls.peek++;
      const cached = options.cached === undefined ? undefined : { model: model(options.cached) };
      return Promise.resolve(cached as SwarmLoad | undefined);
    },
    printWarnings: () => undefined,
  } as unknown as CliContext;
  return { ctx, calls };
}

describe('loadForTarget', () => {
  it('x-stack: swarm in the file, the swarm load cached: swarm, from the cache, without loading the local model', async () => {
    const { ctx, calls } = context({ file: 'swarm', cached: 'swarm' });
    const chosen = await loadForTarget(ctx, []);
    expect(chosen.target).toBe('swarm');
    expect(chosen.target === 'swarm' && chosen.loaded?.model.extensions).toEqual({ 'x-stack': { target: 'swarm' } });
    expect(calls).toEqual({ loadModel: 0, peek: 1 });
  });

  it('x-stack: swarm in the file, nothing cached: the local model decides, the swarm load is left to the target', async () => {
    const { ctx, calls } = context({ file: 'swarm' });
    expect(await loadForTarget(ctx, [])).toEqual({ target: 'swarm' });
    expect(calls).toEqual({ loadModel: 1, peek: 1 });
  });

  it('a file without x-stack is local, even when a swarm entry of it is cached (left by --target swarm)', async () => {
    const { ctx, calls } = context({});
    const stale = context({ cached: 'local' });
    expect((await loadForTarget(ctx, [])).target).toBe('local');
    expect(await loadForTarget(stale.ctx, [])).toEqual({ target: 'local', model: model() });
    expect([calls.loadModel, stale.calls.loadModel]).toEqual([1, 1]);
  });

  it('--target or STACK_TARGET decide without the file: swarm loads nothing here, local loads the model', async () => {
    for (const options of [{ flag: 'swarm' }, { env: { STACK_TARGET: 'swarm' } }]) {
      const { ctx, calls } = context({ ...options, file: 'local', cached: 'swarm' });
      expect(await loadForTarget(ctx, [])).toEqual({ target: 'swarm' });
      expect(calls).toEqual({ loadModel: 0, peek: 0 });
    }
    const { ctx, calls } = context({ flag: 'local', file: 'swarm', cached: 'swarm' });
    expect((await loadForTarget(ctx, [])).target).toBe('local');
    expect(calls).toEqual({ loadModel: 1, peek: 0 });
  });
});
