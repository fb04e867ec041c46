/**
 * Consent: the per-customer rules that span journeys (see docs/architecture.md): per channel and per address, what
 * the customer said, what delivery taught us, and the events that change it. Part of the lifecycle's contract
 * (./contract re-exports it). Deterministic: no I/O.
 */
import type { Channel } from '../../channels/types';
import type { DeliveryProblem, SendPermit } from '../delivery/contract';
import type { SwitchableTopic } from '../../messages/topics';

export interface ConsentMark {
  reason: string;
  source: string;
  at: string;
  /** The address it is about, when it came from one (a STOP, a bounce): it goes when that address does. */
  key?: string;
}

export interface ChannelConsent {
  /** Nothing may be sent on this channel (STOP, hard bounce, blocked bot, invalid address). */
  blocked?: ConsentMark;
  /** Marketing may not be sent on this channel (complaint, soft suppression). */
  marketingSuppressed?: ConsentMark;
  /** The last delivery problem reported, blocking or not (e.g. an SMS the carrier did not deliver). */
  lastProblem?: ConsentMark;
}

export interface ConsentState {
  /** Customer-wide marketing consent: null = never stated (the playbook decides what that means). */
  marketing: { granted: boolean | null; source?: string; at?: string; previous?: boolean | null };
  channels: Partial<Record<Channel, ChannelConsent>>;
  /**
   * The same per address ("<channel>/<contact key>"): a STOP from one number, or a bounce of an old address,
   * blocks that address, not every address the customer has on the channel. Bounded.
   */
  addresses?: Record<string, ChannelConsent>;
  /** Last inbound message per channel (WhatsApp's 24-hour window). */
  lastInboundAt: Partial<Record<Channel, string>>;
  /** When marketing messages were granted a send (ms), for the frequency cap; pruned to the window. */
  marketingSentAt: number[];
  /** Recent webhook/event ids already applied: replays change nothing. Bounded. */
  seenEvents: string[];
  /** Recent permit decisions by permit id, so a retried request gets the same answer. Bounded. */
  permits: { id: string; decision: SendPermit }[];
  /** Telegram link tokens already used (single use). Bounded. */
  usedLinkTokens: string[];
  /** The customer withdrew consent for every message on every channel; only their opt-in undoes it. */
  stopped?: { source: string; at: string };
  /** An operator paused the customer's marketing: nothing marketing goes out until `until` (or a resume). */
  marketingPaused?: { until?: string; reason: string; source: string; at: string };
  /**
   * Opt-in and opt-out event ids, kept far longer than seenEvents (they are rare), so a captured START
   * replayed months later never undoes a STOP. Bounded.
   */
  consentEvents?: string[];
  /** When consent last changed per channel ("all" for every channel): an older event changes nothing. */
  consentChangedAt?: Partial<Record<Channel | 'all', string>>;
  /** The customer's own choices from their preferences page: channels, topics, language. */
  preferences?: CustomerPreferences;
}

interface EventBase {
  source: string;
  /** Replayed ids change nothing. */
  eventId: string;
  at: string;
}

export type CustomerEvent =
  | ({
      type: 'opt-out' | 'opt-in';
      channel: Channel | 'all';
      scope: 'all' | 'marketing';
      /** The address it came from (a channel's own STOP/START): the consent applies to that address. */
      contactKey?: string;
    } & EventBase)
  | ({ type: 'delivery-problem'; channel: Channel; problem: DeliveryProblem; contactKey?: string } & EventBase)
  | ({
      type: 'telegram-linked';
      chatId: string;
      linkToken: string;
      contactKey: string;
      /** The link's id: its last characters name the order whose message carried it. */
      linkId?: string;
    } & EventBase)
  | ({
      type: 'inbound';
      channel: Channel;
      /** What the customer wrote (absent: a message we could not read, or from before replies were kept). */
      text?: string;
      /**
       * The order the API chose (the lifecycle hands the reply to its journey, once per eventId); absent: no journey
       * of theirs is running, the lifecycle handles it itself.
       */
      orderId?: string;
      /** The rating read from the text or the button they tapped, and the comment after it. */
      rating?: number;
      comment?: string;
      /** The rating came from a one-tap button. */
      button?: boolean;
    } & EventBase)
  /** An operator holds the customer's marketing (until a time, or until resumed); order news still goes. */
  | ({ type: 'marketing-paused'; until?: string; reason: string } & EventBase)
  | ({ type: 'marketing-resumed'; reason: string } & EventBase)
  /** Not consent: follow-up facts the lifecycle remembers (offers for attribution, answers). */
  | ({ type: 'offer-issued'; code: string; orderId: string; expiresAt: string; variant?: string } & EventBase)
  | ({ type: 'feedback'; orderId: string; rating: number; comment?: string } & EventBase);

/** What the customer chose on their preferences page. */
export interface CustomerPreferences {
  /** Channels in the customer's order (those switched on come first, in this order). */
  channels?: Channel[];
  /** Channels the customer switched off: nothing goes there (order news too), until they switch it on. */
  off?: Channel[];
  /** Topics switched off (order news cannot be: it is always on while an order is open). */
  topicsOff?: SwitchableTopic[];
  /** The language they read messages in. */
  locale?: string;
  /** The customer's own marketing pause (30 or 90 days); an operator's pause is consent.marketingPaused. */
  pausedUntil?: string;
  source: string;
  at: string;
}
