import { describe, expect, it } from 'vitest';
import { decidePull, normalizePullPolicy, parseDurationSeconds } from '../../src/images/pull-policy.js';

const NOW = 1_700_000_000;

describe('pull_policy forms', () => {
  it('every Compose form normalises; if_not_present is missing', () => {
    expect(normalizePullPolicy(undefined)).toBeUndefined();
    expect(normalizePullPolicy('if_not_present')).toEqual({ kind: 'missing' });
    expect(normalizePullPolicy('daily')).toEqual({ kind: 'interval', seconds: 86_400, text: 'daily' });
    expect(normalizePullPolicy('weekly')).toMatchObject({ seconds: 604_800 });
    expect(normalizePullPolicy('every_12h')).toMatchObject({ kind: 'interval', seconds: 43_200 });
    expect(normalizePullPolicy('every_1h30m')).toMatchObject({ seconds: 5_400 });
    expect(() => normalizePullPolicy('every_soon')).toThrow(/every_<duration>/);
    expect(() => normalizePullPolicy('sometimes')).toThrow(RangeError);
  });

  it('durations: Go units plus days and weeks; malformed or zero is undefined', () => {
    expect(parseDurationSeconds('90s')).toBe(90);
    expect(parseDurationSeconds('2d')).toBe(172_800);
    expect(parseDurationSeconds('1w')).toBe(604_800);
    expect(parseDurationSeconds('1500ms')).toBe(1.5);
    expect(parseDurationSeconds('0s')).toBeUndefined();
    expect(parseDurationSeconds('12')).toBeUndefined();
    expect(parseDurationSeconds('1h foo')).toBeUndefined();
  });
});

describe('pull decisions', () => {
  it('always pulls, even when present', () => {
    expect(decidePull({ kind: 'always' }, { present: true }, NOW)).toMatchObject({ pull: true, code: 'policy_always' });
  });
  it('never never pulls, and says so when the image is missing', () => {
    expect(decidePull({ kind: 'never' }, { present: false }, NOW)).toMatchObject({ pull: false, code: 'policy_never' });
    expect(decidePull({ kind: 'never' }, { present: true }, NOW)).toMatchObject({ pull: false, code: 'present' });
  });
  it('missing pulls only an absent image', () => {
    expect(decidePull({ kind: 'missing' }, { present: false }, NOW)).toMatchObject({ pull: true, code: 'missing' });
    expect(decidePull({ kind: 'missing' }, { present: true }, NOW)).toMatchObject({ pull: false });
  });
  it('build never pulls', () => {
    expect(decidePull({ kind: 'build' }, { present: false }, NOW).pull).toBe(false);
  });
  it('daily pulls when the last pull is a day old or unknown, not before', () => {
    const daily = normalizePullPolicy('daily')!;
    expect(decidePull(daily, { present: true, lastPulled: NOW - 3600 }, NOW)).toMatchObject({
      pull: false,
      code: 'interval_fresh',
    });
    expect(decidePull(daily, { present: true, lastPulled: NOW - 86_400 }, NOW)).toMatchObject({
      pull: true,
      code: 'interval_elapsed',
    });
    expect(decidePull(daily, { present: true }, NOW)).toMatchObject({ pull: true, code: 'interval_elapsed' });
    expect(decidePull(daily, { present: false, lastPulled: NOW }, NOW)).toMatchObject({ pull: true, code: 'missing' });
  });
  it('every_<duration> uses its own interval', () => {
    const every = normalizePullPolicy('every_30m')!;
    expect(decidePull(every, { present: true, lastPulled: NOW - 1799 }, NOW).pull).toBe(false);
    expect(decidePull(every, { present: true, lastPulled: NOW - 1800 }, NOW).pull).toBe(true);
  });
});
