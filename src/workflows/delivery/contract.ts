/**
 * Message delivery's contract: what a journey (or the lifecycle) records about each message, the
 * permit the customer's lifecycle gives before a send, and what the send activity takes and returns.
 * Deterministic: workflows import it.
 */
import { DeliveryFailureType, type DeliveryProblem } from '../../channels/errors';
import type { Channel } from '../../channels/types';
import type { Playbook } from '../../playbook/schema';
import type { KindAndData, LoyaltyData, PersonalData } from '../../messages/data';
import type { MessageKind, Purpose } from '../../messages/kinds';
import type { ChosenVariant } from '../../messages/variants';

export interface DeliveryAttempt {
  channel: Channel;
  outcome: 'sent' | 'failed';
  providerMessageId?: string;
  provider?: string;
  error?: string;
  at: string;
}

export interface MessageRecord {
  /** Unique within the journey; with the workflow id it forms the idempotency key. */
  key: string;
  kind: MessageKind;
  purpose: Purpose;
  /** skipped: the customer's consent, caps or reachability ruled it out (see `reason`). */
  status: 'pending' | 'waiting' | 'sent' | 'failed' | 'skipped';
  reason?: string;
  channel?: Channel;
  attempts: DeliveryAttempt[];
  queuedAt: string;
  /** The A/B variant the customer got (the playbook's `messages.<kind>.variants`); absent: the kind has none. */
  variant?: string;
}

/** Stable per workflow, message and channel: a retried send can never become a second message. */
export const idempotencyKeyFor = (workflowId: string, messageKey: string, channel: Channel) =>
  `${workflowId}/${messageKey}/${channel}`;

/** The channels a kind of message may go on, in the playbook's order (its own order for the kind, if it has one). */
export const channelsFor = (playbook: Pick<Playbook, 'channels' | 'messages'>, kind: MessageKind): Channel[] =>
  playbook.messages[kind]?.channels ?? playbook.channels;

/** The customer's address on a channel, or undefined when they cannot be reached there. */
export function contactFor(
  channel: Channel,
  customer: { email?: string; phone?: string; telegramChatId?: string },
): string | undefined {
  switch (channel) {
    case 'email':
      return customer.email;
    case 'sms':
    case 'whatsapp':
      return customer.phone;
    case 'telegram':
      return customer.telegramChatId;
  }
}

export type { DeliveryProblem };

/** An address on one channel, with its keyed hash: the name consent is kept under. */
export interface Address {
  channel: Channel;
  to: string;
  key: string;
}

/** Who a message is for, as their order gave them (not whoever last used the same customer id). */
export interface Recipient<A = Address[]> {
  name: string;
  locale?: string;
  timeZone?: string;
  preferredChannels?: Channel[];
  /** The order's own addresses; keyed by the permit activity (keys need the secret). */
  addresses: A;
}

/** The order's contacts as the journey has them; the permit activity turns them into keyed addresses. */
export type RecipientContacts = Recipient<{ email?: string; phone?: string; telegramChatId?: string }>;

/** What a journey has for its customer's lifecycle: its order completed, the answer it got, offers it issued, its end. */
export interface JourneyNews {
  orderId: string;
  completedAt?: string;
  feedback?: { rating: number; comment?: string; source: string; at: string };
  /** An offer code sent (attributes a later order that carries it, to the offer's A/B variant too). */
  offer?: { code: string; expiresAt: string; at: string; variant?: string };
  /** The journey is over: no more snapshots for it. */
  ended?: boolean;
  /** The business cancelled the order: it counts neither toward loyalty nor toward the win-back clock. */
  cancelledAt?: string;
  /** The order's follow-ups (survey, review, offer, referral) are done: the win-back may count from here. */
  followUpsDoneAt?: string;
  /** Money back for the order: the lifecycle takes it off spend and cashback (once per refund id). */
  refunds?: { refundId: string; amountMinor: number }[];
}

export interface SendPermitRequest {
  /** Idempotency: the same id always gets the same decision. */
  permitId: string;
  kind: MessageKind;
  purpose: Purpose;
  /** The playbook's channel order for this kind; the customer's preference is applied by the lifecycle. */
  channels: Channel[];
  /** The order the message is about: a Telegram chat linked through this order's message serves it. */
  orderId?: string;
  /** Whom to address; absent (journeys from before this existed), the lifecycle's profile. */
  recipient?: Recipient;
  /** What the journey has for the lifecycle, carried here instead of a signal of its own. */
  news?: JourneyNews;
}

/** What a journey asks its permit activity: the request, with the recipient's contacts still plain. */
export type PermitAsk = Omit<SendPermitRequest, 'recipient'> & { recipient?: RecipientContacts };

export type SendPermit =
  | {
      decision: 'send';
      /** Allowed channels in order, with the address to use (and its key) and, per channel, when it may be used. */
      channels: { channel: Channel; to: string; key?: string; notBefore?: string }[];
      /** WhatsApp: inside the 24-hour window free-form text is allowed; outside, only templates. */
      whatsappWindowOpen: boolean;
      locale?: string;
      timeZone?: string;
      name: string;
      /** The customer's standing, for messages that show it (the thank-you). */
      loyalty?: LoyaltyData;
      /** What templates may say about the customer (tier, interests, last purchase); added to the message's data. */
      personal?: PersonalData;
    }
  | { decision: 'wait'; until: string; reason: 'quiet-hours' | 'frequency-cap' }
  | { decision: 'skip'; reason: string };

/** Start of a skip reason meaning nobody could be reached at all (not a consent decision). */
export const NO_REACHABLE_CHANNEL = 'no channel can reach the customer';

/**
 * What the journey hands the send activity: one message, one channel, one address. Its kind and data come as
 * a checked pair (KindAndData); for a generic K, the pair of that kind.
 */
export type SendMessageRequest<K extends MessageKind = MessageKind> = SendMessageFields & KindAndData<K>;

interface SendMessageFields {
  idempotencyKey: string;
  workflowId: string;
  customerId?: string;
  messageKey: string;
  purpose?: Purpose;
  channel: Channel;
  /** The customer's address on this channel (PII: never logged). */
  to: string;
  recipientName: string;
  locale?: string;
  timeZone?: string;
  fallbackLocale: string;
  brand: Playbook['brand'];
  whatsapp?: { windowOpen: boolean; template?: { name: string; languages: Record<string, string> } };
  smsMaxSegments?: number;
  /** Add a "get updates on Telegram" deep link (the customer has no linked chat yet). */
  offerTelegramLink?: boolean;
  /** Until when links in the message (survey) work. */
  linkExpiresAt?: string;
  /**
   * When the workflow made this request (its clock): the links' expiries count from it, so every retry of the send
   * renders the same message (a provider refuses a different body under the same idempotency key).
   */
  issuedAt?: string;
  /** The customer's A/B variant of the kind: its id (links, counts) and its texts, from the frozen playbook. */
  variant?: ChosenVariant;
}

export interface SendMessageResult {
  provider: string;
  providerMessageId: string;
  locale: string;
}

/** What a permanent failure of each type says about the address; the journey tells the lifecycle. */
export const DELIVERY_PROBLEM_OF: Partial<Record<DeliveryFailureType, DeliveryProblem>> = {
  [DeliveryFailureType.optedOut]: 'opted-out',
  [DeliveryFailureType.unreachable]: 'blocked',
  [DeliveryFailureType.invalidAddress]: 'invalid-address',
};
