/** The text form of a message: the whole message on SMS, WhatsApp and Telegram. */
import { smsSegments } from '../channels/sms/segments';
import { tidy } from './format';
import type { MessageParts } from './parts';

export function renderText(parts: MessageParts): string {
  const { request, spec, common, templates, vars, links } = parts;
  const lines = [tidy(templates.text(vars))];
  // links.telegram is only set for email and SMS; SMS is paid per segment, so only some kinds carry it.
  if (links.telegram && spec.telegramLinkInSms) lines.push(`${links.telegram.label}: ${links.telegram.url}`);
  const optOut = links.unsubscribe
    ? tidy((request.channel === 'telegram' ? common.optOutTelegram : common.optOutReply)(vars))
    : undefined;
  if (links.preferences) {
    const line = `${links.preferences.label}: ${links.preferences.url}`;
    // SMS is paid per segment: marketing always carries the link (beside the opt-out words, a way to choose
    // rather than stop); a transactional SMS only when the line costs no extra segment. Other channels always.
    const withIt = [...lines, line, ...(optOut ? [optOut] : [])].join('\n');
    const without = [...lines, ...(optOut ? [optOut] : [])].join('\n');
    const free = smsSegments(withIt).segments === smsSegments(without).segments;
    if (request.channel !== 'sms' || spec.purpose === 'marketing' || free) lines.push(line);
  }
  // The opt-out words each channel acts on: the SMS provider and WhatsApp take STOP, the Telegram bot /stop.
  if (optOut) lines.push(optOut);
  return lines.join('\n');
}
