import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { colorAllowed, findCommandName } from '../../src/cli/main.js';
import { parseLogTime } from '../../src/cli/commands/log-stream.js';
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

  it('logs --since takes Go durations, RFC 3339 timestamps, dates and unix seconds; anything else is a usage error', () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0);
    expect(parseLogTime('10m', '--since', now)).toBe(now / 1000 - 600);
    expect(parseLogTime('1h30m', '--since', now)).toBe(now / 1000 - 5400);
    expect(parseLogTime('45s', '--since', now)).toBe(now / 1000 - 45);
    expect(parseLogTime('1.5h', '--since', now)).toBe(now / 1000 - 5400);
    expect(parseLogTime('2020-01-01T00:00:00Z', '--since', now)).toBe(Date.UTC(2020, 0, 1) / 1000);
    expect(parseLogTime('2020-01-01T02:00:00.5+02:00', '--since', now)).toBe(Date.UTC(2020, 0, 1) / 1000 + 0.5);
    // Without a zone: local time, as Docker.
    expect(parseLogTime('2020-01-01', '--since', now)).toBe(new Date(2020, 0, 1).getTime() / 1000);
    expect(parseLogTime('2020-01-01T10:30', '--since', now)).toBe(new Date(2020, 0, 1, 10, 30).getTime() / 1000);
    expect(parseLogTime('1700000000', '--since', now)).toBe(1700000000);
    expect(parseLogTime('1700000000.25', '--since', now)).toBe(1700000000.25);
    for (const bad of ['yesterday', '10x', '-5m', '2020-13-01', '2020-02-30', '2020-01-01T25:00:00Z', '', 'm']) {
      expect(() => parseLogTime(bad, '--since', now), bad).toThrow(
        expect.objectContaining({ code: 'USAGE', exitCode: 2 }),
      );
    }
  });

  it('colour: only a non-empty NO_COLOR disables it (no-color.org); never without a TTY or on a dumb terminal', () => {
    expect(colorAllowed({}, true)).toBe(true);
    expect(colorAllowed({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorAllowed({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorAllowed({ NO_COLOR: '0' }, true)).toBe(false);
    expect(colorAllowed({}, false)).toBe(false);
    expect(colorAllowed({}, undefined)).toBe(false);
    expect(colorAllowed({ TERM: 'dumb' }, true)).toBe(false);
  });
});
