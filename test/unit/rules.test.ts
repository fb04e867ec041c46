import { describe, expect, it } from 'vitest';
import { capDecision, pruneOld } from '../../src/rules/frequency-cap';
import { isQuiet, nextAllowedTime, parseClock, zonedParts, zonedTimeToUtc } from '../../src/rules/quiet-hours';

const at = (iso: string) => Date.parse(iso);
const night = { start: '21:00', end: '09:00' };

describe('zonedParts', () => {
  it('reads the wall clock in a zone', () => {
    expect(zonedParts(at('2026-03-29T00:59:59Z'), 'Europe/London')).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      hour: 0,
      minute: 59,
      second: 59,
      weekday: 0,
    });
    expect(zonedParts(at('2026-03-29T01:00:00Z'), 'Europe/London')).toMatchObject({ hour: 2, minute: 0 });
    expect(zonedParts(at('2026-06-30T18:00:00Z'), 'Asia/Dhaka')).toMatchObject({
      month: 7,
      day: 1,
      hour: 0,
      weekday: 3,
    });
  });
});

describe('zonedTimeToUtc', () => {
  it('converts ordinary wall times', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 1, day: 15, hour: 9, minute: 0 }, 'Europe/London')).toBe(
      at('2026-01-15T09:00:00Z'),
    );
    expect(zonedTimeToUtc({ year: 2026, month: 7, day: 15, hour: 9, minute: 0 }, 'Europe/London')).toBe(
      at('2026-07-15T08:00:00Z'),
    );
    expect(zonedTimeToUtc({ year: 2026, month: 1, day: 1, hour: 3, minute: 0 }, 'Asia/Dhaka')).toBe(
      at('2025-12-31T21:00:00Z'),
    );
    expect(zonedTimeToUtc({ year: 2026, month: 5, day: 1, hour: 12, minute: 0 }, 'UTC')).toBe(
      at('2026-05-01T12:00:00Z'),
    );
  });

  it('maps a wall time in a spring-forward gap to the moment the clocks jump', () => {
    // New York: 02:00 EST jumps to 03:00 EDT at 07:00Z; 02:30 never happens.
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York')).toBe(
      at('2026-03-08T07:00:00Z'),
    );
    // London: 01:00 GMT jumps to 02:00 BST at 01:00Z.
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/London')).toBe(
      at('2026-03-29T01:00:00Z'),
    );
    // The gap's far edge is a real time again.
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 0 }, 'Europe/London')).toBe(
      at('2026-03-29T01:00:00Z'),
    );
    // Samoa skipped all of 30 December 2011 (UTC-10 to UTC+14).
    expect(zonedTimeToUtc({ year: 2011, month: 12, day: 30, hour: 12, minute: 0 }, 'Pacific/Apia')).toBe(
      at('2011-12-30T10:00:00Z'),
    );
  });

  it('maps an ambiguous fall-back wall time to the earlier instant', () => {
    // London 01:30 happens at 00:30Z (BST) and again at 01:30Z (GMT).
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, 'Europe/London')).toBe(
      at('2026-10-25T00:30:00Z'),
    );
    // New York 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(zonedTimeToUtc({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York')).toBe(
      at('2026-11-01T05:30:00Z'),
    );
  });

  it('round-trips with zonedParts', () => {
    for (const iso of [
      '2026-03-29T01:00:00Z',
      '2026-10-25T01:30:00Z',
      '2026-11-01T06:59:00Z',
      '2024-02-29T23:00:00Z',
    ]) {
      for (const zone of ['Europe/London', 'America/New_York', 'Asia/Dhaka', 'Australia/Lord_Howe']) {
        const p = zonedParts(at(iso), zone);
        const back = zonedTimeToUtc(p, zone);
        // Same wall time; in an overlap the earlier reading may come back.
        expect(zonedParts(back, zone)).toEqual(p);
        expect(back).toBeLessThanOrEqual(at(iso));
      }
    }
  });
});

