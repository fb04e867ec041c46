/**
 * Shopify's inbound side: the signature over the raw body and the delivery's headers, in both spellings
 * (`X-Shopify-…` and the newer `Shopify-…`).
 */
import { createHmac } from 'node:crypto';
import { safeEqualText } from '../../lib/crypto';

/** What a delivery's headers say; the tenant never comes from them (X-Shopify-Shop-Domain is not trusted). */
export interface ShopifyHeaders {
  hmac?: string;
  topic?: string;
  webhookId?: string;
  triggeredAt?: string;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  for (const key of [`x-shopify-${name}`, `shopify-${name}`]) {
    const value = headers[key];
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
    if (text !== undefined && text.trim() !== '') return text.trim();
  }
  return undefined;
}

/** Reads the Shopify headers of a request (Node lower-cases header names). */
export function shopifyHeaders(headers: HeaderBag): ShopifyHeaders {
  const out: ShopifyHeaders = {};
  const hmac = header(headers, 'hmac-sha256');
  const topic = header(headers, 'topic');
  const webhookId = header(headers, 'webhook-id');
  const triggeredAt = header(headers, 'triggered-at');
  if (hmac) out.hmac = hmac;
  if (topic) out.topic = topic;
  if (webhookId) out.webhookId = webhookId;
  if (triggeredAt) out.triggeredAt = triggeredAt;
  return out;
}

/**
 * Checks the base64 HMAC-SHA256 of the raw body with the app's client secret, in constant time. Pass the bytes as
 * received: Shopify signs its own serialisation, which re-stringified JSON does not reproduce.
 */
export function verifyShopifyHmac(rawBody: Buffer | string, hmac: string | undefined, secret: string): boolean {
  if (!hmac || !secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest('base64');
  return safeEqualText(hmac, expected);
}
