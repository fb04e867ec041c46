/** Step 3 of a send: the rendered message shaped for its channel (email headers, SMS length, WhatsApp templates). */
import { PermanentDeliveryError } from '../../channels/errors';
import { fitSms } from '../../channels/sms/segments';
import { orderRef, ratingButtons, ratingListLabel } from '../../channels/replies';
import type { OutgoingContent, TextContent } from '../../channels/types';
import type { RenderedMessage } from '../../messages/types';
import type { SendMessageRequest } from '../../workflows/delivery/contract';

/** One-tap answers for a text channel: the buttons, and (WhatsApp) the label of the button that opens them. */
export interface OneTap {
  buttons: NonNullable<TextContent['buttons']>;
  label: string;
}

/**
 * The survey and its reminder ask for a rating: on Telegram and WhatsApp the customer can tap it. The buttons name
 * the order by a keyed reference (its tenant's, other than the default one), which the reply router reads back.
 */
export function ratingOneTap(
  req: SendMessageRequest,
  contactsKey: string,
  locale: string,
  tenant: string | undefined,
): OneTap | undefined {
  if (req.kind !== 'survey' && req.kind !== 'survey_reminder') return undefined;
  if (req.channel !== 'telegram' && req.channel !== 'whatsapp') return undefined;
  const ref = orderRef(contactsKey, req.data.orderId, tenant);
  return { buttons: ratingButtons(locale, ref), label: ratingListLabel(locale) };
}

export function compose(
  req: SendMessageRequest,
  rendered: RenderedMessage,
  links: { unsubscribeUrl?: string },
  emailFrom: string | undefined,
  oneTap?: OneTap,
): OutgoingContent {
  switch (req.channel) {
    case 'email':
      return {
        channel: 'email',
        to: req.to,
        from: emailFrom ?? req.brand.sender,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        ...(links.unsubscribeUrl
          ? {
              headers: {
                'List-Unsubscribe': `<${links.unsubscribeUrl}>`,
                'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
              },
            }
          : {}),
      };
    case 'sms':
      return { channel: 'sms', to: req.to, text: fitSms(rendered.text, req.smsMaxSegments ?? 3) };
    case 'whatsapp':
      // A template (outside the window) has no buttons: its text says "reply 1-5".
      if (req.whatsapp && !req.whatsapp.windowOpen) return whatsappTemplate(req, rendered);
      return {
        channel: 'whatsapp',
        to: req.to,
        text: rendered.text,
        ...(oneTap ? { buttons: oneTap.buttons, buttonsLabel: oneTap.label } : {}),
      };
    case 'telegram':
      return { channel: 'telegram', to: req.to, text: rendered.text, ...(oneTap ? { buttons: oneTap.buttons } : {}) };
  }
}

/** Outside the 24-hour window WhatsApp only takes approved templates. */
function whatsappTemplate(req: SendMessageRequest, rendered: RenderedMessage): OutgoingContent {
  const template = req.whatsapp?.template;
  if (!template) {
    throw new PermanentDeliveryError(
      `no WhatsApp template for ${req.kind} and the customer has not written in the last 24 hours`,
      'aftercare',
    );
  }
  const language =
    template.languages[rendered.locale] ??
    template.languages[req.fallbackLocale] ??
    Object.values(template.languages)[0]!;
  return {
    channel: 'whatsapp',
    to: req.to,
    text: rendered.text,
    template: { name: template.name, language, bodyParameters: [req.recipientName, rendered.text] },
  };
}
