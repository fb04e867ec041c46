import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { FileOutbox } from '../channels/outbox';
import type { AftercareClient } from '../client';
import type { Logger } from '../logger';
import { AftercareMetrics, type MetricsOptions } from '../metrics';
import { requireKey } from './auth';
import { codecRoutes, type CodecOptions } from './codec';
import { handleError } from './error-handler';
import { RATE_LIMITS } from './rate-limit';
import { limitTemporalCalls, type WithDeadline } from './temporal-budget';
import { outboxRoutes } from './pages/outbox';
import { surveyRoutes } from './pages/survey';
import { preferencesRoutes } from './pages/preferences';
import { questionnaireRoutes } from './pages/questionnaire';
import { actionRoutes } from './routes/actions';
import { customerRoutes } from './routes/customers';
import { linksFor } from './routes/links';
import { opsRoutes } from './routes/ops';
import { orderRoutes } from './routes/orders';
import { previewRoutes } from './routes/preview';
import { statsRoutes } from './routes/stats';
import { registerInboundRoutes, type WebhookOptions } from './webhooks';
import { addTenantConstraint, registerForTenant, TENANT_HEADER, type TenantApi } from './tenants';
import { DEFAULT_TENANT } from '../workflows/tenant';

export interface AppDeps {
  aftercare: AftercareClient;
  /** Bearer token every /v1 route requires (the default tenant's). */
  apiKey: string;
  /** More tenants (AFTERCARE_TENANTS), each answered on the same /v1 routes by its own key: src/api/tenants.ts. */
  tenants?: TenantApi[];
  logger: Logger;
  /** Checks the Temporal connection for /health. */
  temporalHealth: () => Promise<void>;
  /**
   * The Temporal connection's deadline scope (`connection.withDeadline`): each request's Temporal calls then end
   * within its budget (src/api/temporal-budget.ts). Absent (tests with fake gateways): no deadline.
   */
  temporalDeadline?: WithDeadline;
  /** Serves the dev outbox page when set. */
  outbox?: FileOutbox;
  temporalUi?: { baseUrl: string; namespace: string };
  /**
   * Operators' key: when set (production), /metrics and /docs answer only to it, so neither the counters nor the
   * API's shape are public.
   */
  operatorKey?: string;
  /** Largest accepted request body, in bytes. */
  bodyLimit?: number;
  /** Provider webhooks and the unsubscribe pages (each provider's routes only when it is configured). */
  inbound?: WebhookOptions & { brandName: string };
  /** The codec endpoint (/codec) through which the Temporal UI and CLI show decrypted payloads. */
  codec?: CodecOptions;
  /** What /metrics adds to the follow-up counters: stuck journeys, the SDK's endpoint, process metrics. */
  metrics?: Omit<MetricsOptions, 'stats' | 'logger'>;
}

