/**
 * Quiet hours in the customer's own time zone. Workflows import this module, so it must stay
 * deterministic: no I/O, no Node builtins, no clocks (callers pass `nowMs`, i.e. workflow time).
 * Zone rules come from V8's Intl, which the workflow sandbox provides; no date library needed.
 */

/** A daily window of local wall-clock time, "HH:MM"; it may wrap midnight; start === end means none. */
export interface QuietHours {
  start: string;
  end: string;
}

export interface ZonedParts {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0–23 */
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday, like Date#getUTCDay. */
  weekday: number;
}

export interface LocalDateTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const DAY_MS = 86_400_000;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// Building a DateTimeFormat is far costlier than using one; zone rules never change within a process.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The IANA zone to use: the customer's when Intl knows it, otherwise UTC. */
export function resolveZone(timeZone: string | undefined): string {
  if (timeZone === undefined || timeZone === '') return 'UTC';
  try {
    formatterFor(timeZone);
    return timeZone;
  } catch {
    return 'UTC';
  }
}

/** Wall-clock fields of a UTC instant in `timeZone`. Throws RangeError for a zone Intl does not know. */
export function zonedParts(utcMs: number, timeZone: string): ZonedParts {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(utcMs)) fields[part.type] = part.value;
  const num = (type: string) => Number(fields[type]);
  return {
    year: num('year'),
    month: num('month'),
    day: num('day'),
    // Some ICU builds still print midnight as "24" despite h23.
    hour: num('hour') % 24,
    minute: num('minute'),
    second: num('second'),
    weekday: WEEKDAYS[fields.weekday ?? ''] ?? 0,
  };
}

/** The zone's UTC offset at an instant, in ms (wall clock minus UTC), to the second. */
function offsetAt(utcMs: number, timeZone: string): number {
  const p = zonedParts(utcMs, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Every instant whose wall clock in `timeZone` reads `wallMs` (a wall time encoded as if it were
 * UTC), earliest first: one normally, two in a fall-back overlap, none in a spring-forward gap.
 */
function instantsForWall(wallMs: number, timeZone: string): { instants: number[]; before: number; after: number } {
  // Offsets are within ±14h, so the offsets a day either side bracket any transition that
  // matters for this wall time (zones never change rules twice in two days).
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  const instants = [...new Set([wallMs - before, wallMs - after])]
    .filter((t) => t + offsetAt(t, timeZone) === wallMs)
    .sort((a, b) => a - b);
  return { instants, before, after };
}

/**
 * The UTC ms at which the wall clock in `timeZone` reads `local`. In a fall-back overlap it is
 * the earlier of the two instants; in a spring-forward gap (a wall time that never happens) it is
 * the moment the clocks jump, the first valid instant after the gap. Throws RangeError for an
 * unknown zone.
 */
export function zonedTimeToUtc(local: LocalDateTime, timeZone: string): number {
  const wallMs = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const { instants, before, after } = instantsForWall(wallMs, timeZone);
  const first = instants[0];
  if (first !== undefined) return first;
  if (after > before) return transitionBetween(wallMs - after, wallMs - before, timeZone);
  // Unreachable with real zone data; the first guess-and-correct step is the best answer left.
  return wallMs - offsetAt(wallMs - offsetAt(wallMs, timeZone), timeZone);
}

/** Binary search (to the second) for the instant the offset changes between `lo` and `hi`. */
function transitionBetween(lo: number, hi: number, timeZone: string): number {
  const startOffset = offsetAt(lo, timeZone);
  let loSec = Math.floor(lo / 1000);
  let hiSec = Math.ceil(hi / 1000);
  while (hiSec - loSec > 1) {
    const mid = Math.floor((loSec + hiSec) / 2);
    if (offsetAt(mid * 1000, timeZone) === startOffset) loSec = mid;
    else hiSec = mid;
  }
  return hiSec * 1000;
}

/** "HH:MM" with 00:00–23:59, or undefined. */
export function parseClock(text: string): { hour: number; minute: number } | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function clockOrThrow(text: string, field: 'start' | 'end'): { hour: number; minute: number } {
  const clock = parseClock(text);
  // Playbook validation should have caught this; failing loudly beats silently messaging at night.
  if (!clock) throw new RangeError(`quiet hours ${field} "${text}" is not a HH:MM time`);
  return clock;
}

/**
 * When a message may go out: `nowMs` itself when the customer's local time (UTC when the zone is
 * missing or unknown) is outside the quiet window, else the instant the window next ends.
 */
export function nextAllowedTime(nowMs: number, timeZone: string | undefined, quiet: QuietHours): number {
  const start = clockOrThrow(quiet.start, 'start');
  const end = clockOrThrow(quiet.end, 'end');
  const startMin = start.hour * 60 + start.minute;
  const endMin = end.hour * 60 + end.minute;
  if (startMin === endMin) return nowMs;

  const zone = resolveZone(timeZone);
  const now = zonedParts(nowMs, zone);
  const nowMin = now.hour * 60 + now.minute;
  const wraps = startMin > endMin;
  const inWindow = wraps ? nowMin >= startMin || nowMin < endMin : nowMin >= startMin && nowMin < endMin;
  if (!inWindow) return nowMs;

  // Before midnight in a wrapping window, the window ends tomorrow; otherwise later today.
  const endsTomorrow = wraps && nowMin >= startMin;
  const endDay = new Date(Date.UTC(now.year, now.month - 1, now.day) + (endsTomorrow ? DAY_MS : 0));
  const endWall = Date.UTC(endDay.getUTCFullYear(), endDay.getUTCMonth(), endDay.getUTCDate(), end.hour, end.minute);
  const { instants } = instantsForWall(endWall, zone);
  // In a fall-back overlap "now" may already be past the first reading of the end time.
  const later = instants.find((t) => t > nowMs);
  if (later !== undefined) return later;
  if (instants.length === 0) {
    const jump = zonedTimeToUtc(
      { year: endDay.getUTCFullYear(), month: endDay.getUTCMonth() + 1, day: endDay.getUTCDate(), ...end },
      zone,
    );
    if (jump > nowMs) return jump;
  }
  // Unreachable with real zone data: let the message through rather than stall the journey.
  return nowMs;
}

/** Whether `nowMs` falls inside the quiet window in the customer's zone (UTC when missing or unknown). */
export function isQuiet(nowMs: number, timeZone: string | undefined, quiet: QuietHours): boolean {
  return nextAllowedTime(nowMs, timeZone, quiet) > nowMs;
}
