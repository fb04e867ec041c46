/**
 * Frequency caps: at most `max` messages per sliding window, so a busy order never floods a
 * customer. Workflows import this module, so it is pure: callers pass `nowMs` (workflow time) and
 * the send history they keep in workflow state.
 */

export interface FrequencyCap {
  /** Messages allowed per window; a positive integer. */
  max: number;
  /** Window length in ms; positive. */
  windowMs: number;
}

export type CapDecision = { allowed: true } | { allowed: false; nextSlotMs: number };

function checkCap(cap: FrequencyCap): void {
  // Playbook validation should have caught these; a cap of 0 or NaN would otherwise block forever.
  if (!Number.isInteger(cap.max) || cap.max < 1) throw new RangeError(`frequency cap max must be ≥ 1, got ${cap.max}`);
  if (!Number.isFinite(cap.windowMs) || cap.windowMs <= 0) {
    throw new RangeError(`frequency cap window must be a positive duration, got ${cap.windowMs}`);
  }
}

/**
 * Whether another message may go out at `nowMs`, counting sends in (nowMs - windowMs, nowMs].
 * When not, `nextSlotMs` is the earliest time one may: when enough of the counted sends (the
 * oldest one, unless the cap was lowered since) have left the window.
 */
export function capDecision(sentAtMs: readonly number[], nowMs: number, cap: FrequencyCap): CapDecision {
  checkCap(cap);
  const counted = sentAtMs.filter((t) => t > nowMs - cap.windowMs && t <= nowMs).sort((a, b) => a - b);
  if (counted.length < cap.max) return { allowed: true };
  // A send at t stops counting at t + windowMs; we need counted.length - max + 1 of them gone.
  const mustLeave = counted[counted.length - cap.max]!;
  return { allowed: false, nextSlotMs: mustLeave + cap.windowMs };
}

/** Drops sends that can no longer count towards any cap at or after `nowMs`, keeping state bounded. */
export function pruneOld(sentAtMs: readonly number[], nowMs: number, windowMs: number): number[] {
  return sentAtMs.filter((t) => t > nowMs - windowMs);
}
