import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { OrderGateway } from '../../gateway/orders';
import { createRenderer } from '../../messages/renderer';
import type { MessageRenderer } from '../../messages/types';
import { previewOrder } from '../../preview/plan';
import { errorBody } from '../../schemas/common';
import { previewInputSchema, previewResponse } from '../../schemas/preview';

/**
 * POST /v1/preview: every message a hypothetical order and customer would get, planned with the playbook new
 * orders start with (the order routes' gateway has it). Nothing is sent, started or written to Temporal.
 */
export const previewRoutes: FastifyPluginAsyncZod<{ orders: OrderGateway; now?: () => number }> = async (app, opts) => {
  // The renderer the send activity uses, made on the first preview (it compiles every template once).
  let renderer: Promise<MessageRenderer> | undefined;

  app.post(
    '/preview',
    {
      schema: {
        tags: ['orders'],
        summary:
          'Preview every message an order and its customer would get: kind, channel, time (quiet hours, frequency cap and warranty dates applied), subject, and what is skipped and why. Nothing is sent or started',
        body: previewInputSchema,
        response: { 200: previewResponse, 401: errorBody, 422: errorBody },
      },
    },
    async (request) => {
      renderer ??= createRenderer();
      const now = opts.now?.() ?? Date.now();
      return previewOrder(request.body, opts.orders.playbookOfNewJourneys, await renderer, now);
    },
  );
};
