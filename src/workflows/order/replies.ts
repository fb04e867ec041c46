/**
 * What the customer writes about this order (an SMS, Telegram or WhatsApp reply the API routed here): a rating
 * while the survey is open is its answer, taken as the survey page's is (the change window, the review request or
 * care and the operator alert follow from follow-ups.ts); anything else goes to the business's operators and the
 * customer hears "we'll get back to you" on the channel they wrote on, beside the journey's own flow. Both
 * directions are kept, bounded, in state.conversation (encrypted like all state; the text is never logged). The
 * handler is new: recorded histories never call it. Workflow code: deterministic.
 */
import { isCancellation, log, setHandler } from '@temporalio/workflow';
import { appended, clipText } from '../customer/conversation-entries';
import { FollowUpsCancelled } from '../delivery/deliver';
import type { Journey } from './context';
import { customerReplyUpdate, type CustomerReply, type CustomerReplyResult } from './contract';
import { notifyOperator } from './operator';

/** Replies remembered by their provider id (a redelivered webhook is answered as before, changing nothing). */
const MAX_SEEN = 200;

export interface Replies {
  /** Nothing is waiting to be forwarded or acknowledged: the journey may end. */
  idle(): boolean;
}

const isRating = (r: number | undefined): r is number => Number.isInteger(r) && r! >= 1 && r! <= 5;

export function handleReplies(j: Journey): Replies {
  const { state, order } = j;
  const seen = new Map<string, CustomerReplyResult>();
  const pending: { reply: CustomerReply; n: number }[] = [];
  let forwarded = 0;
  let busy = false;

  /** Tells the business and acknowledges, one reply at a time; a cancelled journey still tells the business. */
  const drain = async () => {
    if (busy) return;
    busy = true;
    try {
      while (pending.length > 0) {
        const { reply, n } = pending.shift()!;
        await notifyOperator(
          j,
          `operator-message-${n}`,
          {
            kind: 'operator_message',
            data: {
              orderId: order.orderId,
              message: { text: clipText(reply.text), channel: reply.channel },
              operator: { customerId: order.customer.id, customerName: order.customer.name },
            },
          },
          j.customer.lean,
        );
        await acknowledge(reply, n);
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
      state.conversation = appended(state.conversation, {
        at: j.now(),
        channel: ack.channel ?? reply.channel,
        direction: 'out',
        text: 'reply_received',
        orderId: order.orderId,
        outcome: 'acknowledged',
      });
    } catch (err) {
      // Cancelled meanwhile: the business has the message; there is no customer message left to send.
      if (!(err instanceof FollowUpsCancelled) && !isCancellation(err)) throw err;
    }
  };

  setHandler(
    customerReplyUpdate,
    (reply): CustomerReplyResult => {
      const known = seen.get(reply.eventId);
      if (known) return known;
      let result: CustomerReplyResult;
      if (isRating(reply.rating) && j.answers.isOpen()) {
        const comment = reply.comment?.trim();
        const { replaced } = j.answers.take({
          rating: reply.rating,
          ...(comment ? { comment: clipText(comment) } : {}),
          source: `${reply.channel}-reply`,
        });
        result = { outcome: 'answer', replaced };
      } else {
        forwarded += 1;
        pending.push({ reply, n: forwarded });
        void drain();
        result = { outcome: 'forwarded' };
      }
      state.conversation = appended(state.conversation, {
        at: reply.at,
        channel: reply.channel,
        direction: 'in',
        text: reply.text,
        orderId: order.orderId,
        outcome: result.outcome,
        eventId: reply.eventId,
      });
      seen.set(reply.eventId, result);
      if (seen.size > MAX_SEEN) seen.delete(seen.keys().next().value!);
      // The outcome and channel only: what they wrote is personal.
      log.info('customer reply', { outcome: result.outcome, channel: reply.channel });
      return result;
    },
    {
      description:
        "Something the customer wrote about this order (SMS, Telegram, WhatsApp): a 1-5 rating while the survey is open is its answer; anything else is forwarded to the business's operators and acknowledged.",
      validator: (reply) => {
        if (typeof reply?.text !== 'string' || !reply.eventId) throw new Error('a reply needs its text and eventId');
      },
    },
  );
  return { idle: () => !busy && pending.length === 0 };
}
