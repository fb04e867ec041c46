import { createHash } from 'node:crypto';
import type { OutgoingMessage, WhatsAppContent, WhatsAppTemplate } from '../../types';

/** The JSON body of Graph's POST /{phone-number-id}/messages: text, a template, or one-tap answers as a list. */

const MAX_CALLBACK_DATA_LENGTH = 512;

/** The message body for `to` (already Graph's digits, see toWhatsAppNumber). */
export function graphMessageBody(to: string, message: OutgoingMessage<WhatsAppContent>) {
  const { content } = message;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...(content.template
      ? { type: 'template', template: templatePayload(content.template) }
      : content.buttons?.length && content.buttonsLabel
        ? { type: 'interactive', interactive: listPayload(content.text, content.buttonsLabel, content.buttons) }
        : { type: 'text', text: { body: content.text, preview_url: false } }),
    biz_opaque_callback_data: toCallbackData(message.idempotencyKey),
  };
}

/** E.164 ("+49 151 2345-678") to the digits Graph expects ("491512345678"); undefined if it isn't a number. */
export function toWhatsAppNumber(to: string): string | undefined {
  const digits = to
    .trim()
    .replace(/^\+/, '')
    .replace(/[\s().-]/g, '');
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : undefined;
}

function templatePayload(template: WhatsAppTemplate) {
  return {
    name: template.name,
    language: { code: template.language },
    // An empty parameters array is itself a template parameter mismatch, so no components at all then.
    ...(template.bodyParameters.length > 0
      ? { components: [{ type: 'body', parameters: template.bodyParameters.map((text) => ({ type: 'text', text })) }] }
      : {}),
  };
}

/**
 * One-tap answers as an interactive list: reply buttons allow only 3, a list up to 10 rows (a title of 24
 * characters, an id of 200 that comes back as list_reply.id). Free-form only, so inside the 24 h window; the body
 * is the message text (4096 characters, like a text message), the label opens the list (20 characters).
 */
function listPayload(text: string, label: string, buttons: { id: string; title: string }[]) {
  return {
    type: 'list',
    body: { text },
    action: { button: label, sections: [{ rows: buttons.map((b) => ({ id: b.id, title: b.title })) }] },
  };
}

/** biz_opaque_callback_data allows 512 chars; longer keys are hashed, deterministically. */
function toCallbackData(key: string): string {
  if (key.length <= MAX_CALLBACK_DATA_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
