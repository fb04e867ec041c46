import { createHmac } from 'node:crypto';
import type { Channel } from './types';

/**
 * Keyed hashes of contacts. Webhooks (an SMS "STOP", a bounce, a Telegram /start) name a phone,
 * an address or a chat; the customer's lifecycle carries these keys as a search attribute, so the
 * customer is found without plain contacts in Temporal's visibility store, and it keeps consent per
 * address under the same keys.
 */
export function contactKey(secret: string, channel: Channel | 'telegram-link', address: string): string {
  const normalized = channel === 'email' ? address.trim().toLowerCase() : address.trim();
  return `k_${createHmac('sha256', secret)
    .update(`${channel === 'whatsapp' ? 'sms' : channel}:${normalized}`)
    .digest('base64url')
    .slice(0, 27)}`;
}

export interface Contacts {
  email?: string;
  phone?: string;
  telegramChatId?: string;
}

/** One address on one channel, with its key (phone numbers serve SMS and WhatsApp). */
export interface KeyedAddress {
  channel: Channel;
  to: string;
  key: string;
}

export function addressesOf(secret: string, contacts: Contacts): KeyedAddress[] {
  const out: KeyedAddress[] = [];
  if (contacts.email)
    out.push({ channel: 'email', to: contacts.email, key: contactKey(secret, 'email', contacts.email) });
  if (contacts.phone) {
    const key = contactKey(secret, 'sms', contacts.phone);
    out.push({ channel: 'sms', to: contacts.phone, key }, { channel: 'whatsapp', to: contacts.phone, key });
  }
  if (contacts.telegramChatId) {
    const to = contacts.telegramChatId;
    out.push({ channel: 'telegram', to, key: contactKey(secret, 'telegram', to) });
  }
  return out;
}

/** Keys for every contact given, and the customer's Telegram-link key (phone covers SMS and WhatsApp). */
export function contactKeysFor(secret: string, customer: Contacts & { id: string }, tenant?: string): string[] {
  return [
    ...new Set([...addressesOf(secret, customer).map((a) => a.key), telegramLinkKey(secret, customer.id, tenant)]),
  ];
}

/**
 * Whom a Telegram link binds: the customer id, and for a tenant other than the default one the tenant too, so a
 * link of one business's customer never binds another business's customer of the same id. Callers give the tenant
 * only for tenants other than the default one (whose links are as they always were).
 */
const linkSubject = (customerId: string, tenant?: string) => (tenant ? `t:${tenant}:${customerId}` : customerId);

/**
 * The id a Telegram deep link carries: the customer's part (12 characters, what webhooks look the customer up
 * by) and, for links minted for one order, that order's tag (4 characters), so the chat serves the order whose
 * message carried the link. Deep-link payloads allow 64 characters; short tokens take ids of up to 16.
 */
export function telegramLinkId(secret: string, customerId: string, orderId?: string, tenant?: string): string {
  const customer = createHmac('sha256', secret)
    .update(`telegram-link:${linkSubject(customerId, tenant)}`)
    .digest('base64url')
    .slice(0, 12);
  return orderId === undefined ? customer : `${customer}${orderTag(secret, orderId)}`;
}

/** A short keyed tag of an order, for Telegram links minted in that order's messages. */
export function orderTag(secret: string, orderId: string): string {
  return createHmac('sha256', secret).update(`telegram-order:${orderId}`).digest('base64url').slice(0, 4);
}

/** The customer part of a link id, for the lookup key; the order tag (if any) is the rest. */
export function splitTelegramLinkId(id: string): { customerPart: string; orderTag?: string } {
  return id.length > 12 ? { customerPart: id.slice(0, 12), orderTag: id.slice(12) } : { customerPart: id };
}

export function telegramLinkKey(secret: string, customerId: string, tenant?: string): string {
  return contactKey(secret, 'telegram-link', telegramLinkId(secret, customerId, undefined, tenant));
}
