import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { findCommandName } from '../../src/cli/main.js';
import { VERSION } from '../../src/cli/version.js';

describe('the CLI frame', () => {
  it('finds the command after global options and their values', () => {
    expect(findCommandName(['-f', 'a.yaml', '-p', 'demo', '--profile', 'dev', 'up', '-d'])).toBe('up');
    expect(findCommandName(['--debug', 'config', '--services'])).toBe('config');
    expect(findCommandName(['--progress', 'plain', '--parallel', '4', 'down'])).toBe('down');
    expect(findCommandName(['--help'])).toBeUndefined();
  });

  it('reports the version package.json declares', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
