import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OrderGateway } from '../../gateway/orders';
import { businessKey, errorBody, idempotencyHeaders } from '../../schemas/common';
import {
  cancelOrderSchema,
  feedbackInputSchema,
  orderInputSchema,
  refundInputSchema,
  stageUpdateSchema,
} from '../../schemas/orders';
import {
  cancelOrderResponse,
  feedbackResponse,
  refundResponse,
  journeyView,
  stageUpdateResponse,
  startOrderResponse,
} from '../../schemas/views';
import { START_BUDGET_MS } from '../temporal-budget';
import { requestOf } from './idempotency';
import type { LinksFor } from './links';

const errors = { 401: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 503: errorBody };
/** The OpenAPI tag, summary and path parameter every /orders/:orderId route shares. */
const aboutOrder = (summary: string) => ({
  tags: ['orders'],
  summary,
  params: z.object({ orderId: businessKey }),
});

/** The business's order routes: start a journey, move it, record an answer, read it. */
export const orderRoutes: FastifyPluginAsyncZod<{ orders: OrderGateway; links: LinksFor }> = async (app, opts) => {
  const { orders, links } = opts;

  app.post(
    '/orders',
    {
      config: { temporalBudgetMs: START_BUDGET_MS },
      schema: {
        tags: ['orders'],
        summary: 'Start the journey of a new order (idempotent per orderId, with or without an Idempotency-Key)',
        headers: idempotencyHeaders,
        body: orderInputSchema,
        response: {
          200: startOrderResponse,
          201: startOrderResponse,
          401: errorBody,
          409: errorBody,
          422: errorBody,
          503: errorBody,
        },
      },
    },
    async (request, reply) => {
      const result = await orders.start(request.body);
      return reply.status(result.created ? 201 : 200).send({ ...result, links: links(result.workflowId) });
    },
  );

  const stage = 'Move the order to a later stage, or send a "delayed" / "problem" notice';
  app.post(
    '/orders/:orderId/stage',
    {
      schema: {
        ...aboutOrder(stage),
        headers: idempotencyHeaders,
        body: stageUpdateSchema,
        response: { 200: stageUpdateResponse, ...errors },
      },
    },
    async (request) => orders.advanceStage(request.params.orderId, request.body, requestOf(request.headers)),
  );

  const cancel =
    'Cancel the order: the customer gets one cancellation confirmation, every remaining message and follow-up stops (a repeat changes nothing)';
  app.post(
    '/orders/:orderId/cancel',
    {
      schema: {
        ...aboutOrder(cancel),
        headers: idempotencyHeaders,
        body: cancelOrderSchema,
        response: { 200: cancelOrderResponse, ...errors },
      },
    },
    async (request) =>
      orders.cancel(request.params.orderId, { ...request.body, source: 'api' }, requestOf(request.headers)),
  );

  const refund =
    'Money back for the order: a refund, or a return of goods, whole or in part (the customer is told; their spend and cashback go down; the same refundId again changes nothing)';
  app.post(
    '/orders/:orderId/refunds',
    {
      schema: {
        ...aboutOrder(refund),
        headers: idempotencyHeaders,
        body: refundInputSchema,
        response: { 200: refundResponse, ...errors },
      },
    },
    async (request) =>
      orders.refund(request.params.orderId, { ...request.body, source: 'api' }, requestOf(request.headers)),
  );

  const feedback = "Record the customer's satisfaction answer collected by the business itself";
  app.post(
    '/orders/:orderId/feedback',
    {
      schema: {
        ...aboutOrder(feedback),
        headers: idempotencyHeaders,
        body: feedbackInputSchema,
        response: { 200: feedbackResponse, ...errors },
      },
    },
    async (request) => orders.submitFeedback(request.params.orderId, request.body, requestOf(request.headers)),
  );

  app.get(
    '/orders/:orderId',
    { schema: { ...aboutOrder("The order journey's state"), response: { 200: journeyView, ...errors } } },
    async (request) => {
      const state = await orders.get(request.params.orderId);
      const workflowId = orders.journeyIdOf(state.orderId);
      return { ...state, workflowId, links: links(workflowId) };
    },
  );
};
