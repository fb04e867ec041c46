export const CHANNELS = ['email', 'sms', 'telegram', 'whatsapp'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * One interface for every channel. An adapter turns a rendered message into one provider call and
 * reports failures as one of the DeliveryErrors in ./errors, so retry behaviour is decided by the
 * error's class, never by string matching further up.
 */
export interface EmailContent {
  channel: 'email';
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
}

export interface TextContent {
  channel: Exclude<Channel, 'email'>;
  /** E.164 phone number or chat id, depending on the channel. */
  to: string;
  text: string;
  /**
   * One-tap answers where the channel has them (Telegram inline keyboard, WhatsApp interactive list); the id comes
   * back in the channel's inbound webhook. SMS ignores them (the text says "reply 1-5").
   */
  buttons?: { id: string; title: string }[];
}

export type OutgoingContent = EmailContent | TextContent | WhatsAppContent;

export interface OutgoingMessage<C extends OutgoingContent = OutgoingContent> {
  /** Derived from workflow id + message key (+ channel): the same message always has the same key. */
  idempotencyKey: string;
  content: C;
  /** Not sent to the provider: for the outbox, logs (no PII here) and tags. */
  meta: { kind: string; workflowId: string; messageKey: string; locale: string; variant?: string };
}

export interface SendResult {
  provider: string;
  providerMessageId: string;
}

export interface ChannelAdapter<C extends OutgoingContent = OutgoingContent> {
  readonly channel: C['channel'];
  /** e.g. "resend", "outbox". */
  readonly provider: string;
  send(message: OutgoingMessage<C>): Promise<SendResult>;
  /**
   * True when the provider has no idempotency key, so a resend is a second message (Twilio, Telegram, WhatsApp).
   * The send activity then marks each attempt durably before the request, and an attempt after an earlier one's
   * mark asks `findSent` (a provider that can list what it sent) or gives up as outcome unknown (one that cannot).
   */
  readonly keyless?: boolean;
  /** The message an earlier attempt sent at or after `sinceMs` (same recipient, same text), if the provider has it. */
  findSent?(message: OutgoingMessage<C>, sinceMs: number): Promise<SendResult | undefined>;
}

export interface WhatsAppTemplate {
  /** Approved template name, e.g. "order_shipped_v1". */
  name: string;
  /** Template language code as approved, e.g. "en_US" or "de". */
  language: string;
  /** Values for {{1}}, {{2}}, … in the body, in order. */
  bodyParameters: string[];
}

export interface WhatsAppContent extends TextContent {
  /** When set, a template message is sent (required outside the 24 h customer-service window); else free-form text. */
  template?: WhatsAppTemplate;
  /** The localized label of the button that opens the list of `buttons` (WhatsApp allows 20 characters). */
  buttonsLabel?: string;
}
