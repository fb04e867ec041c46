import type { onRequestHookHandler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StatsGateway } from '../../gateway/stats';

const METRICS_CACHE_MS = 60_000;

/** For load balancers and dashboards: is Temporal reachable, and the follow-up counters. */
export const opsRoutes: FastifyPluginAsyncZod<{
  stats: StatsGateway;
  temporalHealth: () => Promise<void>;
  /** Guards /metrics (the operators' key in production). */
  metricsAuth?: onRequestHookHandler;
}> = async (app, { stats, temporalHealth, metricsAuth }) => {
  let cached: { at: number; view: Awaited<ReturnType<StatsGateway['get']>> } | undefined;
  app.get(
    '/health',
    {
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
      // Counters come from the stats workflows, so they survive restarts (they never go down). Reading them is
      // a query per shard (billed): a scrape within a minute of the last one gets the same figures.
      if (!cached || Date.now() - cached.at > METRICS_CACHE_MS) cached = { at: Date.now(), view: await stats.get() };
      const { view } = cached;
      const lines = [
        '# HELP aftercare_followups_total Follow-up events by kind: sent, answered (surveys), converted (offer/win-back orders, review clicks).',
        '# TYPE aftercare_followups_total counter',
        ...Object.entries(view.totals).flatMap(([kind, metrics]) =>
          Object.entries(metrics).map(
            ([event, n]) => `aftercare_followups_total{kind="${kind}",event="${event}"} ${n}`,
          ),
        ),
      ];
      return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
    },
  );
};
