/**
 * What a customer writes back on a text channel (an SMS, a Telegram message or button, a WhatsApp message or list
 * choice), as each channel's webhook hands it over once its signature is checked. The router (replies.ts)
 * finds the order it is about and tells the customer's lifecycle (one durable signal), which hands it on to that
 * order's journey or handles it itself. Keywords (STOP, START, HELP) never come here.
 */
import type { Channel } from '../channels/types';

export interface InboundReply {
  channel: Exclude<Channel, 'email'>;
  /** The keys the sender's contact may be stored under (keysOfContact): whose customer this is. */
  contactKeys: string[];
  /** What they wrote (for a button: the button's title). PII: never logged. */
  text: string;
  /** The provider's id of the inbound message, prefixed by channel ("twilio:SM…"): a redelivery is the same reply. */
  eventId: string;
  /** When the customer sent it (the provider's clock where it has one). */
  at: string;
  /** A one-tap answer: the rating and the order reference the button carried (src/channels/replies.ts). */
  button?: { rating: number; orderRef: string };
  /** The provider's id of our message they replied to (Telegram reply_to_message, WhatsApp context.id). */
  replyTo?: string;
}

/** Where the reply went (its customer's lifecycle has it: durable once this returns). */
export type ReplyOutcome =
  /** To this order: the lifecycle hands it to the order's journey (the answer, forwarded or recorded there). */
  | { outcome: 'routed'; orderId: string }
  /** No running journey: the customer's lifecycle keeps it (and tells the business, unless it is a rating). */
  | { outcome: 'kept' }
  /** Nobody has this contact. */
  | { outcome: 'unknown' };

export interface ReplyRouter {
  route(reply: InboundReply): Promise<ReplyOutcome>;
}
