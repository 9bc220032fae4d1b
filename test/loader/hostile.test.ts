/**
 * Hostile input fails fast with the right code. Timing is not asserted (bench/ measures it);
 * a regression to exponential or recursive behaviour shows up as a test timeout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
import { loadStack } from '../../src/loader/load.js';
import { defaultStages } from '../../src/loader/stages.js';
import { passThroughStages } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codesOf(name: string, content: string | Uint8Array): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, content);
  try {
    await loadStack({ cwd: dir, env: {}, files: [file] }, passThroughStages);
  } catch (error) {
    if (error instanceof StackError) return error.diagnostics.map((d) => d.code);
    throw error;
  }
  return [];
}

describe('hostile input', () => {
  it('an alias bomb fails with YAML_ALIAS_LIMIT', async () => {
    let src = 'x-0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i <= 12; i++)
      src += `x-${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]\n`;
    expect(await codesOf('bomb.yaml', src + 'services: {}\n')).toContain('YAML_ALIAS_LIMIT');
  });

  it('10k-deep flow nesting fails with YAML_TOO_DEEP', async () => {
    expect(await codesOf('deep.yaml', 'x: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n')).toContain(
      'YAML_TOO_DEEP',
    );
  });

  it('a flow sequence a thousand levels deep on one line says how deep is allowed, not "Maximum call stack size exceeded"', async () => {
    const file = join(dir, 'deep-line.yaml');
    writeFileSync(file, 'services:\n  a:\n    labels: ' + '['.repeat(1000) + ']'.repeat(1000) + '\n');
    const error = await loadStack({ cwd: dir, env: {}, files: [file] }, passThroughStages).then(
      () => undefined,
      (e: unknown) => e,
    );
    const messages = (error as StackError).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(messages).toEqual(['YAML_TOO_DEEP nesting is deeper than 200 levels']);
  });

  it('10k-deep flow mappings fail with YAML_TOO_DEEP', async () => {
    expect(await codesOf('deep-map.yaml', 'x: ' + '{a: '.repeat(10_000) + '1' + '}'.repeat(10_000) + '\n')).toContain(
      'YAML_TOO_DEEP',
    );
  });

  it('deep block nesting fails with YAML_TOO_DEEP', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`);
    expect(await codesOf('deep-block.yaml', lines.join('\n') + ' 1\n')).toContain('YAML_TOO_DEEP');
  });

  it('a 20 MB file fails with YAML_TOO_LARGE', async () => {
    const line = '# ' + 'x'.repeat(98) + '\n';
    expect(await codesOf('large.yaml', 'services: {}\n' + line.repeat(200_000))).toEqual(['YAML_TOO_LARGE']);
  });

  it('an endless device named as a file (-f or extends.file: /dev/zero) fails with YAML_TOO_LARGE instead of reading forever', async () => {
    await expect(loadStack({ cwd: dir, env: {}, files: ['/dev/zero'] }, passThroughStages)).rejects.toMatchObject({
      diagnostics: [{ code: 'YAML_TOO_LARGE' }],
    });
    expect(
      await codesOf(
        'extends-zero.yaml',
        'services: {web: {image: busybox, extends: {file: /dev/zero, service: web}}}\n',
      ),
    ).toEqual(['YAML_TOO_LARGE']);
  });

  it('binary garbage fails with YAML_BINARY', async () => {
    const bytes = new Uint8Array(64 * 1024);
    let seed = 42;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed & 0xff;
    }
    expect(await codesOf('garbage.yaml', bytes)).toEqual(['YAML_BINARY']);
  });

  it('a prototype key never reaches Object.prototype', async () => {
    expect(await codesOf('proto.yaml', 'services:\n  web:\n    labels:\n      __proto__: {polluted: true}\n')).toEqual([
      'YAML_FORBIDDEN_KEY',
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  describe('env_file, secrets and configs that are no regular file (issue 20)', () => {
    const special = join(dir, 'special');
    mkdirSync(join(special, 'a-dir'), { recursive: true });
    execFileSync('mkfifo', [join(special, 'a-fifo')]);
    writeFileSync(join(special, 'ok.env'), 'A=1\n');

    /** Loads `yaml` in `special`; the diagnostics as `code message @line:col`, or the env of web. */
    async function load(yaml: string): Promise<string[] | Record<string, string | null>> {
      const file = join(special, 'stack.yaml');
      writeFileSync(file, yaml);
      try {
        const model = await loadStack({ cwd: special, env: {} }, defaultStages);
        return model.services['web']!.environment;
      } catch (error) {
        if (!(error instanceof StackError)) throw error;
        return error.diagnostics.map((d) => `${d.code} ${d.message} @${d.location?.line}:${d.location?.col}`);
      }
    }

    for (const [path, what] of [
      ['/proc/self/environ', "a file of the kernel's /proc file system"],
      ['./a-fifo', 'a named pipe (FIFO)'],
      ['./a-dir', 'a directory'],
      ['/dev/zero', 'a device'],
    ] as const) {
      it(`env_file: ${path} is refused as ${what}, at the entry, even with required: false`, async () => {
        const absolute = path.startsWith('/') ? path : join(special, path.slice(2));
        expect(await load(`services:\n  web:\n    image: busybox\n    env_file: ${path}\n`)).toEqual([
          `NOT_A_REGULAR_FILE env file "${path}" is ${what} (${absolute}) @4:15`,
        ]);
        expect(
          await load(
            `services:\n  web:\n    image: busybox\n    env_file:\n      - ok.env\n      - {path: ${path}, required: false}\n`,
          ),
        ).toEqual([`NOT_A_REGULAR_FILE env file "${path}" is ${what} (${absolute}) @6:9`]);
      });
    }

    it('secrets and configs files are held to the same rule', async () => {
      expect(
        await load(
          'services:\n  web:\n    image: busybox\nsecrets:\n  env:\n    file: /proc/self/environ\n' +
            'configs:\n  conf:\n    file: ./a-dir\n',
        ),
      ).toEqual([
        `NOT_A_REGULAR_FILE secret env: file "/proc/self/environ" is a file of the kernel's /proc file system (/proc/self/environ) @6:11`,
        `NOT_A_REGULAR_FILE config conf: file "./a-dir" is a directory (${join(special, 'a-dir')}) @9:11`,
      ]);
    });

    it('a regular file and /dev/null (the usual "no file" placeholder, empty) still load', async () => {
      expect(await load('services:\n  web:\n    image: busybox\n    env_file: [ok.env, /dev/null]\n')).toEqual({
        A: '1',
      });
    });
  });
});
