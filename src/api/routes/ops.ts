import type { onRequestHookHandler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AftercareMetrics } from '../../metrics';

const HEALTH_BUDGET_MS = 2_000;

/** For load balancers and dashboards: is Temporal reachable, and the metrics (`src/metrics.ts`). */
export const opsRoutes: FastifyPluginAsyncZod<{
  metrics: AftercareMetrics;
  temporalHealth: () => Promise<void>;
  /** Guards /metrics (the operators' key in production). */
  metricsAuth?: onRequestHookHandler;
}> = async (app, { metrics, temporalHealth, metricsAuth }) => {
  app.get(
    '/health',
    {
      // A load balancer's probe waits a few seconds at most: "unreachable" must come before it gives up.
      config: { temporalBudgetMs: HEALTH_BUDGET_MS },
      schema: {
        tags: ['ops'],
        security: [],
        response: {
          200: z.object({ status: z.literal('ok'), temporal: z.literal('ok') }),
          503: z.object({ status: z.literal('degraded'), temporal: z.literal('unreachable') }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await temporalHealth();
        return reply.status(200).send({ status: 'ok', temporal: 'ok' });
      } catch {
        return reply.status(503).send({ status: 'degraded', temporal: 'unreachable' });
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { hide: true }, ...(metricsAuth ? { onRequest: metricsAuth } : {}) },
    async (_request, reply) => {
      // prom-client's families (the follow-up counters from the stats workflows, cached a minute; stuck journeys),
      // then the Temporal SDK's own, as it wrote them.
      return reply.type(metrics.contentType).send(await metrics.render());
    },
  );
};
