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

describe('refunds and returns', () => {
  it('tell the customer once per refund, and take the money off their spend and cashback', async () => {
    const order = sampleOrder(); // 25.00 EUR
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    const lifecycle = h.client.workflow.getHandle(customerLifecycleId(order.customer.id));
    await eventually(async () => {
      const s = await lifecycle.query(getCustomerQuery);
      expect(s.loyalty).toMatchObject({ spendMinor: 2500, cashbackBalanceMinor: 125 });
    });

    const refund = { refundId: 'r-1', kind: 'return', amount: 10, currency: 'EUR', reason: 'one mug broken' };
    const first = await post(`/v1/orders/${order.orderId}/refunds`, refund);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      orderId: order.orderId,
      refundId: 'r-1',
      applied: true,
      refundedMinor: 1000,
      messageKey: 'refund-1',
    });
    const again = await post(`/v1/orders/${order.orderId}/refunds`, refund);
    expect(again.json()).toMatchObject({ applied: false, refundedMinor: 1000 });

    const told = await eventually(async () => {
      const m = (await h.outbox.list()).filter(
        (r) => r.workflowId === orderJourneyId(order.orderId) && r.kind === 'refund_issued',
      );
      expect(m).toHaveLength(1);
      return m[0]!;
    });
    expect(told.subject).toContain('return');
    expect(told.text).toContain('€10.00');
    await eventually(async () => {
      const s = await lifecycle.query(getCustomerQuery);
      // 5% cashback on 10.00 is 0.50 back out of 1.25; the spend drops by the refund.
      expect(s.loyalty).toMatchObject({ spendMinor: 1500, cashbackBalanceMinor: 75 });
    });

    const tooMuch = await post(`/v1/orders/${order.orderId}/refunds`, { ...refund, refundId: 'r-2', amount: 20 });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ error: { message: expect.stringMatching(/1500 minor units left/) } });
    const otherCurrency = await post(`/v1/orders/${order.orderId}/refunds`, {
      ...refund,
      refundId: 'r-3',
      currency: 'USD',
    });
    expect(otherCurrency.statusCode).toBe(422);
    const badAmount = await post(`/v1/orders/${order.orderId}/refunds`, { ...refund, refundId: 'r-4', amount: 1.234 });
    expect(badAmount.statusCode).toBe(422);
    expect(badAmount.json()).toMatchObject({ error: { details: [{ path: 'amount' }] } });
    await new Promise((r) => setTimeout(r, 300));
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.refunds).toEqual([expect.objectContaining({ refundId: 'r-1', kind: 'return', amountMinor: 1000 })]);
  });
});
