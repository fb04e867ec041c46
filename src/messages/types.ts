import type { Channel } from '../channels/types';
import type { RecordedMessageData } from './data';
import type { MessageKind } from './kind-names';
import type { VariantTexts } from './variants';

export type { KindAndData, MessageData, MessageDataOf, OfferData, RecordedMessageData } from './data';

/** Who the message is from: the playbook's brand. */
export interface Brand {
  name: string;
  /** Sender for email, e.g. "Dana's Shop <orders@shop.example>". */
  sender: string;
  supportEmail?: string;
  supportPhone?: string;
  website?: string;
}

export interface RenderRequest {
  kind: MessageKind;
  channel: Channel;
  /** The customer's locale; falls back to fallbackLocale, then "en", when no templates exist for it. */
  locale?: string;
  fallbackLocale: string;
  /** IANA zone for dates in the message; UTC when absent. */
  timeZone?: string;
  brand: Brand;
  recipientName: string;
  /** As recorded in the journey's history: the renderer checks what the kind needs (kinds.ts `needs`). */
  data: RecordedMessageData;
  /** The A/B variant's own texts (the playbook's), in place of the kind's; absent: the kind's texts. */
  variant?: VariantTexts;
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
