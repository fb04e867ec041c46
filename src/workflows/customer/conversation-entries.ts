/**
 * The conversation's bounds, shared by the journey's record, the lifecycle's and the API's reply router: at most
 * MAX_CONVERSATION entries, each text at most MAX_CONVERSATION_TEXT characters. Pure: workflows and the API use it.
 */
import type { Channel } from '../../channels/types';
import { MAX_CONVERSATION, MAX_CONVERSATION_TEXT, type ConversationEntry } from './contract';

/** The text as kept: at most MAX_CONVERSATION_TEXT characters (whole code points), "…" where it was cut. */
export function clipText(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_CONVERSATION_TEXT ? text : `${chars.slice(0, MAX_CONVERSATION_TEXT - 1).join('')}…`;
}

/** The conversation with one more entry (its text clipped), keeping the latest MAX_CONVERSATION. */
export function appended(list: ConversationEntry[] | undefined, entry: ConversationEntry): ConversationEntry[] {
  return [...(list ?? []), { ...entry, text: clipText(entry.text) }].slice(-MAX_CONVERSATION);
}

/**
 * What the business gets for a reply that is not an answer: the order, what the customer wrote (clipped), on which
 * channel, and who they are with how to get back to them (their phone, else their email).
 */
export function operatorMessage(
  orderId: string,
  reply: { text: string; channel: Channel },
  customer: { id: string; name: string; phone?: string; email?: string },
) {
  const contact = customer.phone ?? customer.email;
  return {
    kind: 'operator_message' as const,
    data: {
      orderId,
      message: { text: clipText(reply.text), channel: reply.channel },
      operator: { customerId: customer.id, customerName: customer.name, ...(contact ? { contact } : {}) },
    },
  };
}

/** The conversation's record of a "we'll get back to you" that went out. */
export const acknowledged = (at: string, channel: Channel, orderId: string): ConversationEntry => ({
  at,
  channel,
  direction: 'out',
  text: 'reply_received',
  ...(orderId ? { orderId } : {}),
  outcome: 'acknowledged',
});
