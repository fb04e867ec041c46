import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { isTemporalUnavailable } from '../../errors';
import type { Keys } from '../../lib/keys';
import { replyTemporalUnavailable } from '../error-handler';
import { describeError } from '../../lib/redact';
import { unsubscribeRoutes } from '../pages/unsubscribe';
import { type InboundContext, unauthorized } from './context';
import { resendWebhooks } from './resend';
import { shopifyWebhooks, type ShopifyWebhookOptions } from './shopify';
import type { ReplyRouter } from '../../gateway/inbound-reply';
import type { CustomerEventSink } from './sink';
import type { SurveyOptions } from '../pages/survey';
import { telegramWebhooks, type TelegramWebhookOptions } from './telegram';
import { twilioWebhooks } from './twilio';
import { whatsappWebhooks } from './whatsapp';
import { wooCommerceWebhooks, type WooCommerceWebhookOptions } from './woocommerce';

/**
 * Inbound provider webhooks: SMS keywords and status callbacks (Twilio), email bounces and
 * complaints (Resend), Telegram /start and /stop, WhatsApp messages and statuses. Each one checks
 * the provider's signature (the check lives beside the vendor's adapter, in src/channels), finds
 * the customer by a keyed hash of the contact, and hands their lifecycle an event whose id comes
 * from the provider's own id, so a redelivered webhook changes nothing (the lifecycle drops
 * replayed ids). A provider's routes exist only when it is configured.
 */
export interface TenantPages {
  orders: SurveyOptions['sink'];
  customers: CustomerEventSink;
  brandName: string;
}

export interface WebhookOptions {
  /** Where provider webhooks (STOP, bounces, …) find and tell customers; references are its own. */
  sink: CustomerEventSink;
  /** Where customers' replies (SMS, Telegram, WhatsApp) go: their order's journey, or their lifecycle. */
  replies?: ReplyRouter;
  /** The default tenant's customers by id, for its unsubscribe links; default: `sink`. */
  customers?: CustomerEventSink;
  /** Contact keys and link tokens (deriveKeys(AFTERCARE_SECRET)). */
  keys: Keys;
  /** The URL providers call us at, e.g. https://aftercare.example (Twilio signs the full URL). */
  publicUrl: string;
  /** Enables /webhooks/twilio/*. */
  twilioAuthToken?: string;
  /** Enables /webhooks/resend (whsec_…). */
  resendWebhookSecret?: string;
  /**
   * Tenants with their own provider accounts (AFTERCARE_TENANTS): /webhooks/twilio/<tenant>/{inbound,status} and
   * /webhooks/resend/<tenant>, each checked with that account's secret. Their events reach customers like the
   * deployment's own (`sink`).
   */
  tenantProviders?: Record<
    string,
    {
      twilioAuthToken?: string;
      resendWebhookSecret?: string;
      /** That tenant's customers only: its own number or address is not another business's to stop or block. */
      sink?: CustomerEventSink;
      /** Replies to that tenant's own number reach its customers only (with `sink`; otherwise `replies`). */
      replies?: ReplyRouter;
    }
  >;
  /** Enables /webhooks/telegram. */
  telegram?: TelegramWebhookOptions;
  /** Enables /webhooks/whatsapp. */
  whatsapp?: { appSecret: string; verifyToken: string };
  /** Enables /webhooks/shopify/:tenant when at least one tenant has a secret. */
  shopify?: ShopifyWebhookOptions;
  /**
   * Another tenant's orders, customers and brand (AFTERCARE_TENANTS), for the customer's pages (survey, review,
   * unsubscribe) whose links name it. Provider webhooks reach every tenant through `sink`.
   */
  tenantPages?: (tenant: string) => TenantPages | undefined;
  /** Enables /webhooks/woocommerce/:tenant when at least one tenant has a secret. */
  woocommerce?: WooCommerceWebhookOptions;
  now?: () => number;
}

export async function webhookRoutes(app: FastifyInstance, opts: WebhookOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const ctx: InboundContext = {
    sink: opts.sink,
    ...(opts.replies ? { replies: opts.replies } : {}),
    keys: opts.keys,
    publicUrl: opts.publicUrl.replace(/\/+$/, ''),
    now,
    at: () => new Date(now()).toISOString(),
    routeOpts: {
      logSerializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }),
      },
    },
  };

  // Signatures cover the bytes as sent, so bodies stay raw in this scope; handlers parse after verifying.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  // Scoped to the webhooks: a sink outage becomes a 5xx the provider retries, logged without the payload
  // (Temporal out of reach: 503 with Retry-After, as on /v1).
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad_request', message: err.message } });
    }
    if (isTemporalUnavailable(err)) return replyTemporalUnavailable(err, request, reply);
    request.log.error({ error: describeError(err) }, 'webhook failed');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'internal error; see the server log for request ' + request.id } });
  });

  if (opts.twilioAuthToken) twilioWebhooks(app, ctx, opts.twilioAuthToken);
  if (opts.resendWebhookSecret) resendWebhooks(app, ctx, opts.resendWebhookSecret);
  for (const [tenant, own] of Object.entries(opts.tenantProviders ?? {})) {
    // A tenant's own sink scopes its replies too: never the deployment's router, which reaches every tenant.
    const theirs: InboundContext = own.sink ? { ...ctx, sink: own.sink, replies: own.replies } : ctx;
    if (own.twilioAuthToken) twilioWebhooks(app, theirs, own.twilioAuthToken, `/webhooks/twilio/${tenant}`);
    if (own.resendWebhookSecret) resendWebhooks(app, theirs, own.resendWebhookSecret, `/webhooks/resend/${tenant}`);
  }
  if (Object.keys(opts.tenantProviders ?? {}).length > 0) {
    // Any other name answers as a bad signature does, so these URLs do not tell which tenants exist.
    for (const path of ['/webhooks/twilio/:tenant/inbound', '/webhooks/twilio/:tenant/status']) {
      app.post(path, ctx.routeOpts, (_request, reply) => unauthorized(reply, 'missing or invalid X-Twilio-Signature'));
    }
    app.post('/webhooks/resend/:tenant', ctx.routeOpts, (_request, reply) =>
      unauthorized(reply, 'missing, invalid or expired svix signature'),
    );
  }
  if (opts.telegram) telegramWebhooks(app, ctx, opts.telegram);
  if (opts.whatsapp) whatsappWebhooks(app, ctx, opts.whatsapp);
  if (opts.shopify && Object.keys(opts.shopify.secrets).length > 0) shopifyWebhooks(app, ctx, opts.shopify);
  if (opts.woocommerce && Object.keys(opts.woocommerce.secrets).length > 0) {
    wooCommerceWebhooks(app, ctx, opts.woocommerce);
  }
}

/**
 * Registers the webhooks and the unsubscribe pages, each in its own encapsulated scope, so their
 * raw-body and form parsers (and error handlers) never reach the /v1 routes.
 */
export async function registerInboundRoutes(
  app: FastifyInstance,
  opts: WebhookOptions & { brandName: string },
): Promise<void> {
  const { brandName, ...webhookOpts } = opts;
  await app.register(webhookRoutes, webhookOpts);
  await app.register(unsubscribeRoutes, {
    sink: opts.customers ?? opts.sink,
    ...(opts.tenantPages ? { tenantPages: opts.tenantPages } : {}),
    keys: opts.keys,
    brandName,
    ...(opts.now ? { now: opts.now } : {}),
  });
}
