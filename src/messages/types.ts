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
