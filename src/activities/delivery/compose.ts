/** Step 3 of a send: the rendered message shaped for its channel (email headers, SMS length, WhatsApp templates). */
import { PermanentDeliveryError } from '../../channels/errors';
import { fitSms } from '../../channels/sms/segments';
import type { OutgoingContent } from '../../channels/types';
import type { RenderedMessage } from '../../messages/types';
import type { SendMessageRequest } from '../../workflows/delivery/contract';

export function compose(
  req: SendMessageRequest,
  rendered: RenderedMessage,
  links: { unsubscribeUrl?: string },
  emailFrom: string | undefined,
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
      if (req.whatsapp && !req.whatsapp.windowOpen) return whatsappTemplate(req, rendered);
      return { channel: 'whatsapp', to: req.to, text: rendered.text };
    case 'telegram':
      return { channel: 'telegram', to: req.to, text: rendered.text };
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
