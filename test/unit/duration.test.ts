import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/playbook/duration';

describe('durations', () => {
  it('reads milliseconds as milliseconds, not as minutes with a plural s', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1500 ms')).toBe(1500);
  });

  it('still reads every unit in its singular, plural and short forms', () => {
    const cases: [string, number][] = [
      ['30s', 30_000],
      ['1.5s', 1500],
      ['2 secs', 2000],
      ['15m', 900_000],
      ['2 mins', 120_000],
      ['1 minute', 60_000],
      ['2h', 7_200_000],
      ['3 hours', 10_800_000],
      ['1d', 86_400_000],
      ['3 days', 259_200_000],
      ['2w', 1_209_600_000],
      ['2 weeks', 1_209_600_000],
    ];
    for (const [text, ms] of cases) expect(parseDuration(text), text).toBe(ms);
    expect(parseDuration('3 fortnights')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });
});
