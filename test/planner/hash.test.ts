/**
 * The container hash is made in two steps for speed (the image key appended to a prefix made
 * before the image is known); it must equal its definition on any input, or existing
 * containers would be recreated.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Label } from '../../src/labels.js';
import { canonicalize, hashContainer } from '../../src/planner/hash.js';

/** JSON-like values with the ones canonicalize drops: undefined, null, false, '', [] and {}. */
const valueArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(undefined, null, false, true, '', 0, -0, 1.5, 'x', 'a"b\\u00e9\n'),
    fc.string(),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('a', 'B', '_', '10', '9')), tie('value'), {
      maxKeys: 5,
    }),
  ),
})).value;

describe('container hash', () => {
  const bodyArb = fc.record({
    Image: fc.string({ minLength: 1 }),
    Cmd: fc.option(fc.array(fc.string(), { maxLength: 2 }), { nil: undefined }),
    Entrypoint: fc.option(fc.array(fc.string(), { maxLength: 2 }), { nil: undefined }),
    Env: fc.array(fc.string(), { maxLength: 3 }),
    Labels: fc.dictionary(
      fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(Label.configHash, Label.dependsOn, Label.workingDir)),
      fc.string(),
      { maxKeys: 4 },
    ),
    HostConfig: valueArb,
  });
  const connectArb = fc.dictionary(fc.string({ maxLength: 4 }), fc.dictionary(fc.string(), valueArb, { maxKeys: 2 }), {
    maxKeys: 2,
  });

  /** The definition: the digest of the canonical JSON of the whole input, image key included. */
  function definition(
    body: Record<string, unknown>,
    connect: Record<string, unknown>,
    image: string,
    scheme: 'current' | 'former',
  ): string {
    const { Name: _name, ...rest } = body;
    const kept: string[] = [Label.dependsOn];
    const unhashed: string[] = [
      Label.configHash,
      Label.composeConfigHash,
      Label.replaces,
      Label.resourceHash,
      Label.workingDir,
      Label.configFiles,
      Label.composeVersion,
      Label.dependsOn,
    ];
    const labels = Object.fromEntries(
      Object.entries((rest['Labels'] ?? {}) as Record<string, string>).filter(
        ([k]) => !unhashed.includes(k) || (scheme === 'former' && kept.includes(k)),
      ),
    );
    const explicitEmpty = ['Cmd', 'Entrypoint'].filter((k) => Array.isArray(body[k]) && body[k].length === 0);
    const input = {
      body: { ...rest, Labels: labels },
      connect,
      image,
      ...(explicitEmpty.length ? { explicitEmpty } : {}),
    };
    return `v1:${createHash('sha256')
      .update(JSON.stringify(canonicalize(input)))
      .digest('hex')}`;
  }

  it('is the digest of the whole canonical input, for both schemes, any body, connect map and image key', () => {
    fc.assert(
      fc.property(
        bodyArb,
        connectArb,
        fc.string({ minLength: 1 }),
        fc.constantFrom('current' as const, 'former' as const),
        (body, connect, image, scheme) => {
          expect(hashContainer(body, connect, image, scheme)).toBe(definition(body, connect, image, scheme));
        },
      ),
      { numRuns: 500 },
    );
  });
});