/**
 * The HTTP app, built but not listening (server.ts listens): the business's /v1 API (bearer key,
 * zod schemas on every route, OpenAPI at /docs), provider webhooks, the customer's pages (survey,
 * review redirect, unsubscribe) and, in development, the outbox. One error handler for /v1.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    // Ids are validated by the routes' schemas (422 naming the parameter), not cut off by the router (414).
    routerOptions: { maxParamLength: 256 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  // Before any route is registered, so every route's handler runs within its budget.
  if (deps.temporalDeadline) limitTemporalCalls(app as unknown as FastifyInstance, deps.temporalDeadline);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  await app.register(rateLimit, RATE_LIMITS);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Aftercare API',
        version: '1',
        description: 'Send one event per order; Aftercare keeps the customer informed, durably, on Temporal.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const forOperators = deps.operatorKey ? requireKey(deps.operatorKey, 'AFTERCARE_OPERATOR_KEY') : undefined;
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    ...(forOperators ? { uiHooks: { onRequest: forOperators } } : {}),
  });

  const { orders, stats } = deps.aftercare;
  const metrics = new AftercareMetrics({ ...deps.metrics, stats, logger: deps.logger });
  await app.register(opsRoutes, { metrics, temporalHealth: deps.temporalHealth, metricsAuth: forOperators });
  if (deps.outbox) await app.register(outboxRoutes, { outbox: deps.outbox });
  if (deps.codec) await app.register(codecRoutes, { ...deps.codec, prefix: '/codec' });
  if (deps.inbound) {
    await registerInboundRoutes(app as unknown as FastifyInstance, deps.inbound);
    const pagesOf = deps.inbound.tenantPages;
    await app.register(surveyRoutes, {
      sink: orders,
      keys: deps.inbound.keys,
      brandName: deps.inbound.brandName,
      ...(pagesOf
        ? {
            tenantPages: (tenant: string) => {
              const theirs = pagesOf(tenant);
              return theirs && { sink: theirs.orders, brandName: theirs.brandName };
            },
          }
        : {}),
    });
    // The customer's own page (a link in every message); a tenant's link acts on that tenant's customer.
    await app.register(preferencesRoutes, {
      preferences: deps.aftercare.preferences,
      customers: deps.aftercare.customers,
      keys: deps.inbound.keys,
      brandName: deps.inbound.brandName,
      tenantPages: (tenant: string) => {
        const theirs = deps.tenants?.find((t) => t.client.tenant === tenant)?.client;
        return (
          theirs && {
            preferences: theirs.preferences,
            customers: theirs.customers,
            brandName: theirs.playbook.brand.name,
          }
        );
      },
      ...(deps.inbound.now ? { now: deps.inbound.now } : {}),
    });
    // The questionnaire for regulars, on the customer's page (the invite's link); a tenant's link, its customer.
    await app.register(questionnaireRoutes, {
      questionnaire: deps.aftercare.questionnaire,
      keys: deps.inbound.keys,
      brandName: deps.inbound.brandName,
      tenantPages: (tenant: string) => {
        const theirs = deps.tenants?.find((t) => t.client.tenant === tenant)?.client;
        return theirs && { questionnaire: theirs.questionnaire, brandName: theirs.playbook.brand.name };
      },
      ...(deps.inbound.now ? { now: deps.inbound.now } : {}),
    });
  }

  const links = linksFor(deps.temporalUi);
  const tenants = deps.tenants ?? [];
  // With tenants, a wrong key is not necessarily AFTERCARE_API_KEY's: say "your API key".
  const keyName = tenants.length > 0 ? 'your API key' : 'AFTERCARE_API_KEY';
  /** A tenant's business routes, behind its key. */
  const businessRoutes: FastifyPluginAsync<{ client: AftercareClient; apiKey: string }> = async (v1, o) => {
    v1.addHook('onRequest', requireKey(o.apiKey, keyName));
    await v1.register(orderRoutes, { orders: o.client.orders, links });
    await v1.register(previewRoutes, { orders: o.client.orders });
    await v1.register(customerRoutes, { customers: o.client.customers, erasure: o.client.erasure, links });
    await v1.register(statsRoutes, { stats: o.client.stats });
  };
  /** A tenant's operator routes: operators' key in production; in development (none) the tenant's API key. */
  const operatorRoutes: FastifyPluginAsync<{ client: AftercareClient; apiKey: string }> = async (ops, o) => {
    ops.addHook(
      'onRequest',
      deps.operatorKey ? requireKey(deps.operatorKey, 'AFTERCARE_OPERATOR_KEY') : requireKey(o.apiKey, keyName),
    );
    if (o.client.tenant === DEFAULT_TENANT) {
      // A known tenant's name routes to that tenant's copy of these routes: a name that reaches the default
      // tenant's is unknown (a typo), and acting on the default tenant's order of that id would be wrong.
      ops.addHook('onRequest', async (request, reply) => {
        const named = request.headers[TENANT_HEADER];
        if (named === undefined || named === DEFAULT_TENANT) return;
        await reply.status(400).send({
          error: { code: 'unknown_tenant', message: 'X-Aftercare-Tenant names no tenant of this deployment' },
        });
      });
    }
    await ops.register(actionRoutes, { operations: o.client.operations, links });
  };

  const base = app as unknown as FastifyInstance;
  if (tenants.length > 0) addTenantConstraint(base, tenants);
  const own = { client: deps.aftercare, apiKey: deps.apiKey, prefix: '/v1' };
  await app.register(businessRoutes, own);
  await app.register(operatorRoutes, own);
  for (const t of tenants) {
    const theirs = { client: t.client, apiKey: t.apiKey, prefix: '/v1' };
    await registerForTenant(base, t.client.tenant, businessRoutes, theirs);
    await registerForTenant(base, t.client.tenant, operatorRoutes, theirs);
  }
  // Fastify types the instance by our pino logger; callers only need the base instance.
  return base;
}
