/**
 * The drills' ledger: every message the fake providers accepted, mapped back to (order, message, channel), and
 * compared with what each order should have received. A provider without idempotency keys (Twilio, Telegram,
 * WhatsApp) accepts a resend as a second message, so two entries for one (order, message) are a real duplicate
 * send. Each order has its own recipient (address, phone, chat), so the recipient names the order; the content
 * names the message (a status per stage, the thank-you, the offer). Resend's Idempotency-Key must agree.
 */
import type { Channel } from '../../src/channels/types';
import { DRILL_STAGES, EXPECTED_MESSAGE_KEYS, type DrillFakes } from './env';

/** Who an address belongs to: the order, and the channel the order's customer is expected on. */
export interface Recipient {
  orderId: string;
  channel: Channel;
}

/** Addresses by `<channel>:<address>` (email lower-cased, SMS in E.164, WhatsApp digits, Telegram chat id). */
export type Registry = Map<string, Recipient>;

export const addressKey = (channel: Channel, address: string) =>
  `${channel}:${channel === 'email' ? address.toLowerCase() : address}`;

/** One message a provider accepted. */
export interface Delivery {
  orderId: string;
  /** The journey's message key (status-shipped, thank-you, offer), read from the content. */
  messageKey: string;
  channel: Channel;
}

export interface LedgerReading {
  deliveries: Delivery[];
  /** Accepted messages the ledger could not attribute (unknown recipient or content), described without content. */
  unattributed: string[];
}

/** Reads every accepted message of the four fakes. */
export function readLedger(fakes: DrillFakes, registry: Registry): LedgerReading {
  const deliveries: Delivery[] = [];
  const unattributed: string[] = [];
  const add = (channel: Channel, address: string, content: string, check?: (key: string) => boolean) => {
    const who = registry.get(addressKey(channel, address));
    const messageKey = who ? messageKeyOf(content, who.orderId) : undefined;
    if (!who || !messageKey || (check && !check(messageKey))) {
      unattributed.push(`${channel}: ${who ? `order ${who.orderId}, unknown content` : 'unknown recipient'}`);
      return;
    }
    deliveries.push({ orderId: who.orderId, messageKey, channel });
  };
  for (const email of fakes.resend.sent) {
    // The key names the journey and message: `order-<orderId>/<messageKey>/email`.
    const keyed = /^order-(.+)\/([^/]+)\/email$/.exec(email.idempotencyKey ?? '');
    add('email', email.to[0] ?? '', email.subject, (key) => keyed?.[2] === key);
  }
  for (const sms of fakes.twilio.sent) add('sms', sms.to, sms.body);
  for (const message of fakes.telegram.sent) add('telegram', String(message.chat_id), message.text);
  for (const message of fakes.whatsapp.sent) {
    // A template carries the rendered text as its second body parameter (the first is the name).
    const text =
      message.template?.components?.[0]?.parameters?.[1]?.text ??
      message.text?.body ??
      message.interactive?.body.text ??
      '';
    add('whatsapp', message.to, text);
  }
  return { deliveries, unattributed };
}

/** The journey's message key for a text, subject or template parameter of one order's message. */
export function messageKeyOf(content: string, orderId: string): string | undefined {
  if (content.includes(`order ${orderId} is complete`)) return `status-${DRILL_STAGES.at(-1)!.id}`;
  for (const stage of DRILL_STAGES) {
    if (
      content.includes(`order ${orderId} is now ${stage.label}`) ||
      content.includes(`Order ${orderId}: ${stage.label}`)
    )
      return `status-${stage.id}`;
  }
  if (/thank you for your order/i.test(content)) return 'thank-you';
  if (/% off your next order/.test(content)) return 'offer';
  return undefined;
}

export interface Comparison {
  expected: number;
  /** Expected messages that reached the provider at least once. */
  delivered: number;
  lost: number;
  /** The lost ones: order and message key. */
  lostMessages: { orderId: string; key: string }[];
  /** Accepted messages beyond the first of each (order, message): real second sends. */
  duplicated: number;
  /** Messages that went out on another channel than the customer's. */
  wrongChannel: number;
  /** Accepted messages no expected (order, message) accounts for, including unattributed ones. */
  unexpected: number;
  byChannel: Record<string, { expected: number; delivered: number; duplicated: number }>;
  /** A few examples of what went wrong, for the report (no customer data: order ids and message keys). */
  examples: string[];
}

/**
 * Compares what each order should have received (`expected`: orders and their message keys, by default every
 * key in EXPECTED_MESSAGE_KEYS) with the ledger.
 */
export function compareLedger(
  reading: LedgerReading,
  orders: { orderId: string; channel: Channel; messageKeys?: readonly string[] }[],
): Comparison {
  const seen = new Map<string, Delivery[]>();
  for (const d of reading.deliveries) {
    const id = `${d.orderId}\n${d.messageKey}`;
    seen.set(id, [...(seen.get(id) ?? []), d]);
  }
  const result: Comparison = {
    expected: 0,
    delivered: 0,
    lost: 0,
    lostMessages: [],
    duplicated: 0,
    wrongChannel: 0,
    unexpected: reading.unattributed.length,
    byChannel: {},
    examples: reading.unattributed.slice(0, 3),
  };
  const example = (text: string) => {
    if (result.examples.length < 10) result.examples.push(text);
  };
  const accounted = new Set<string>();
  for (const order of orders) {
    const channel = (result.byChannel[order.channel] ??= { expected: 0, delivered: 0, duplicated: 0 });
    for (const key of order.messageKeys ?? EXPECTED_MESSAGE_KEYS) {
      const id = `${order.orderId}\n${key}`;
      accounted.add(id);
      const got = seen.get(id) ?? [];
      result.expected++;
      channel.expected++;
      if (got.length === 0) {
        result.lost++;
        result.lostMessages.push({ orderId: order.orderId, key });
        example(`lost: ${order.orderId} ${key}`);
        continue;
      }
      result.delivered++;
      channel.delivered++;
      if (got.length > 1) {
        result.duplicated += got.length - 1;
        channel.duplicated += got.length - 1;
        example(`duplicated ×${got.length}: ${order.orderId} ${key} (${got.map((d) => d.channel).join(', ')})`);
      }
      const elsewhere = got.filter((d) => d.channel !== order.channel).length;
      if (elsewhere > 0) {
        result.wrongChannel += elsewhere;
        example(`on another channel: ${order.orderId} ${key} via ${got.map((d) => d.channel).join(', ')}`);
      }
    }
  }
  for (const [id, got] of seen) {
    if (accounted.has(id)) continue;
    result.unexpected += got.length;
    example(`unexpected: ${id.replace('\n', ' ')}`);
  }
  return result;
}

/** The comparison's misses, in words: lost, duplicated, on another channel, unexpected. */
export function ledgerFailures(c: Comparison): string[] {
  const failures: string[] = [];
  if (c.lost > 0) failures.push(`${c.lost} of ${c.expected} messages lost`);
  if (c.duplicated > 0) failures.push(`${c.duplicated} messages duplicated`);
  if (c.wrongChannel > 0) failures.push(`${c.wrongChannel} messages went out on another channel than the customer's`);
  if (c.unexpected > 0) failures.push(`${c.unexpected} messages the ledger did not expect`);
  return failures;
}
