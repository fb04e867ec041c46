/**
 * The fuzz drill's webhook side: each provider's route with a plausible delivery to mutate, signed as the provider
 * signs (Svix via `standardwebhooks`, Twilio via its own SDK, HMACs for Meta, Shopify and WooCommerce, the secret
 * token header for Telegram) most of the time, so the body reaches the parser behind the check; wrongly or not at
 * all the rest of the time.
 */
import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import twilio from 'twilio';
import { bodyFor, headerText, noBody, type GeneratedBody } from './fuzz-mutate';
import { formBody, resendEvent, shopifyOrder, telegramUpdate, whatsappPayload, wooOrder } from './fuzz-payloads';
import type { FuzzRequest, Provider } from './fuzz-routes';

/** The secrets the app verifies webhooks with; a provider without one is not fuzzed (its routes do not exist). */
export interface WebhookSecrets {
  /** RESEND_WEBHOOK_SECRET (whsec_…). */
  resend?: string;
  /** TWILIO_AUTH_TOKEN. */
  twilioAuthToken?: string;
  /** TELEGRAM_WEBHOOK_SECRET. */
  telegram?: string;
  /** WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN. */
  whatsapp?: { appSecret: string; verifyToken: string };
  /** SHOPIFY_WEBHOOK_SECRET (the default tenant's). */
  shopify?: string;
  /** WOOCOMMERCE_WEBHOOK_SECRET (the default tenant's). */
  woocommerce?: string;
}

const SMALL_LIMIT = 64 * 1024;
const SHOP_LIMIT = 1024 * 1024;
const WRONG_SECRET = 'not-the-secret-0123456789';
const signingMode = fc.oneof(
  { weight: 8, arbitrary: fc.constant('valid' as const) },
  { weight: 1, arbitrary: fc.constant('invalid' as const) },
  { weight: 1, arbitrary: fc.constant('missing' as const) },
);

interface WebhookSpec {
  provider: Provider;
  route: string;
  method: 'GET' | 'POST';
  path: fc.Arbitrary<string>;
  body: fc.Arbitrary<GeneratedBody>;
  contentType: string;
  /** Headers besides the signature (topic, delivery ids). */
  headers?: fc.Arbitrary<Record<string, string>>;
  starts?: FuzzRequest['starts'];
}

/** A header as the provider sends it, mostly; sometimes garbage, sometimes empty (then left out). */
const maybe = (value: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 8, arbitrary: value },
    { weight: 1, arbitrary: headerText(80) },
    { weight: 1, arbitrary: fc.constant('') },
  );

/** A shop's webhook route: mostly for the configured tenant, sometimes for one nobody configured. */
const shopWebhookPath = (shop: 'shopify' | 'woocommerce') =>
  fc
    .oneof({ weight: 9, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: fc.constant('nobody') })
    .map((t) => `/webhooks/${shop}/${t}`);

function specs(secrets: WebhookSecrets): WebhookSpec[] {
  const out: WebhookSpec[] = [];
  const fixed = (p: string) => fc.constant(p);
  if (secrets.resend) {
    const body = bodyFor(resendEvent, SMALL_LIMIT);
    out.push({
      provider: 'resend',
      route: 'POST /webhooks/resend',
      method: 'POST',
      path: fixed('/webhooks/resend'),
      body,
      contentType: 'application/json',
    });
  }
  if (secrets.twilioAuthToken) {
    for (const kind of ['inbound', 'status']) {
      const p = `/webhooks/twilio/${kind}`;
      out.push({
        provider: 'twilio',
        route: `POST ${p}`,
        method: 'POST',
        path: fixed(p),
        body: formBody,
        contentType: 'application/x-www-form-urlencoded',
      });
    }
  }
  if (secrets.telegram) {
    out.push({
      provider: 'telegram',
      route: 'POST /webhooks/telegram',
      method: 'POST',
      path: fixed('/webhooks/telegram'),
      body: bodyFor(telegramUpdate, SMALL_LIMIT),
      contentType: 'application/json',
    });
  }
  if (secrets.whatsapp) {
    const { verifyToken } = secrets.whatsapp;
    const query = fc
      .record(
        {
          'hub.mode': maybe(fc.constant('subscribe')),
          'hub.verify_token': fc.oneof(fc.constant(verifyToken), headerText(40)),
          'hub.challenge': fc.string({ unit: 'grapheme', maxLength: 60 }),
        },
        { requiredKeys: [] },
      )
      .map((q) => `/webhooks/whatsapp?${new URLSearchParams(q).toString()}`);
    out.push({
      provider: 'whatsapp',
      route: 'GET /webhooks/whatsapp',
      method: 'GET',
      path: query,
      body: noBody,
      contentType: 'application/json',
    });
    out.push({
      provider: 'whatsapp',
      route: 'POST /webhooks/whatsapp',
      method: 'POST',
      path: fixed('/webhooks/whatsapp'),
      body: bodyFor(whatsappPayload, SMALL_LIMIT),
      contentType: 'application/json',
    });
  }
  if (secrets.shopify) {
    const topic = maybe(
      fc.constantFrom(
        'orders/create',
        'orders/paid',
        'orders/cancelled',
        'fulfillments/create',
        'refunds/create',
        'customers/redact',
        'app/uninstalled',
      ),
    );
    out.push({
      provider: 'shopify',
      route: 'POST /webhooks/shopify/{tenant}',
      method: 'POST',
      path: shopWebhookPath('shopify'),
      body: bodyFor(shopifyOrder, SHOP_LIMIT),
      contentType: 'application/json',
      headers: fc.record({
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': maybe(fc.uuid()),
        'x-shopify-triggered-at': maybe(fc.constant(new Date().toISOString())),
      }),
      starts: 'shopify',
    });
  }
  if (secrets.woocommerce) {
    const topic = maybe(
      fc.constantFrom('order.created', 'order.updated', 'order.restored', 'order.deleted', 'product.created'),
    );
    const ping = fc.constant({ kind: 'valid' as const, text: 'webhook_id=17' });
    out.push({
      provider: 'woocommerce',
      route: 'POST /webhooks/woocommerce/{tenant}',
      method: 'POST',
      path: shopWebhookPath('woocommerce'),
      body: fc.oneof({ weight: 20, arbitrary: bodyFor(wooOrder, SHOP_LIMIT) }, { weight: 1, arbitrary: ping }),
      contentType: 'application/json',
      headers: fc.record({ 'x-wc-webhook-topic': topic, 'x-wc-webhook-delivery-id': maybe(fc.uuid()) }),
      starts: 'woocommerce',
    });
  }
  return out;
}

