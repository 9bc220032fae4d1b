import { describe, expect, it } from 'vitest';
import { describeActions, formatChanged, formatDuration, formatReloadLine } from '../../src/watch/report.js';

describe('reload line', () => {
  it('names what was done per service, a recreate once', () => {
    expect(describeActions([])).toBe('stack up to date');
    expect(
      describeActions([
        { kind: 'create-container', resource: 'service:web:1', replaces: 'abc' },
        { kind: 'stop-container', resource: 'service:web:1' },
        { kind: 'remove-container', resource: 'service:web:1' },
        { kind: 'rename-container', resource: 'service:web:1' },
        { kind: 'start-container', resource: 'service:web:1' },
        { kind: 'create-container', resource: 'service:db:1' },
        { kind: 'start-container', resource: 'service:db:1' },
        { kind: 'create-network', resource: 'network:default' },
      ]),
    ).toBe('recreated web; created db; started db (8 actions)');
  });

  it('prints what changed, what was done and how long it took, on one line', () => {
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1240)).toBe('1.24 s');
    expect(formatChanged(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c +2 more');
    expect(
      formatReloadLine(
        { changed: ['stack.yaml'], done: ['recreated web (4 actions)'], durationMs: 850, ok: true },
        false,
      ),
    ).toBe('↻ stack.yaml changed → recreated web (4 actions) in 850 ms');
    expect(
      formatReloadLine(
        { changed: [], done: ['created web (2 actions)'], durationMs: 1500, ok: true, initial: true },
        false,
      ),
    ).toBe('↻ start → created web (2 actions) in 1.50 s');
    expect(formatReloadLine({ changed: ['stack.yaml'], done: [], durationMs: 5, ok: false }, false)).toBe(
      '✗ stack.yaml changed → nothing to do in 5 ms',
    );
  });
});
