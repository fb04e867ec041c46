/** Calendar arithmetic for warranties: pure, UTC, deterministic (workflow-safe). */

/** Adds calendar months; the day is clamped to the target month's length (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(utcMs: number, months: number): number {
  const d = new Date(utcMs);
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

export interface WarrantyGroup {
  /** ISO date-time the warranty of these items ends. */
  endsAt: string;
  months: number;
  items: string[];
}

/** One check-in per distinct end date: items whose warranties end on the same day share a message. */
export function warrantyGroups(
  startMs: number,
  items: readonly { name: string; warrantyMonths?: number }[],
): WarrantyGroup[] {
  const byDay = new Map<string, WarrantyGroup>();
  for (const item of items) {
    if (!item.warrantyMonths) continue;
    const endsAt = new Date(addMonths(startMs, item.warrantyMonths)).toISOString();
    const day = endsAt.slice(0, 10);
    const group = byDay.get(day) ?? { endsAt, months: item.warrantyMonths, items: [] };
    if (!group.items.includes(item.name)) group.items.push(item.name);
    byDay.set(day, group);
  }
  return [...byDay.values()].sort((a, b) => (a.endsAt < b.endsAt ? -1 : 1));
}

/** Whole calendar months from `startMs` to `endMs` (0 when less than a month has passed). */
export function monthsBetween(startMs: number, endMs: number): number {
  if (endMs <= startMs) return 0;
  const start = new Date(startMs);
  const end = new Date(endMs);
  let months = (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + (end.getUTCMonth() - start.getUTCMonth());
  if (addMonths(startMs, months) > endMs) months -= 1;
  return Math.max(0, months);
}