/** The webhook routes the secrets enable, as "METHOD /path". */
export const webhookRoutes = (secrets: WebhookSecrets) => specs(secrets).map((s) => s.route);

/** Requests across the webhooks the secrets enable, evenly (none: undefined). */
export function webhookRequests(secrets: WebhookSecrets): fc.Arbitrary<FuzzRequest> | undefined {
  const all = specs(secrets).map((s) =>
    fc
      .record({ path: s.path, body: s.body, headers: s.headers ?? fc.constant({}), mode: signingMode })
      .map((r): FuzzRequest => {
        const ping = s.provider === 'woocommerce' && r.body.text === 'webhook_id=17';
        const contentType = ping ? 'application/x-www-form-urlencoded' : s.contentType;
        return {
          route: s.route,
          method: s.method,
          path: r.path,
          headers: { ...(r.body.kind === 'none' ? {} : { 'content-type': contentType }), ...dropEmpty(r.headers) },
          body: r.body,
          auth: 'none',
          // A tenant the app does not know answers as a wrong signature does, whatever the signature.
          ...(s.method === 'POST' && !ping
            ? { signing: { provider: s.provider, mode: r.path.includes('/nobody') ? 'invalid' : r.mode } }
            : {}),
          ...(s.starts ? { starts: s.starts } : {}),
        };
      }),
  );
  return all.length > 0 ? fc.oneof(...all) : undefined;
}

const dropEmpty = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== ''));

/** The provider's signature headers for `body`, made now (Svix's timestamp must be within 5 minutes). */
export function signatureHeaders(req: FuzzRequest, secrets: WebhookSecrets, publicUrl: string): Record<string, string> {
  if (!req.signing || req.signing.mode === 'missing') return {};
  const valid = req.signing.mode === 'valid';
  const body = req.body.text;
  const hmac = (algo: string, secret: string, enc: 'base64' | 'hex') =>
    createHmac(algo, valid ? secret : WRONG_SECRET)
      .update(body, 'utf8')
      .digest(enc);
  switch (req.signing.provider) {
    case 'resend': {
      const id = `msg_${randomUUID()}`;
      const at = new Date();
      const secret = valid ? secrets.resend! : `whsec_${Buffer.from(WRONG_SECRET).toString('base64')}`;
      return {
        'svix-id': id,
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': new Webhook(secret).sign(id, at, body),
      };
    }
    case 'twilio': {
      // No prototype: a field named "constructor" or "__proto__" is a field like any other.
      const params = Object.create(null) as Record<string, string[]>;
      for (const [k, v] of new URLSearchParams(body)) (params[k] ??= []).push(v);
      const url = `${publicUrl.replace(/\/+$/, '')}${req.path}`;
      const token = valid ? secrets.twilioAuthToken! : WRONG_SECRET;
      return { 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params) };
    }
    case 'telegram':
      return { 'x-telegram-bot-api-secret-token': valid ? secrets.telegram! : 'wrong-token' };
    case 'whatsapp':
      return { 'x-hub-signature-256': `sha256=${hmac('sha256', secrets.whatsapp!.appSecret, 'hex')}` };
    case 'shopify':
      return { 'x-shopify-hmac-sha256': hmac('sha256', secrets.shopify!, 'base64') };
    case 'woocommerce':
      return { 'x-wc-webhook-signature': hmac('sha256', secrets.woocommerce!, 'base64') };
  }
}
