import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AftercareClient } from '../client';
import {
  consentInputSchema,
  customerLifecycleId,
  customerPatchSchema,
  feedbackInputSchema,
  orderInputSchema,
  orderJourneyId,
  stageUpdateSchema,
} from '../contract';
import { AftercareError } from '../errors';
import type { Logger } from '../logger';
import { formatPath } from '../playbook/schema';
import type { FileOutbox } from '../channels/outbox';
import { outboxRoutes } from './outbox-page';
import { surveyRoutes } from './survey';
import { registerInboundRoutes, type WebhookOptions } from './webhooks';

export interface AppDeps {
  aftercare: AftercareClient;
  /** Bearer token every /v1 route requires. */
  apiKey: string;
  logger: Logger;
  /** Checks the Temporal connection for /health. */
  temporalHealth: () => Promise<void>;
  /** Serves the dev outbox page when set. */
  outbox?: FileOutbox;
  temporalUi?: { baseUrl: string; namespace: string };
  /** Largest accepted request body, in bytes. */
  bodyLimit?: number;
  /** Provider webhooks and the unsubscribe pages (each provider's routes only when it is configured). */
  inbound?: WebhookOptions & { brandName: string };
}

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const orderIdParams = z.object({ orderId: z.string().min(1).max(100) });
const customerIdParams = z.object({ customerId: z.string().min(1).max(100) });

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AftercareError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      return reply.status(422).send({
        error: {
          code: 'validation_failed',
          message: `the request ${where} does not match the contract`,
          details: err.validation.map((v) => ({
            path:
              formatPath(
                v.instancePath
                  .split('/')
                  .filter(Boolean)
                  .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
              ) || `(${where})`,
            message: v.message ?? 'invalid',
          })),
        },
      });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON, wrong content type, body too large: Fastify's own message says what to fix.
      return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad_request', message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'internal error; see the server log for request ' + request.id } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

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
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/health', { schema: { hide: false, security: [], tags: ['ops'] } }, async (_request, reply) => {
    try {
      await deps.temporalHealth();
      return { status: 'ok', temporal: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'degraded', temporal: 'unreachable' });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    // Counters come from the stats workflow, so they survive restarts (they never go down).
    const stats = await deps.aftercare.getStats();
    const lines = [
      '# HELP aftercare_followups_total Follow-up events by kind: sent, answered (surveys), converted (offer/win-back orders, review clicks).',
      '# TYPE aftercare_followups_total counter',
      ...Object.entries(stats.totals).flatMap(([kind, metrics]) =>
        Object.entries(metrics).map(([event, n]) => `aftercare_followups_total{kind="${kind}",event="${event}"} ${n}`),
      ),
    ];
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });

  if (deps.outbox) await app.register(outboxRoutes, { outbox: deps.outbox });
  if (deps.inbound) {
    await registerInboundRoutes(app as unknown as FastifyInstance, deps.inbound);
    await app.register(surveyRoutes, {
      sink: deps.aftercare,
      secret: deps.inbound.secret,
      brandName: deps.inbound.brandName,
    });
  }

  const expected = Buffer.from(deps.apiKey);
  const links = (workflowId: string) => ({
    ...(deps.temporalUi
      ? {
          temporalUi: `${deps.temporalUi.baseUrl}/namespaces/${encodeURIComponent(deps.temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
        }
      : {}),
  });

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization ?? '';
        const token = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
        if (token.length !== expected.length || !timingSafeEqual(token, expected)) {
          return reply
            .status(401)
            .header('www-authenticate', 'Bearer')
            .send({ error: { code: 'unauthorized', message: 'send Authorization: Bearer <AFTERCARE_API_KEY>' } });
        }
      });

      const api = v1.withTypeProvider<ZodTypeProvider>();
      api.post(
        '/orders',
        {
          schema: {
            tags: ['orders'],
            summary: 'Start the journey of a new order (idempotent per orderId)',
            body: orderInputSchema,
            response: {
              200: z.object({
                orderId: z.string(),
                workflowId: z.string(),
                created: z.literal(false),
                links: z.record(z.string(), z.string()),
              }),
              201: z.object({
                orderId: z.string(),
                workflowId: z.string(),
                created: z.literal(true),
                links: z.record(z.string(), z.string()),
              }),
              401: errorBody,
              409: errorBody,
              422: errorBody,
            },
          },
        },
        async (request, reply) => {
          const result = await deps.aftercare.startValidatedOrder(request.body);
          const body = { ...result, links: links(result.workflowId) };
          return result.created
            ? reply.status(201).send({ ...body, created: true })
            : reply.status(200).send({ ...body, created: false });
        },
      );

      api.post(
        '/orders/:orderId/stage',
        {
          schema: {
            tags: ['orders'],
            summary: 'Move the order to a later stage, or send a "delayed" / "problem" notice',
            params: orderIdParams,
            body: stageUpdateSchema,
            response: {
              200: z.object({
                stage: z.string(),
                status: z.enum(['active', 'completed']),
                messageKey: z.string().optional(),
              }),
              401: errorBody,
              404: errorBody,
              409: errorBody,
              422: errorBody,
            },
          },
        },
        async (request) => deps.aftercare.advanceStage(request.params.orderId, request.body),
      );

      api.post(
        '/orders/:orderId/feedback',
        {
          schema: {
            tags: ['orders'],
            summary: "Record the customer's satisfaction answer collected by the business itself",
            params: orderIdParams,
            body: feedbackInputSchema,
          },
        },
        async (request) => deps.aftercare.submitFeedback(request.params.orderId, request.body),
      );

      api.get(
        '/orders/:orderId',
        { schema: { tags: ['orders'], summary: "The order journey's state", params: orderIdParams } },
        async (request) => {
          const state = await deps.aftercare.getOrderJourney(request.params.orderId);
          return { ...state, workflowId: orderJourneyId(state.orderId), links: links(orderJourneyId(state.orderId)) };
        },
      );

      api.get(
        '/customers/:customerId',
        { schema: { tags: ['customers'], summary: "The customer's profile and orders", params: customerIdParams } },
        async (request) => {
          const state = await deps.aftercare.getCustomer(request.params.customerId);
          return {
            ...state,
            workflowId: customerLifecycleId(state.customerId),
            links: links(customerLifecycleId(state.customerId)),
          };
        },
      );

      api.patch(
        '/customers/:customerId',
        {
          schema: {
            tags: ['customers'],
            summary: 'Notes and preferences about the customer (channels, language, time zone)',
            params: customerIdParams,
            body: customerPatchSchema,
          },
        },
        async (request) => deps.aftercare.updateCustomer(request.params.customerId, request.body),
      );

      api.get(
        '/stats',
        {
          schema: {
            tags: ['stats'],
            summary: 'What each follow-up did: sent, answered, converted, per kind and month',
          },
        },
        async () => deps.aftercare.getStats(),
      );

      api.post(
        '/customers/:customerId/consent',
        {
          schema: {
            tags: ['customers'],
            summary: 'Record consent given or withdrawn (marketing, or every message on a channel)',
            params: customerIdParams,
            body: consentInputSchema,
          },
        },
        async (request) => {
          const state = await deps.aftercare.setConsent(request.params.customerId, request.body);
          return { customerId: state.customerId, consent: state.consent };
        },
      );
    },
    { prefix: '/v1' },
  );

  return app as unknown as FastifyInstance;
}
