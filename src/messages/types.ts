import type { MessageKind } from '../contract';
import type { Channel, LocalizedText, Playbook } from '../playbook/schema';

/** What a journey asks to send: the renderer turns it into subject, HTML and text. */
export interface MessageData {
  orderId: string;
  /** Label of the order's current stage, per language (from the playbook). */
  stageLabel?: LocalizedText;
  /** The playbook's description of the stage, per language. */
  stageDescription?: LocalizedText;
  /** Free-text note the business attached to the stage update (customer-visible). */
  note?: string;
  /** Reason given with a delay or problem notice (customer-visible). */
  reason?: string;
  /** ISO date-time of the (new) expected arrival/completion. */
  eta?: string;
  /** True when this status message is for the stage that completes the order. */
  isFinal?: boolean;
  /** Order total in minor units, and its currency. */
  totalMinor?: number;
  currency?: string;
  items?: { name: string; quantity: number }[];
  /** Required when kind is 'offer': the cross-sell discount with the customer's personal code. */
  offer?: OfferData;
  /**
   * Where the customer stops marketing messages; give it on marketing messages only. The email gets a
   * visible unsubscribe link (footer and text part); SMS, Telegram and WhatsApp get a short opt-out hint
   * ("Reply STOP", "Send /stop"). Must be http(s) or mailto: rendering throws rather than send without it.
   */
  unsubscribeUrl?: string;
  /**
   * Deep link that connects the customer's Telegram to their orders. Shown on email (small footer link and
   * a line in the text part) and, to keep SMS short, on SMS status updates only. Dropped unless http(s).
   */
  telegramLinkUrl?: string;
  /** survey / survey_reminder: the personal rating page (1-5 stars and a comment). */
  surveyUrl?: string;
  /** review_request / warranty_checkin: where to leave a review (an Aftercare redirect that counts clicks). */
  reviewUrl?: string;
  /** referral_request: the customer's referral code and the reward for both sides. */
  referral?: { code: string; rewardPercent: number };
  /** care_followup / operator_alert: the customer's answer. */
  feedback?: { rating: number; comment?: string };
  /** operator_alert: who and where to look (the journey in the Temporal UI). */
  operator?: { customerId: string; customerName: string; contact?: string; journeyUrl?: string };
  /** warranty_checkin: the items whose warranty ends, when, and how many years the customer has had them. */
  warranty?: { items: string[]; endsAt: string; yearsOwned: number; inspectionOffer?: LocalizedText };
  /** thank_you / tier_upgrade: the customer's loyalty standing. */
  loyalty?: {
    tier?: string;
    tierLabel?: LocalizedText;
    discountPercent?: number;
    cashbackBalanceMinor?: number;
    currency?: string;
  };
  /** winback: the "we miss you" incentive; attempt 2 is the last one. */
  winback?: { code: string; discountPercent: number; expiresAt: string; attempt: 1 | 2 };
}

export interface OfferData {
  /** The customer's personal discount code. */
  code: string;
  discountPercent: number;
  /** ISO date-time the code stops working; shown in the customer's time zone and locale. */
  expiresAt: string;
  conditions?: LocalizedText;
  /** Other services to cross-sell; listed in the email only, not in text messages. */
  services: { name: LocalizedText; price?: string }[];
}

export interface RenderRequest {
  kind: MessageKind;
  channel: Channel;
  /** The customer's locale; falls back to fallbackLocale, then "en", when no templates exist for it. */
  locale?: string;
  fallbackLocale: string;
  /** IANA zone for dates in the message; UTC when absent. */
  timeZone?: string;
  brand: Playbook['brand'];
  recipientName: string;
  data: MessageData;
}

export interface RenderedMessage {
  /** The locale the templates were actually rendered in. */
  locale: string;
  subject: string;
  /** Full HTML document (email only; empty for text channels). */
  html: string;
  /** Plain text: the email's text part, or the whole message on SMS / messengers. */
  text: string;
}

export interface MessageRenderer {
  render(request: RenderRequest): RenderedMessage;
  /** Locales that have templates for every message kind. */
  readonly locales: readonly string[];
}
