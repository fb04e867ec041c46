/**
 * The order journey's operator actions, as Updates (part of its contract: ./contract re-exports it). Deterministic:
 * no I/O.
 */
import { defineUpdate } from '@temporalio/workflow';

/**
 * Operator actions, as Updates (the Temporal UI offers them with their descriptions; the API and `npm run ops` call
 * them). Each is recorded in the journey's events; an update id from the request's Idempotency-Key makes a
 * repeated request one action.
 */
export const OPERATOR_ACTIONS = ['retry', 'skip', 'resend', 'change-wait', 'cancel'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];
export interface OperatorActionResult {
  action: OperatorAction;
  /** What came of it, in words. */
  outcome: string;
  messageKey?: string;
}
/** Who acted, on every operator action (kept with it in the journey's events). */
interface ActedBy {
  by?: string;
}
export const retryMessageUpdate = defineUpdate<OperatorActionResult, [{ reason?: string } & ActedBy]>(
  'retryMessageNow',
);
export const skipMessageUpdate = defineUpdate<OperatorActionResult, [{ reason: string } & ActedBy]>('skipMessage');
export const resendMessageUpdate = defineUpdate<
  OperatorActionResult,
  [{ messageKey: string; reason: string } & ActedBy]
>('resendMessage');
/** Moves the end of the current timed wait: to a time (`until`), or by a signed number of milliseconds (`byMs`). */
export const changeWaitUpdate = defineUpdate<
  OperatorActionResult,
  [{ until?: string; byMs?: number; reason: string } & ActedBy]
>('changeWait');
export const cancelFollowUpsUpdate = defineUpdate<OperatorActionResult, [{ reason: string } & ActedBy]>(
  'cancelFollowUps',
);
