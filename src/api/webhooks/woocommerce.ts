import type { FastifyInstance } from 'fastify';
import { parseJson } from '../../lib/http';
import { handleWooCommerceOrder, type WooCommerceDeps } from '../../shops/woocommerce/events';
import { guestKeyWith } from '../../shops/woocommerce/mapping';
import { isWooCommercePing, verifyWooCommerceSignature, wooCommerceHeaders } from '../../shops/woocommerce/webhook';
import {
  answerShopOutcome,
  badRequest,
  headerOf,
  type InboundContext,
  rawOf,
  unauthorized,
  withinBudget,
} from './context';

export interface WooCommerceWebhookOptions extends Omit<WooCommerceDeps, 'guestKey'> {
  /** The webhooks' secret per tenant: POST /webhooks/woocommerce/<tenant>. */
  secrets: Record<string, string>;
  /**
   * How long a delivery may take before it is answered 503. WooCommerce waits up to a minute and never retries, and
   * five failed deliveries in a row disable the webhook: so longer than Shopify's; the reconciliation catches up
   * with what a 503 left. Default 10 s.
   */
  budgetMs?: number;
  /** A tenant's own orders, journeys and playbook (AFTERCARE_TENANTS); the default tenant, and any not here, use these. */
  forTenant?: (tenant: string) => Omit<WooCommerceDeps, 'guestKey'> | undefined;
}

const DEFAULT_BUDGET_MS = 10_000;
/** An order with a few hundred line items (meta data each) is well over the API's 64 KiB. */
const BODY_LIMIT = 1024 * 1024;

/**
 * A WooCommerce store's webhooks, one URL per tenant (the tenant comes from the URL, never from X-WC-Webhook-Source):
 * the ping WooCommerce sends when a webhook is saved is answered 200 and changes nothing; everything else needs the
 * signature over the raw body (401 otherwise, nothing changes), then the order's status acts on its journey.
 * Verified deliveries are answered 200 unless Temporal fails or is slower than the budget (5xx).
 */
export function wooCommerceWebhooks(app: FastifyInstance, ctx: InboundContext, opts: WooCommerceWebhookOptions): void {
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const deps: WooCommerceDeps = {
    ...opts,
    guestKey: guestKeyWith(ctx.keys.contacts),
  };
  app.post<{ Params: { tenant: string } }>(
    '/webhooks/woocommerce/:tenant',
    { ...ctx.routeOpts, bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const { tenant } = request.params;
      const secret = Object.hasOwn(opts.secrets, tenant) ? opts.secrets[tenant] : undefined;
      const raw = rawOf(request.body);
      const headers = wooCommerceHeaders(request.headers);
      // The ping changes nothing, so it is answered 200 for any tenant: the answer does not tell which exist.
      if (isWooCommercePing(raw, headerOf(request, 'content-type'), headers)) {
        request.log.info({ tenant, known: secret !== undefined }, 'woocommerce webhook: ping');
        return { ok: true, outcome: 'ping' };
      }
      // An unknown tenant answers as a bad signature does: the URL does not tell which tenants exist.
      if (!secret) return unauthorized(reply, 'missing or invalid X-WC-Webhook-Signature');
      if (!verifyWooCommerceSignature(raw, headers.signature, secret)) {
        return unauthorized(reply, 'missing or invalid X-WC-Webhook-Signature');
      }
      if (!headers.topic) return reply.status(400).send(badRequest('missing X-WC-Webhook-Topic'));
      const body = parseJson(raw);
      if (body === undefined) return reply.status(400).send(badRequest('body is not JSON'));

      const theirs = opts.forTenant?.(tenant);
      const work = handleWooCommerceOrder(theirs ? { ...theirs, guestKey: deps.guestKey } : deps, {
        tenant,
        topic: headers.topic,
        body,
      });
      const result = await withinBudget(work, budgetMs);
      const log = { tenant, topic: headers.topic, webhookId: headers.webhookId, deliveryId: headers.deliveryId };
      if (result === 'late') {
        // The call goes on and may still land; what it misses, the reconciliation does (idempotently).
        request.log.warn({ ...log, budgetMs }, 'woocommerce webhook: Temporal slower than the budget; answered 503');
        return reply.status(503).send({
          error: {
            code: 'unavailable',
            message: 'the order service is slow to answer; the next reconciliation catches up',
          },
        });
      }
      return answerShopOutcome(request, 'woocommerce webhook', log, result);
    },
  );
}
