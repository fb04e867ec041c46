import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JourneyAction, OperationsGateway } from '../../gateway/operations';
import { businessKey, errorBody, idempotencyHeaders } from '../../schemas/common';
import {
  cancelBody,
  operatorActionResponse,
  pauseMarketingBody,
  resendBody,
  resumeMarketingBody,
  retryBody,
  skipBody,
  stuckListResponse,
  waitBody,
} from '../../schemas/operations';
import { requestOf } from './idempotency';
import type { LinksFor } from './links';

const errors = { 401: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 503: errorBody };
const params = z.object({ orderId: businessKey });

/**
 * Operators' actions on a journey (operator key in production): the same Updates the Temporal UI offers, each
 * idempotent with an Idempotency-Key and kept in the journey's events. 409 when there is nothing to act on.
 */
export const actionRoutes: FastifyPluginAsyncZod<{ operations: OperationsGateway; links: LinksFor }> = async (
  app,
  { operations, links },
) => {
  const journeyAction = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B,
    toAction: (body: z.output<B>) => JourneyAction,
  ) =>
    app.post(
      `/orders/:orderId/actions/${path}`,
      {
        schema: {
          tags: ['operators'],
          summary,
          params,
          headers: idempotencyHeaders,
          body,
          response: { 200: operatorActionResponse, ...errors },
        },
      },
      async (request) => {
        const { orderId } = request.params as { orderId: string };
        const body = request.body as z.output<B> & { actedBy?: string };
        const result = await operations.act(
          orderId,
          { ...toAction(body), ...(body.actedBy ? { by: body.actedBy } : {}) },
          requestOf(request.headers as { 'idempotency-key'?: string }),
        );
        return { orderId, ...result, links: links(operations.journeyIdOf(orderId)) };
      },
    );

  journeyAction('retry', 'Retry the message being sent now (after a provider outage)', retryBody, (b) => ({
    action: 'retry',
    ...(b.reason ? { reason: b.reason } : {}),
  }));
  journeyAction('skip', 'Skip the message being sent, recorded with the reason', skipBody, (b) => ({
    action: 'skip',
    reason: b.reason,
  }));
  journeyAction('resend', 'Send a message again, deliberately, under a new idempotency key', resendBody, (b) => ({
    action: 'resend',
    ...b,
  }));
  journeyAction('wait', 'Move the end of the current wait: to a time (until) or by a duration (by)', waitBody, (b) => ({
    action: 'change-wait',
    reason: b.reason,
    ...(b.until ? { until: b.until } : { byMs: b.by! }),
  }));
  journeyAction('cancel', "Cancel the order's remaining follow-ups; the journey keeps its record", cancelBody, (b) => ({
    action: 'cancel',
    reason: b.reason,
  }));

  for (const [path, body] of [
    ['pause-marketing', pauseMarketingBody],
    ['resume-marketing', resumeMarketingBody],
  ] as const) {
    app.post(
      `/orders/:orderId/actions/${path}`,
      {
        schema: {
          tags: ['operators'],
          summary:
            path === 'pause-marketing'
              ? "Pause the marketing of the order's customer (until a time, for a while, or until resumed)"
              : "Resume the marketing of the order's customer",
          params,
          headers: idempotencyHeaders,
          body,
          response: { 200: operatorActionResponse, ...errors },
        },
      },
      async (request) => {
        const { orderId } = request.params;
        const b = request.body as { reason: string; until?: string; for?: number };
        const until = b.until ?? (b.for ? new Date(Date.now() + b.for).toISOString() : undefined);
        const result = await operations.marketing(
          orderId,
          { action: path, reason: b.reason, ...(until ? { until } : {}) },
          requestOf(request.headers),
        );
        return { orderId, ...result, links: links(operations.journeyIdOf(orderId)) };
      },
    );
  }

  app.get(
    '/operations/stuck',
    {
      schema: {
        tags: ['operators'],
        summary: 'The journeys that need a person, with why and since when',
        response: { 200: stuckListResponse, 401: errorBody, 503: errorBody },
      },
    },
    async () => ({
      stuck: (await operations.stuck()).map((s) => ({ ...s, links: links(s.workflowId) })),
    }),
  );
};
