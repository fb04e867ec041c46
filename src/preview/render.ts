/**
 * A planned message as the customer would read it: rendered by the renderer the send activity uses, with the data
 * the send activity adds (links, the thank-you's standing) as placeholders. Email shows its subject; SMS,
 * Telegram and WhatsApp their text.
 */
import type { Channel } from '../channels/types';
import type { PersonalData, RecordedMessageData } from '../messages/data';
import { chosen } from '../messages/variants';
import type { MessageRenderer } from '../messages/types';
import type { Playbook } from '../playbook/schema';
import type { CustomerProfile } from '../workflows/customer/contract';
import { channelsFor } from '../workflows/delivery/contract';
import type { PlannedMessage } from './delivery';
import { nameLinks, PLACEHOLDER_LINKS } from './placeholders';

const OPENING_MAX = 300;

export function renderPlanned(
  renderer: MessageRenderer,
  playbook: Playbook,
  customer: CustomerProfile,
  p: PlannedMessage,
  personal?: PersonalData,
): { subject: string; preview: string } {
  // A skipped message has no channel: it is shown as it would have read on the first one for its kind.
  const channel: Channel = p.channel ?? channelsFor(playbook, p.kind)[0] ?? 'email';
  const business = p.to === 'business';
  const rendered = renderer.render({
    kind: p.kind,
    channel,
    locale: business ? undefined : (p.permit?.locale ?? customer.locale),
    fallbackLocale: playbook.defaultLocale,
    timeZone: business ? undefined : (p.permit?.timeZone ?? customer.timeZone),
    brand: playbook.brand,
    recipientName: business ? playbook.brand.name : (p.permit?.name ?? customer.name),
    // What templates may say about the customer (delivery/send-request.ts adds it from the permit; never to the business).
    data: personal && !business ? { ...withLinks(p), personal } : withLinks(p),
    ...(p.variant ? { variant: chosen(p.variant) } : {}),
  });
  const text = nameLinks(rendered.text);
  if (channel === 'email') {
    // The plain-text part up to its signature, on one line, as an inbox shows the opening.
    const body = text.split('\n--\n')[0]!.replace(/\s+/g, ' ').trim();
    return { subject: nameLinks(rendered.subject), preview: clip(body) };
  }
  return { subject: text.split('\n')[0] ?? '', preview: text };
}

/** What the send activity adds to the data (activities/delivery/links.ts), as placeholders. */
function withLinks(p: PlannedMessage): RecordedMessageData {
  const data: RecordedMessageData = { ...p.data };
  if (p.purpose === 'marketing' && p.to === 'customer') data.unsubscribeUrl = PLACEHOLDER_LINKS.unsubscribeUrl;
  if (p.kind === 'survey' || p.kind === 'survey_reminder') data.surveyUrl = PLACEHOLDER_LINKS.surveyUrl;
  if (data.reviewUrl) data.reviewUrl = PLACEHOLDER_LINKS.reviewUrl;
  // Every message to a customer links their preferences page.
  if (p.to === 'customer') data.preferencesUrl = PLACEHOLDER_LINKS.preferencesUrl;
  if (data.operator) data.operator = { ...data.operator, journeyUrl: PLACEHOLDER_LINKS.journeyUrl };
  // The thank-you shows the customer's standing from its permit (delivery/send-request.ts).
  if (p.kind === 'thank_you' && p.permit?.loyalty) data.loyalty = p.permit.loyalty;
  return data;
}

function clip(text: string): string {
  const chars = Array.from(text);
  return chars.length <= OPENING_MAX ? text : `${chars.slice(0, OPENING_MAX - 1).join('')}…`;
}
