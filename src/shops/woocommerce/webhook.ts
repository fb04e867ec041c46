/**
 * WooCommerce's inbound side: the signature over the raw body, the delivery's headers, and the ping it sends when a
 * webhook is created or saved (WC_Webhook::deliver and ::deliver_ping in WooCommerce's class-wc-webhook.php).
 */
import { createHmac } from 'node:crypto';
import { safeEqualText } from '../../lib/crypto';

/** What a delivery's headers say. Neither the source nor the webhook id names the tenant: the URL does. */
export interface WooCommerceHeaders {
  signature?: string;
  /** "order.updated" */
  topic?: string;
  resource?: string;
  event?: string;
  /** The shop's webhook (its id in WooCommerce). */
  webhookId?: string;
  /** A hash WooCommerce makes per delivery; it has no retries, so this never repeats. */
  deliveryId?: string;
  /** The shop's home URL; logged only, never trusted. */
  source?: string;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[`x-wc-webhook-${name}`];
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
  return text !== undefined && text.trim() !== '' ? text.trim() : undefined;
}

/** Reads the X-WC-Webhook-* headers of a request (Node lower-cases header names). */
export function wooCommerceHeaders(headers: HeaderBag): WooCommerceHeaders {
  const out: WooCommerceHeaders = {};
  const fields = {
    signature: 'signature',
    topic: 'topic',
    resource: 'resource',
    event: 'event',
    webhookId: 'id',
    deliveryId: 'delivery-id',
    source: 'source',
  } as const;
  for (const [field, name] of Object.entries(fields) as [keyof WooCommerceHeaders, string][]) {
    const value = header(headers, name);
    if (value) out[field] = value;
  }
  return out;
}

/**
 * Checks X-WC-Webhook-Signature: the base64 HMAC-SHA256 of the raw body with the webhook's secret, in constant time.
 * Pass the bytes as received: WooCommerce signs its own JSON (slashes and non-ASCII escaped), which re-stringified
 * JSON does not reproduce.
 */
export function verifyWooCommerceSignature(rawBody: Buffer | string, signature: string | undefined, secret: string) {
  if (!signature || !secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest('base64');
  return safeEqualText(signature, expected);
}

/**
 * The ping WooCommerce posts to the delivery URL when a webhook is created or saved: a form body `webhook_id=<id>`,
 * no signature and no X-WC-Webhook-* headers. The shop shows an error unless it gets 200. Nothing else is a ping.
 */
export function isWooCommercePing(rawBody: Buffer | string, contentType: string | undefined, h: WooCommerceHeaders) {
  if (h.signature || h.topic) return false;
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) return false;
  return /^webhook_id=\d{1,20}$/.test(rawBody.toString().trim());
}
