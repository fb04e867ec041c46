/**
 * What the customer writes about this order (an SMS, Telegram or WhatsApp reply the API routed here, handed on by
 * their lifecycle as a signal): a rating while the survey is open is its answer, taken as the survey page's is (the
 * change window, the review request or care and the operator alert follow from follow-ups.ts); a rating with no
 * survey open is only recorded (nobody needs "5 stars" forwarded); anything else goes to the business's operators
 * and the customer hears "we'll get back to you" on the channel they wrote on, beside the journey's own flow, within
 * the limits of customer/reply-limits.ts (an auto-reply cannot ping-pong). Both directions are kept, bounded, in
 * state.conversation (encrypted like all state; the text is never logged). The handler is new: recorded histories
 * never call it. Workflow code: deterministic.
 */
import { isCancellation, log, setHandler } from '@temporalio/workflow';
import { acknowledged, appended, clipText, operatorMessage } from '../customer/conversation-entries';
import type { ConversationEntry, ReplyLimits } from '../customer/contract';
import { isRating, takeAllowance } from '../customer/reply-limits';
import { FollowUpsCancelled } from '../delivery/deliver';
import type { Journey } from './context';
import { customerReplySignal, type CustomerReply } from './contract';
import { notifyOperator } from './operator';

/** Replies remembered by their provider id (the lifecycle hands each on once; this is the second line). */
const MAX_SEEN = 200;

export interface Replies {
  /** Nothing is waiting to be forwarded or acknowledged: the journey may end. */
  idle(): boolean;
}

export function handleReplies(j: Journey): Replies {
  const { state, order } = j;
  const seen = new Set<string>();
  const limits: ReplyLimits = {};
  const pending: { reply: CustomerReply; n: number; acknowledge: boolean }[] = [];
  let forwarded = 0;
  let busy = false;

  /** Tells the business and acknowledges, one reply at a time; a cancelled journey still tells the business. */
  const drain = async () => {
    if (busy) return;
    busy = true;
    try {
      while (pending.length > 0) {
        const { reply, n, acknowledge: ack } = pending.shift()!;
        await notifyOperator(
          j,
          `operator-message-${n}`,
          operatorMessage(order.orderId, reply, order.customer),
          j.customer.lean,
        );
        if (ack) await acknowledge(reply, n);
      }
    } finally {
      busy = false;
    }
  };

  const acknowledge = async (reply: CustomerReply, n: number) => {
    try {
      const ack = await j.deliver({
        key: `reply-${n}`,
        kind: 'reply_received',
        data: { orderId: order.orderId },
        channels: [reply.channel],
      });
      if (ack.status !== 'sent') return;
      state.conversation = appended(
        state.conversation,
        acknowledged(j.now(), ack.channel ?? reply.channel, order.orderId),
      );
    } catch (err) {
      // Cancelled meanwhile: the business has the message; there is no customer message left to send.
      if (!(err instanceof FollowUpsCancelled) && !isCancellation(err)) throw err;
    }
  };

  /** What becomes of one new reply: the answer, recorded only, or forwarded (and maybe acknowledged). */
  const handle = (reply: CustomerReply): NonNullable<ConversationEntry['outcome']> => {
    if (isRating(reply.rating)) {
      // A late rating (the survey closed, or not open yet) is kept, not forwarded: nobody needs to act on it.
      if (!j.answers.isOpen()) return 'recorded';
      const comment = reply.comment?.trim();
      j.answers.take({
        rating: reply.rating,
        ...(comment ? { comment: clipText(comment) } : {}),
        source: `${reply.channel}-reply`,
      });
      return 'answer';
    }
    const allowed = takeAllowance(limits, reply.channel, Date.now());
    if (!allowed.forward) return 'recorded';
    forwarded += 1;
    pending.push({ reply, n: forwarded, acknowledge: allowed.acknowledge });
    void drain();
    return 'forwarded';
  };

  setHandler(
    customerReplySignal,
    (reply) => {
      if (typeof reply?.text !== 'string' || !reply.eventId) {
        log.warn('customer reply ignored: no text or eventId');
        return;
      }
      if (seen.has(reply.eventId)) return;
      seen.add(reply.eventId);
      if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value!);
      const outcome = handle(reply);
      state.conversation = appended(state.conversation, {
        at: reply.at,
        channel: reply.channel,
        direction: 'in',
        text: reply.text,
        orderId: order.orderId,
        outcome,
        eventId: reply.eventId,
      });
      // The outcome and channel only: what they wrote is personal.
      log.info('customer reply', { outcome, channel: reply.channel });
    },
    {
      description:
        "Something the customer wrote about this order (SMS, Telegram, WhatsApp), from their lifecycle: a 1-5 rating while the survey is open is its answer, a late one is recorded; anything else is forwarded to the business's operators and acknowledged (within limits).",
    },
  );
  return { idle: () => !busy && pending.length === 0 };
}
