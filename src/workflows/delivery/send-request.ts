import type { Channel } from '../../channels/types';
import type { KindAndData } from '../../messages/data';
import { kindSpec, PURPOSE_OF } from '../../messages/kinds';
import { chosen, type MessageVariant } from '../../messages/variants';
import { idempotencyKeyFor, type SendMessageRequest, type SendPermit } from './contract';
import type { Deliverer, Outgoing } from './deliverer';

type Allowed = Extract<SendPermit, { decision: 'send' }>;

/** The send activity's input for one channel: the playbook's settings, the permit's recipient. */
export function sendRequest(
  d: Deliverer,
  message: Outgoing,
  permit: Allowed,
  channel: Channel,
  to: string,
  variant: MessageVariant | undefined,
) {
  const { playbook } = d;
  // The thank-you shows the customer's standing, which only the lifecycle knows. Kind and data come
  // from one Outgoing, so they belong together even though TypeScript loses that when they are read apart.
  const withLoyalty =
    permit.loyalty && message.kind === 'thank_you' ? { ...message.data, loyalty: permit.loyalty } : message.data;
  // What templates may say about the customer; never in messages to the business.
  const personal = permit.personal && !kindSpec(message.kind)?.toBusiness ? { personal: permit.personal } : undefined;
  const kindAndData = {
    kind: message.kind,
    data: personal ? { ...withLoyalty, ...personal } : withLoyalty,
  } as KindAndData;
  const request: SendMessageRequest = {
    ...kindAndData,
    idempotencyKey: idempotencyKeyFor(d.workflowId, message.key, channel),
    workflowId: d.workflowId,
    customerId: d.customerId,
    messageKey: message.key,
    purpose: PURPOSE_OF[message.kind],
    channel,
    to,
    recipientName: permit.name,
    locale: permit.locale,
    timeZone: permit.timeZone,
    fallbackLocale: playbook.defaultLocale,
    brand: playbook.brand,
    whatsapp: { windowOpen: permit.whatsappWindowOpen, template: playbook.whatsapp.templates[message.kind] },
    smsMaxSegments: playbook.sms.maxSegments,
    issuedAt: d.now(),
  };
  if (message.linkExpiresAt) request.linkExpiresAt = message.linkExpiresAt;
  if (variant) request.variant = chosen(variant);
  if (d.offersTelegramLink) {
    request.offerTelegramLink =
      playbook.channels.includes('telegram') && !permit.channels.some((c) => c.channel === 'telegram');
  }
  return request;
}
