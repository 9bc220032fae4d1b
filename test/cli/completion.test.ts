// `stack completion`: the bash script sourced in bash completes commands, flags and choices
// generated from the commander program, and service names read from the stack file through
// `stack config --services`; zsh and fish get the same commands and flags.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSurface } from './command-surface.js';

const CLI = new URL('../../bin/stack.cjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'stack-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'other.yaml'),
  'services:\n  webapp:\n    image: x\n  worker:\n    image: y\n  db:\n    image: z\n',
);
const script = (shell: string): string =>
  execFileSync(process.execPath, [CLI, 'completion', shell], { encoding: 'utf8' });

/** What bash offers for the words typed (the last one being completed), via the sourced script. */
function complete(words: readonly string[]): string[] {
  const quoted = [CLI, ...words].map((w) => `'${w}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '-c',
      `source <("${process.execPath}" "${CLI}" completion bash)
       COMP_WORDS=(${quoted}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
       _stack_completion
       printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env['PATH']}` },
    },
  );
  return out.split('\n').filter(Boolean).sort();
}

// Each case runs bash and the CLI a few times: a loaded machine needs more than the default 5 s.
describe('stack completion', { timeout: 60_000 }, () => {
  it('bash: commands, a flag, a choice and service names complete as typed', () => {
    expect(complete(['at'])).toEqual(['attach']);
    expect(complete(['up', '--force'])).toEqual(['--force-recreate']);
    expect(complete(['--progress', 'p'])).toEqual(['plain']);
    // Service names from the file named by -f, through `config --services`.
    expect(complete(['-f', 'other.yaml', 'logs', 'w'])).toEqual(['webapp', 'worker']);
    expect(complete(['-f', 'other.yaml', 'attach', ''])).toEqual(['db', 'webapp', 'worker']);
    // A flag's value is not a service.
    expect(complete(['-f', 'other.yaml', 'up', '--scale', ''])).toEqual([]);
  });

  it('bash offers every command of the program, and every flag of a command', async () => {
    const surface = await readSurface();
    const commands = [...surface.values()].filter((c) => c.path !== '').flatMap((c) => [c.path, ...c.aliases]);
    expect(complete([''])).toEqual([...commands, 'help'].sort());
    const up = surface.get('up')!;
    expect(complete(['up', '-'])).toEqual([...up.longs, ...up.shorts, '--help'].sort());
  });

  it('zsh loads the bash functions through bashcompinit; fish gets native complete lines', () => {
    const zsh = script('zsh');
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -o default -F _stack_completion stack');
    const fish = script('fish');
    expect(fish).toMatch(/^complete -c stack -n 'not __fish_seen_subcommand_from [^']*' -a attach /m);
    expect(fish).toMatch(/^complete -c stack -n '__fish_seen_subcommand_from up' -l force-recreate /m);
    expect(fish).toContain("-a '(__stack_services)'");
    expect(fish).toContain('config --services');
  });

  it('an unknown shell is a usage error', () => {
    expect(() => execFileSync(process.execPath, [CLI, 'completion', 'tcsh'], { stdio: 'pipe' })).toThrow(
      expect.objectContaining({ status: 2 }),
    );
  });
});
