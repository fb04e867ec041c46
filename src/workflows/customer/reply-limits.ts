/**
 * Limits on what one journey (or a lifecycle, for what it handles itself) does for replies that are not answers:
 * each forward is an operator send per operator channel, each acknowledgement a customer message (an SMS is paid),
 * and an auto-reply ("I am driving", a WhatsApp away message) would ping-pong with our acknowledgement forever. So:
 * at most one acknowledgement per channel per 12 hours, at most 10 forwards per 24 hours; beyond that a reply is
 * only recorded (the conversation shows it). Pure and deterministic: times are the workflow's clock.
 */
import type { Channel } from '../../channels/types';
import type { ReplyLimits } from './contract';

export const ACKNOWLEDGE_EVERY_MS = 12 * 60 * 60 * 1000;
export const MAX_FORWARDS = 10;
export const FORWARDS_PER_MS = 24 * 60 * 60 * 1000;

export interface ReplyAllowance {
  /** Tell the operators. */
  forward: boolean;
  /** And tell the customer "we'll get back to you". */
  acknowledge: boolean;
}

/** What may be done for one more reply now; what it takes is counted in `limits` (changed in place). */
export function takeAllowance(limits: ReplyLimits, channel: Channel, nowMs: number): ReplyAllowance {
  const recent = (limits.forwardedAt ?? []).filter((at) => nowMs - Date.parse(at) < FORWARDS_PER_MS);
  const forward = recent.length < MAX_FORWARDS;
  const last = limits.acknowledgedAt?.[channel];
  const acknowledge = forward && (last === undefined || nowMs - Date.parse(last) >= ACKNOWLEDGE_EVERY_MS);
  const now = new Date(nowMs).toISOString();
  limits.forwardedAt = forward ? [...recent, now] : recent;
  if (acknowledge) limits.acknowledgedAt = { ...limits.acknowledgedAt, [channel]: now };
  return { forward, acknowledge };
}

/** A rating 1-5 (read from the text or a button). */
export const isRating = (r: number | undefined): r is number => Number.isInteger(r) && r! >= 1 && r! <= 5;
