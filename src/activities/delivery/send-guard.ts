/**
 * At most one message per send for providers without an idempotency key (Twilio, Telegram, WhatsApp: `keyless`).
 *
 * A worker that dies after its request reached the provider but before the activity completed leaves no error:
 * Temporal retries the activity elsewhere once its timeout passes, and a blind resend is a second message on the
 * customer's phone. So each attempt first records a durable mark, `{ sending: { attempt, at } }`, as the activity's
 * heartbeat details, through the awaited RecordActivityTaskHeartbeat RPC (the SDK's heartbeat() is fire-and-forget:
 * a crash right after the request could leave no mark). Temporal hands the last details to the next attempt, which
 * then knows an earlier one may have sent the message:
 * - a provider that lists what it sent (`findSent`, Twilio) is asked, and a match is returned as this send's result;
 * - one that cannot (Telegram, WhatsApp) is not resent: OutcomeUnknownError, permanent, recorded on the message.
 * An attempt that failed with an error saying the provider surely did not take the message (`notSent`: a 429, a
 * refused connection) clears its mark on its way out, so its retry sends as usual.
 * Email (Resend) dedupes on the Idempotency-Key and is not marked: it costs nothing more.
 *
 * Cost: one Action (a heartbeat that reaches the server) per attempt that gets to the request, plus one per
 * retryable surely-not-sent failure of a provider without a lookup. The window between the mark and the request
 * (a few lines, no I/O) is tiny: a worker dying exactly there makes the next attempt treat a message that was never
 * sent as "outcome unknown" (Telegram, WhatsApp; Twilio's lookup finds nothing and sends).
 */
import { activityInfo, log } from '@temporalio/activity';
import { ActivityCancelledError, ActivityPausedError, ActivityResetError } from '@temporalio/client';
import { DeliveryError, OutcomeUnknownError, TransientDeliveryError } from '../../channels/errors';
import type { ChannelAdapter, OutgoingMessage, SendResult } from '../../channels/types';

/** What a send attempt records as its heartbeat details. No customer data: it shows in the Temporal UI. */
export interface SendMark {
  /** This attempt is about to make (or made) the provider request. */
  sending?: { attempt: number; at: string };
  /** This attempt failed and the provider surely did not take the message. */
  notSent?: number;
}

/** Records heartbeat details durably: resolves once the server has them. */
export type RecordMark = (taskToken: Uint8Array, mark: SendMark) => Promise<void>;

/** The Temporal client's awaited heartbeat by task token (AsyncCompletionClient). */
export function recordMarkWith(client: {
  activity: { heartbeat(taskToken: Uint8Array, details?: unknown): Promise<void> };
}): RecordMark {
  return async (taskToken, mark) => {
    try {
      await client.activity.heartbeat(taskToken, mark);
    } catch (err) {
      // The server recorded the details and then said the activity was cancelled, paused or reset: the mark stands.
      // The send goes on as it always did (sends do not stop half-way for a cancellation).
      if (err instanceof ActivityCancelledError || err instanceof ActivityPausedError) return;
      if (err instanceof ActivityResetError) return;
      throw err;
    }
  };
}

export async function guardedSend(
  adapter: ChannelAdapter,
  message: OutgoingMessage,
  recordMark: RecordMark | undefined,
  now: () => number,
): Promise<SendResult> {
  if (!adapter.keyless || !recordMark) return adapter.send(message);
  const { attempt, taskToken, heartbeatDetails } = activityInfo();
  const earlier = attempt > 1 ? markOf(heartbeatDetails) : undefined;
  if (earlier) {
    const at = Date.parse(earlier.at);
    if (!adapter.findSent) {
      throw new OutcomeUnknownError(
        `${adapter.provider}: attempt ${earlier.attempt} may have sent this message (it ended after its request ` +
          `went out, without an answer); not resent, as ${adapter.provider} has no idempotency key`,
        adapter.provider,
        undefined,
        'earlier_attempt_unknown',
      );
    }
    const found = await adapter.findSent(message, Number.isFinite(at) ? at : 0);
    if (found) {
      log.info('earlier attempt had sent the message', { earlierAttempt: earlier.attempt, provider: found.provider });
      return found;
    }
  }
  try {
    await recordMark(taskToken, { sending: { attempt, at: new Date(now()).toISOString() } });
  } catch (err) {
    // No mark, no request: a later attempt could not tell whether this one sent.
    const reason = err instanceof Error ? err.message : String(err);
    throw new TransientDeliveryError(`could not mark the send before it (${reason})`, 'aftercare').surelyNotSent();
  }
  try {
    return await adapter.send(message);
  } catch (err) {
    const retried = err instanceof DeliveryError && err.retry !== 'never';
    if (retried && err.notSent && !adapter.findSent) {
      // Best effort: if the clear is lost, the retry reports "outcome unknown", never a duplicate.
      await recordMark(taskToken, { notSent: attempt }).catch(() => undefined);
    }
    throw err;
  }
}

function markOf(details: unknown): { attempt: number; at: string } | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const sending = (details as SendMark).sending;
  if (typeof sending !== 'object' || sending === null) return undefined;
  return { attempt: Number(sending.attempt) || 0, at: String(sending.at) };
}
