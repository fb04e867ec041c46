import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { customerLifecycleId, getCustomerQuery } from '../../src/workflows/customer/contract';
import { orderJourneyId, type OrderJourneyWorkflow } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, testLogger, type Harness } from '../support/harness';

const API_KEY = 'test-api-key-0123456789';
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  h = await startHarness();
  app = await buildApp({ aftercare: h.aftercare, apiKey: API_KEY, logger: testLogger, temporalHealth: async () => {} });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const post = (url: string, body: object, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    payload: body,
  });
const messagesOf = async (orderId: string) =>
  (await h.outbox.list()).filter((m) => m.workflowId === orderJourneyId(orderId)).map((m) => m.messageKey);

describe('cancelling an order', () => {
  it('tells the customer once, stops everything that remained, and tells the lifecycle', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () => expect(await messagesOf(order.orderId)).toContain('status-shipped'));

    expect((await post(`/v1/orders/${order.orderId}/cancel`, {})).statusCode).toBe(422);
    const first = await post(`/v1/orders/${order.orderId}/cancel`, { reason: 'out of stock' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      orderId: order.orderId,
      status: 'cancelled',
      alreadyCancelled: false,
      messageKey: 'cancelled',
    });
    const final = await h.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(order.orderId)).result();
    expect(final.status).toBe('cancelled');
    expect(final.cancellation).toMatchObject({ reason: 'out of stock', source: 'api' });
    expect(final.messages.find((m) => m.key === 'cancelled')).toMatchObject({
      kind: 'order_cancelled',
      status: 'sent',
    });

    // A repeat (a retry, a replayed shop webhook) changes nothing and says so; later stages are refused.
    const again = await post(`/v1/orders/${order.orderId}/cancel`, { reason: 'out of stock' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'cancelled', alreadyCancelled: true });
    expect((await post(`/v1/orders/${order.orderId}/stage`, { stage: 'delivered' })).statusCode).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect((await messagesOf(order.orderId)).sort()).toEqual(['cancelled', 'status-placed', 'status-shipped']);
    const cancelledMail = (await h.outbox.list()).find(
      (m) => m.workflowId === orderJourneyId(order.orderId) && m.messageKey === 'cancelled',
    );
    expect(cancelledMail?.subject).toContain('has been cancelled');
    expect(JSON.stringify(cancelledMail)).not.toContain('out of stock');

    // The customer's record: the order is cancelled, and with no other order there is no win-back clock.
    const lifecycle = await eventually(async () => {
      const s = await h.client.workflow.getHandle(customerLifecycleId(order.customer.id)).query(getCustomerQuery);
      expect(s.orders[0]).toMatchObject({ orderId: order.orderId, status: 'cancelled' });
      return s;
    });
    expect(lifecycle.lastOrderAt).toBeUndefined();
  });

  it('is refused once the order is completed (a refund or return applies then)', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    const res = await post(`/v1/orders/${order.orderId}/cancel`, { reason: 'changed my mind' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: { code: 'journey_completed', message: expect.stringMatching(/refunded or returned/) },
    });
    expect((await post('/v1/orders/no-such-order/cancel', { reason: 'x' })).statusCode).toBe(404);
  });
});
