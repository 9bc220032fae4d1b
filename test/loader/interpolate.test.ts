import { describe, expect, it } from 'vitest';
import { interpolateData, interpolateString } from '../../src/loader/interpolate.js';
import { parseStackFile } from '../../src/loader/parse.js';

const env = { SET: 'value', EMPTY: '', DOLLAR: '$OTHER ${SET}', OTHER: 'no' };

function expand(template: string): string {
  const result = interpolateString(template, env);
  if ('error' in result) throw new Error(result.error.code);
  return result.value;
}

function errorCode(template: string): string | undefined {
  const result = interpolateString(template, env);
  return 'error' in result ? result.error.code : undefined;
}

describe('interpolateString', () => {
  it('substitutes $V and ${V}, unset variables become empty', () => {
    expect(expand('a-$SET-${SET}-$UNSET-${UNSET}-')).toBe('a-value-value---');
  });

  it('turns $$ into a literal $ without substituting', () => {
    expect(expand('$$SET and $${SET}')).toBe('$SET and ${SET}');
  });

  it('applies :- when unset or empty and - only when unset', () => {
    expect(expand('${UNSET:-d} ${EMPTY:-d} ${SET:-d}')).toBe('d d value');
    expect(expand('${UNSET-d}|${EMPTY-d}|${SET-d}')).toBe('d||value');
  });

  it('applies :+ when set and non-empty and + when set', () => {
    expect(expand('${UNSET:+a}|${EMPTY:+a}|${SET:+a}')).toBe('||a');
    expect(expand('${UNSET+a}|${EMPTY+a}|${SET+a}')).toBe('|a|a');
  });

  it('expands nested defaults', () => {
    expect(expand('${UNSET:-${ALSO_UNSET:-x}}')).toBe('x');
    expect(expand('${UNSET:-${SET}/$SET}')).toBe('value/value');
    expect(expand('${UNSET:-}')).toBe('');
  });

  it('never re-interpolates a substituted value', () => {
    expect(expand('${DOLLAR}')).toBe('$OTHER ${SET}');
    expect(expand('${UNSET:-$DOLLAR}')).toBe('$OTHER ${SET}');
  });

  it('requires variables with :? and ? only when they are used', () => {
    expect(errorCode('${UNSET:?need it}')).toBe('INTERPOLATION_REQUIRED');
    expect(errorCode('${EMPTY:?need it}')).toBe('INTERPOLATION_REQUIRED');
    expect(errorCode('${UNSET?need it}')).toBe('INTERPOLATION_REQUIRED');
    expect(expand('${EMPTY?need it}|${SET:?x}')).toBe('|value');
    expect(expand('${SET:-${UNSET:?never evaluated}}')).toBe('value');
  });

  it('includes the user message of a required variable', () => {
    const result = interpolateString('${DB_PASSWORD:?set the database password}', {});
    expect('error' in result && result.error.message).toContain('set the database password');
  });

  it('rejects unclosed braces, bad names and unknown operators (compose-go TestInvalid)', () => {
    for (const bad of ['${SET', '${SET:-x', '${}', '${ }', '${ foo}', '${foo }', '${1A}', '${SET:x}', '${SET!}']) {
      expect(errorCode(bad), bad).toBe('INTERPOLATION_SYNTAX');
    }
  });

  it('keeps a $ that starts no variable as written (compose-go TestUnescaped)', () => {
    for (const kept of [
      'a $ string',
      '^REGEX$',
      '$}',
      '$',
      'cost: 5$',
      '$ 1',
      '$1',
      'echo $(date)',
      "awk '{print $$1}' $-",
    ]) {
      const expected = kept.replace('$$', '$');
      expect(expand(kept), kept).toBe(expected);
    }
    expect(expand('${UNSET:-$}')).toBe('$');
  });

  it('does not read inherited properties of the environment', () => {
    expect(expand('${constructor}|$toString')).toBe('|');
  });
});

describe('interpolateData', () => {
  const src =
    'services:\n  web:\n    image: "img:${TAG:-latest}"\n    ${KEY}: 1\n    environment:\n      - A=${NEEDED:?please}\n      - B=$$x\n';

  it('interpolates values but not keys', () => {
    const parsed = parseStackFile('/s.yaml', src).value!;
    const result = interpolateData(parsed.data, { NEEDED: 'n' }, parsed.locate);
    expect(result.diagnostics).toEqual([]);
    const web = (result.value['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect(web['image']).toBe('img:latest');
    expect(web['${KEY}']).toBe(1);
    expect(web['environment']).toEqual(['A=n', 'B=$x']);
    expect(Object.getPrototypeOf(web)).toBeNull();
  });

  it('positions an error at the value', () => {
    const parsed = parseStackFile('/s.yaml', src).value!;
    const result = interpolateData(parsed.data, {}, parsed.locate);
    expect(result.diagnostics.map((d) => [d.code, d.location?.line, d.location?.col])).toEqual([
      ['INTERPOLATION_REQUIRED', 6, 9],
    ]);
  });
});
