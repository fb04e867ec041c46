import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { StatsGateway } from '../../gateway/stats';
import { errorBody } from '../../schemas/common';
import { statsView } from '../../schemas/views';

/** Measure each measure: what each follow-up did. */
export const statsRoutes: FastifyPluginAsyncZod<{ stats: StatsGateway }> = async (app, { stats }) => {
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'What each follow-up did: sent, answered, converted, per kind and month',
        response: { 200: statsView, 401: errorBody, 503: errorBody },
      },
    },
    async () => stats.get(),
  );
};