describe('quiet hours', () => {
  it('defers 22:30 the evening before London springs forward to 09:00 BST (08:00Z)', () => {
    const now = at('2026-03-28T22:30:00Z'); // 22:30 GMT
    expect(isQuiet(now, 'Europe/London', night)).toBe(true);
    expect(nextAllowedTime(now, 'Europe/London', night)).toBe(at('2026-03-29T08:00:00Z'));
  });

  it('defers 22:30 the evening before London falls back to 09:00 GMT (09:00Z)', () => {
    const now = at('2026-10-24T21:30:00Z'); // 22:30 BST
    expect(nextAllowedTime(now, 'Europe/London', night)).toBe(at('2026-10-25T09:00:00Z'));
  });

  it('handles New York across its 2026 DST changes', () => {
    // 22:30 EST on 7 March -> 09:00 EDT on 8 March.
    expect(nextAllowedTime(at('2026-03-08T03:30:00Z'), 'America/New_York', night)).toBe(at('2026-03-08T13:00:00Z'));
    // 22:30 EDT on 31 October -> 09:00 EST on 1 November.
    expect(nextAllowedTime(at('2026-11-01T02:30:00Z'), 'America/New_York', night)).toBe(at('2026-11-01T14:00:00Z'));
    // 03:30 EDT right after the jump is still quiet.
    expect(nextAllowedTime(at('2026-03-08T07:30:00Z'), 'America/New_York', night)).toBe(at('2026-03-08T13:00:00Z'));
  });

  it('uses Asia/Dhaka (UTC+6, no DST)', () => {
    // 22:30 local = 16:30Z; window ends 09:00 local the next day = 03:00Z.
    expect(nextAllowedTime(at('2026-03-28T16:30:00Z'), 'Asia/Dhaka', night)).toBe(at('2026-03-29T03:00:00Z'));
    // 02:00 local, after midnight: ends the same local day.
    expect(nextAllowedTime(at('2026-07-01T20:00:00Z'), 'Asia/Dhaka', night)).toBe(at('2026-07-02T03:00:00Z'));
    // 10:00 local is fine.
    const morning = at('2026-07-02T04:00:00Z');
    expect(nextAllowedTime(morning, 'Asia/Dhaka', night)).toBe(morning);
  });

  it('treats start as quiet and end as allowed', () => {
    expect(isQuiet(at('2026-01-10T20:59:59Z'), 'UTC', night)).toBe(false);
    expect(isQuiet(at('2026-01-10T21:00:00Z'), 'UTC', night)).toBe(true);
    expect(isQuiet(at('2026-01-11T08:59:59Z'), 'UTC', night)).toBe(true);
    expect(nextAllowedTime(at('2026-01-11T08:59:59Z'), 'UTC', night)).toBe(at('2026-01-11T09:00:00Z'));
    expect(isQuiet(at('2026-01-11T09:00:00Z'), 'UTC', night)).toBe(false);
  });

  it('supports a window that does not wrap midnight', () => {
    const lunch = { start: '13:00', end: '14:00' };
    expect(nextAllowedTime(at('2026-07-01T12:30:00Z'), 'Europe/London', lunch)).toBe(at('2026-07-01T13:00:00Z'));
    expect(isQuiet(at('2026-07-01T11:59:00Z'), 'Europe/London', lunch)).toBe(false); // 12:59 BST
    expect(isQuiet(at('2026-07-01T13:00:00Z'), 'Europe/London', lunch)).toBe(false); // 14:00 BST
    expect(isQuiet(at('2026-07-01T22:00:00Z'), 'Europe/London', lunch)).toBe(false); // 23:00 BST
  });

  it('is never quiet when start equals end', () => {
    const none = { start: '09:00', end: '09:00' };
    for (const iso of ['2026-01-01T00:00:00Z', '2026-01-01T09:00:00Z', '2026-01-01T23:59:00Z']) {
      expect(nextAllowedTime(at(iso), 'Europe/London', none)).toBe(at(iso));
    }
  });

  it('falls back to UTC when the zone is missing or unknown', () => {
    const now = at('2026-07-01T22:30:00Z');
    expect(nextAllowedTime(now, undefined, night)).toBe(at('2026-07-02T09:00:00Z'));
    expect(nextAllowedTime(now, 'Mars/Olympus_Mons', night)).toBe(at('2026-07-02T09:00:00Z'));
    // In London it is 23:30 BST: the window ends at 08:00Z instead.
    expect(nextAllowedTime(now, 'Europe/London', night)).toBe(at('2026-07-02T08:00:00Z'));
  });

  it('ends a window whose end falls in the spring-forward gap when the clocks jump', () => {
    const window = { start: '22:00', end: '01:30' };
    expect(nextAllowedTime(at('2026-03-28T23:00:00Z'), 'Europe/London', window)).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('ends at the second reading of the end time when now is already in the repeated hour', () => {
    const window = { start: '21:00', end: '01:30' };
    // 01:15 GMT, the second 01:15 of the night: the first 01:30 (00:30Z) is already past.
    expect(nextAllowedTime(at('2026-10-25T01:15:00Z'), 'Europe/London', window)).toBe(at('2026-10-25T01:30:00Z'));
    // 00:45 BST, before the change: the first 01:30 counts.
    expect(nextAllowedTime(at('2026-10-24T23:45:00Z'), 'Europe/London', window)).toBe(at('2026-10-25T00:30:00Z'));
  });

  it('rejects malformed clock times loudly', () => {
    expect(() => nextAllowedTime(0, 'UTC', { start: '9pm', end: '09:00' })).toThrow(RangeError);
  });
});

describe('parseClock', () => {
  it('parses HH:MM from 00:00 to 23:59', () => {
    expect(parseClock('00:00')).toEqual({ hour: 0, minute: 0 });
    expect(parseClock('09:05')).toEqual({ hour: 9, minute: 5 });
    expect(parseClock('23:59')).toEqual({ hour: 23, minute: 59 });
  });

  it.each(['24:00', '9:00', '12:60', '12-00', ' 12:00', '12:00:00', '', 'noon'])('rejects %j', (text) => {
    expect(parseClock(text)).toBeUndefined();
  });
});

describe('frequency cap', () => {
  const day = 86_400_000;
  const cap = { max: 2, windowMs: 7 * day };

  it('denies the third message in 7 days until the oldest send leaves the window', () => {
    const sent = [0, 3 * day];
    expect(capDecision(sent, 2 * day, cap)).toEqual({ allowed: true }); // only day 0 counts yet
    expect(capDecision(sent, 5 * day, cap)).toEqual({ allowed: false, nextSlotMs: 7 * day });
    expect(capDecision(sent, 7 * day - 1, cap)).toEqual({ allowed: false, nextSlotMs: 7 * day });
    expect(capDecision(sent, 7 * day, cap)).toEqual({ allowed: true });
  });

  it('ignores order and sends outside the window', () => {
    expect(capDecision([3 * day, 0, -10 * day], 5 * day, cap)).toEqual({ allowed: false, nextSlotMs: 7 * day });
    expect(capDecision([-8 * day, -7 * day, 0], 0, cap)).toEqual({ allowed: true });
  });

  it('waits for enough sends to leave when the cap was lowered', () => {
    expect(capDecision([0, day, 2 * day], 3 * day, cap)).toEqual({ allowed: false, nextSlotMs: 8 * day });
  });

  it('rejects caps that would block forever', () => {
    expect(() => capDecision([], 0, { max: 0, windowMs: day })).toThrow(RangeError);
    expect(() => capDecision([], 0, { max: 1, windowMs: Number.NaN })).toThrow(RangeError);
  });

  it('prunes sends that can no longer count', () => {
    expect(pruneOld([0, 3 * day, 6 * day], 7 * day, cap.windowMs)).toEqual([3 * day, 6 * day]);
    expect(pruneOld([0, 3 * day], 2 * day, cap.windowMs)).toEqual([0, 3 * day]);
    expect(pruneOld([], 0, cap.windowMs)).toEqual([]);
  });
});
