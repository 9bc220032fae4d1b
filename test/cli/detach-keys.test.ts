import { describe, expect, it } from 'vitest';
import { detachFilter, parseDetachKeys } from '../../src/cli/commands/detach-keys.js';

async function through(sequence: number[], chunks: number[][]): Promise<{ out: number[]; detached: boolean }> {
  let detached = false;
  const filter = detachFilter(sequence, () => (detached = true));
  const out: number[] = [];
  filter.on('data', (b: Buffer) => out.push(...b));
  for (const chunk of chunks) filter.write(Buffer.from(chunk));
  filter.end();
  await new Promise((resolve) => filter.on('finish', resolve));
  return { out, detached };
}

describe('detach keys (attach)', () => {
  it("reads Docker's key names: ctrl-<x>, single characters, DEL; anything else is a usage error", () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([16, 17]);
    expect(parseDetachKeys('ctrl-@,a,ctrl-\\,DEL')).toEqual([0, 97, 28, 127]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => parseDetachKeys('alt-x')).toThrow(/unknown key "alt-x"/);
  });

  it('passes typed bytes through, holds a partial match, and detaches on the whole sequence without sending it', async () => {
    expect(await through([16, 17], [[104, 105, 16], [33]])).toEqual({ out: [104, 105, 16, 33], detached: false });
    expect(
      await through(
        [16, 17],
        [
          [104, 16],
          [17, 120],
        ],
      ),
    ).toEqual({ out: [104], detached: true });
    expect(await through([16, 17], [[16, 16, 17]])).toEqual({ out: [16], detached: true });
  });
});
