import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { DeliveryFailureType } from '../../channels/errors';
import type { Channel } from '../../channels/types';
import { DELIVERY_PROBLEM_OF, type DeliveryProblem, type MessageRecord } from './contract';
import { FollowUpsCancelled, SkippedByOperator } from './errors';

export type AttemptOutcome =
  | { sent: true }
  | { sent: false; error: string; failure: string; problem?: DeliveryProblem }
  | { sent: false; skipped: string };

/**
 * One attempt on one channel, recorded on the message. A permanent failure, or transient trouble
 * that outlasted giveUpAfter, is returned (with the channel problem to remember, if any) so the
 * caller can try the next channel; cancellation propagates.
 */
export async function attemptSend(
  record: MessageRecord,
  channel: Channel,
  attempt: () => Promise<{ provider: string; providerMessageId: string }>,
  now: () => string,
): Promise<AttemptOutcome> {
  try {
    const result = await attempt();
    record.attempts.push({
      channel,
      outcome: 'sent',
      provider: result.provider,
      providerMessageId: result.providerMessageId,
      at: now(),
    });
    record.status = 'sent';
    record.channel = channel;
    return { sent: true };
  } catch (err) {
    if (isCancellation(err) || err instanceof FollowUpsCancelled) throw err;
    if (err instanceof SkippedByOperator) return { sent: false, skipped: err.message };
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
    const error = cause instanceof Error ? `${type}: ${cause.message}` : String(cause);
    record.attempts.push({ channel, outcome: 'failed', error, at: now() });
    const problem = DELIVERY_PROBLEM_OF[type as DeliveryFailureType];
    return { sent: false, error, failure: type, ...(problem ? { problem } : {}) };
  }
}
