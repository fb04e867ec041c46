import type { FastifyInstance } from 'fastify';
import { handleShopifyDelivery, type ShopifyDeps } from '../../shops/shopify/events';
import { shopifyHeaders, verifyShopifyHmac } from '../../shops/shopify/webhook';
import { parseJson } from '../../lib/http';
import { answerShopOutcome, badRequest, type InboundContext, rawOf, unauthorized, withinBudget } from './context';

export interface ShopifyWebhookOptions extends ShopifyDeps {
  /** Webhook secret (the Shopify app's client secret) per tenant: POST /webhooks/shopify/<tenant>. */
  secrets: Record<string, string>;
  /** How long a delivery may take before it is answered 503 (Shopify waits 5 s, then retries). Default 4 s. */
  budgetMs?: number;
  /** A tenant's own orders, erasure and playbook (AFTERCARE_TENANTS); the default tenant, and any not here, use these. */
  forTenant?: (tenant: string) => ShopifyDeps | undefined;
}

const DEFAULT_BUDGET_MS = 4_000;
/** An order with a few hundred line items (taxes, discounts, properties each) is well over the app's 64 KiB. */
const BODY_LIMIT = 1024 * 1024;

/**
 * A Shopify app's webhooks, one URL per tenant (the tenant comes from the URL, never from X-Shopify-Shop-Domain):
 * the HMAC over the raw body first (401 otherwise, nothing changes), then the topic's effect on the order's journey.
 * Everything verified is answered 200 unless Temporal fails or is slower than the budget (5xx: Shopify retries, and
 * every effect is idempotent). A body that can never succeed is logged (ids and field names only) and answered
 * 200, so Shopify does not retry it for 48 hours.
 */
export function shopifyWebhooks(app: FastifyInstance, ctx: InboundContext, opts: ShopifyWebhookOptions): void {
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  app.post<{ Params: { tenant: string } }>(
    '/webhooks/shopify/:tenant',
    { ...ctx.routeOpts, bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const secret = Object.hasOwn(opts.secrets, request.params.tenant)
        ? opts.secrets[request.params.tenant]
        : undefined;
      const raw = rawOf(request.body);
      const headers = shopifyHeaders(request.headers);
      // An unknown tenant answers as a bad signature does: the URL does not tell which tenants exist.
      if (!secret || !verifyShopifyHmac(raw, headers.hmac, secret)) {
        return unauthorized(reply, 'missing or invalid X-Shopify-Hmac-Sha256');
      }
      if (!headers.topic || !headers.webhookId) {
        return reply.status(400).send(badRequest('missing X-Shopify-Topic or X-Shopify-Webhook-Id'));
      }
      const body = parseJson(raw);
      if (body === undefined) return reply.status(400).send(badRequest('body is not JSON'));

      const work = handleShopifyDelivery(opts.forTenant?.(request.params.tenant) ?? opts, {
        topic: headers.topic,
        webhookId: headers.webhookId,
        body,
        ...(headers.triggeredAt ? { triggeredAt: headers.triggeredAt } : {}),
      });
      const result = await withinBudget(work, budgetMs);
      const log = { tenant: request.params.tenant, topic: headers.topic, webhookId: headers.webhookId };
      if (result === 'late') {
        // The call goes on and may still land; Shopify's retry repeats it, and it is idempotent.
        request.log.warn({ ...log, budgetMs }, 'shopify webhook: Temporal slower than the budget; answered 503');
        return reply
          .status(503)
          .header('retry-after', '5')
          .send({ error: { code: 'unavailable', message: 'try again: the order service is slow to answer' } });
      }
      return answerShopOutcome(request, 'shopify webhook', log, result);
    },
  );
}
