/** The text form of a message: the whole message on SMS, WhatsApp and Telegram. */
import { tidy } from './format';
import type { MessageParts } from './parts';

export function renderText(parts: MessageParts): string {
  const { request, spec, common, templates, vars, links } = parts;
  const lines = [tidy(templates.text(vars))];
  // links.telegram is only set for email and SMS; SMS is paid per segment, so only some kinds carry it.
  if (links.telegram && spec.telegramLinkInSms) lines.push(`${links.telegram.label}: ${links.telegram.url}`);
  // The opt-out words each channel acts on: the SMS provider and WhatsApp take STOP, the Telegram bot /stop.
  if (links.unsubscribe) {
    lines.push(tidy((request.channel === 'telegram' ? common.optOutTelegram : common.optOutReply)(vars)));
  }
  return lines.join('\n');
}
