import { createHmac } from 'node:crypto';
import type { Channel } from './types';

/**
 * Keyed hashes of contacts. Webhooks (an SMS "STOP", a bounce, a Telegram /start) name a phone,
 * an address or a chat; the customer's lifecycle carries these keys as a search attribute, so the
 * customer is found without plain contacts in Temporal's visibility store.
 */
export function contactKey(secret: string, channel: Channel | 'telegram-link', address: string): string {
  const normalized = channel === 'email' ? address.trim().toLowerCase() : address.trim();
  return `k_${createHmac('sha256', secret)
    .update(`${channel === 'whatsapp' ? 'sms' : channel}:${normalized}`)
    .digest('base64url')
    .slice(0, 27)}`;
}

/** Keys for every contact the customer gave (phone covers SMS and WhatsApp). */
export function contactKeysFor(
  secret: string,
  customer: { id: string; email?: string; phone?: string; telegramChatId?: string },
): string[] {
  return [
    customer.email ? contactKey(secret, 'email', customer.email) : undefined,
    customer.phone ? contactKey(secret, 'sms', customer.phone) : undefined,
    customer.telegramChatId ? contactKey(secret, 'telegram', customer.telegramChatId) : undefined,
    telegramLinkKey(secret, customer.id),
  ].filter((k): k is string => k !== undefined);
}

/** The id a Telegram deep link carries for a customer: short (deep-link payloads allow 64 chars). */
export function telegramLinkId(secret: string, customerId: string): string {
  return createHmac('sha256', secret).update(`telegram-link:${customerId}`).digest('base64url').slice(0, 12);
}

export function telegramLinkKey(secret: string, customerId: string): string {
  return contactKey(secret, 'telegram-link', telegramLinkId(secret, customerId));
}
