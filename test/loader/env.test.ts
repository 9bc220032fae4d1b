import { describe, expect, it } from 'vitest';
import { mergeEnvironment, parseEnvFile } from '../../src/loader/env.js';

function parse(text: string, lookup: Record<string, string> = {}): Record<string, string> {
  const result = parseEnvFile('/p/.env', text, lookup);
  expect(result.diagnostics).toEqual([]);
  return { ...result.value };
}

function problems(text: string): string[] {
  return parseEnvFile('/p/.env', text).diagnostics.map((d) => `${d.code} ${d.location?.line}:${d.location?.col}`);
}

describe('parseEnvFile', () => {
  it('reads KEY=VALUE, export, comments and blank lines', () => {
    expect(parse('# c\n\nA=1\nexport B=two words\n  C = spaced  \nD=\nE=x=y\r\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'spaced',
      D: '',
      E: 'x=y',
    });
  });

  it('ends an unquoted value at an inline comment', () => {
    expect(parse('A=1 # note\nB=a#b\n')).toEqual({ A: '1', B: 'a#b' });
  });

  it('keeps single quotes literal and reads escapes in double quotes', () => {
    expect(parse(`A='x \\n $B # y'\nB="l1\\nl2 \\"q\\" \\$B"\n`)).toEqual({ A: 'x \\n $B # y', B: 'l1\nl2 "q" $B' });
  });

  it('reads a double-quoted value over several lines', () => {
    expect(parse('A="one\ntwo"\nB=3\n')).toEqual({ A: 'one\ntwo', B: '3' });
  });

  it('takes a bare KEY from the environment, or leaves it out', () => {
    expect(parse('A\nB\n', { A: 'from-shell' })).toEqual({ A: 'from-shell' });
  });

  it('interpolates with the environment first, then earlier lines', () => {
    expect(parse('A=a\nB=${A}-${C:-d}\nC=${A}\n', { A: 'shell' })).toEqual({ A: 'a', B: 'shell-d', C: 'shell' });
  });

  it('reports invalid names and unclosed quotes at the line', () => {
    expect(problems('OK=1\nBAD KEY=1\n1X=2\n')).toEqual(['ENV_FILE_SYNTAX 2:1', 'ENV_FILE_SYNTAX 3:1']);
    expect(problems('A="open\nB=1\n')).toEqual(['ENV_FILE_SYNTAX 1:3']);
    expect(problems('A=${B\n')).toEqual(['ENV_FILE_SYNTAX 1:3']);
  });

  it('produces prototype-free maps', () => {
    expect(Object.getPrototypeOf(parseEnvFile('/x', 'A=1').value)).toBeNull();
  });
});

describe('mergeEnvironment', () => {
  it('lets the shell win over env files and later files win over earlier ones', () => {
    expect({ ...mergeEnvironment({ A: 'shell', U: undefined }, { A: 'f1', B: 'f1', C: 'f1' }, { B: 'f2' }) }).toEqual({
      A: 'shell',
      B: 'f2',
      C: 'f1',
    });
  });
});
