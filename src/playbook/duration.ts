/**
 * Playbook durations are written for people ("90s", "2h", "3 days", "2 weeks") and kept as
 * milliseconds so workflows can do arithmetic on them. Months and years are deliberately absent
 * here: calendar spans (warranties) are computed on dates, not fixed millisecond counts.
 */
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

/** Returns milliseconds, or undefined when the text is not a duration we understand. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, amount, written] = match;
  const unit = (written ?? '').toLowerCase();
  // The unit as written ("ms"), else without a plural s ("days"): "ms" is not "m" with an s.
  const factor = UNITS[unit] ?? (unit.endsWith('s') ? UNITS[unit.slice(0, -1)] : undefined);
  if (factor === undefined || amount === undefined) return undefined;
  return Math.round(Number(amount) * factor);
}

/** "2h 30m"-style text for summaries and logs. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
