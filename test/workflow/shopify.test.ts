/**
 * A Shopify shop's webhooks driving real journeys: the app over the harness, deliveries built and signed by the
 * fake Shopify exactly as Shopify sends them, and the customer's messages checked in the outbox.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { NotFoundError } from '../../src/errors';
import { orderJourneyId } from '../../src/workflows/order/contract';
import {
  cancelledOrder,
  customersRedact,
  refundCreated,
  FakeShopify,
  fulfillmentEvent,
  paidOrder,
  shopifyCustomer,
  shopifyFulfillment,
  shopifyOrder,
  shopTime,
  type ShopifyDelivery,
} from '../fakes/shopify';
import { eventually, startHarness, TEST_KEYS, testLogger, type Harness } from '../support/harness';

const SECRET = 'shpss_workflow_test_secret';
const shop = new FakeShopify(SECRET);
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  h = await startHarness();
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: 'shopify-test-api-key-0123456789',
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: {
      sink: h.aftercare,
      keys: TEST_KEYS,
      publicUrl: 'http://aftercare.test',
      brandName: 'Test Shop',
      shopify: {
        secrets: { default: SECRET },
        orders: h.aftercare.orders,
        erasure: h.aftercare.erasure,
        playbook: h.playbook,
      },
    },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const post = (d: ShopifyDelivery) =>
  app.inject({ method: 'POST', url: '/webhooks/shopify/default', headers: d.headers, payload: d.body });

/** Shopify delivers at least once: every delivery goes twice, with the same webhook id. */
async function twice(d: ShopifyDelivery): Promise<string> {
  const first = await post(d);
  const second = await post(d);
  expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
  return (first.json() as { outcome: string }).outcome;
}

const sentFor = async (orderId: string) =>
  (await h.outbox.list(500)).filter((m) => m.workflowId === orderJourneyId(orderId));

describe('Shopify webhooks', () => {
  it('drive an order from orders/create to delivered, each message once, despite repeats, stale events and forgeries', async () => {
    const order = shopifyOrder();
    const orderId = String(order.id);

    expect(await twice(shop.deliver('orders/create', order))).toBe('applied');
    await eventually(async () => expect((await sentFor(orderId)).map((m) => m.messageKey)).toEqual(['status-placed']));

    // A forged delivery is refused and changes nothing.
    const forged = await post(shop.deliver('orders/paid', paidOrder(order), { secret: 'guessed' }));
    expect(forged.statusCode).toBe(401);
    expect((await h.aftercare.orders.get(orderId)).stage).toBe('placed');

    expect(await twice(shop.deliver('orders/paid', paidOrder(order)))).toBe('applied');
    expect((await h.aftercare.orders.get(orderId)).stage).toBe('confirmed');

    const fulfillment = shopifyFulfillment(order);
    expect(await twice(shop.deliver('fulfillments/create', fulfillment))).toBe('applied');
    // The carrier's in_transit says what the journey already shows.
    const inTransit = fulfillmentEvent(order, fulfillment.id, 'in_transit');
    expect(await twice(shop.deliver('fulfillment_events/create', inTransit))).toBe('stale');
    expect(
      await twice(shop.deliver('fulfillment_events/create', fulfillmentEvent(order, fulfillment.id, 'delayed'))),
    ).toBe('applied');
    // The newer header spelling, without "X-".
    const out = fulfillmentEvent(order, fulfillment.id, 'out_for_delivery');
    expect(await twice(shop.deliver('fulfillment_events/create', out, { spelling: 'new' }))).toBe('applied');
    // A delay the carrier reported before the parcel went out for delivery, arriving late: no notice.
    const oldDelay = fulfillmentEvent(order, fulfillment.id, 'delayed', { happenedAt: shopTime(Date.now() - 30_000) });
    expect(await twice(shop.deliver('fulfillment_events/create', oldDelay))).toBe('stale');
    const delivered = fulfillmentEvent(order, fulfillment.id, 'delivered');
    expect(await twice(shop.deliver('fulfillment_events/create', delivered))).toBe('applied');
    // An in_transit event arriving after delivered (out of order) changes nothing.
    const late = fulfillmentEvent(order, fulfillment.id, 'in_transit');
    expect(await twice(shop.deliver('fulfillment_events/create', late))).toMatch(/^(stale|already)$/);

    const expected = [
      'status-placed',
      'status-shipped',
      'delayed-1',
      'status-out_for_delivery',
      'status-delivered',
      'thank-you',
    ];
    await eventually(async () =>
      expect((await sentFor(orderId)).map((m) => m.messageKey).sort()).toEqual([...expected].sort()),
    );
    // Time for a duplicate to show up, if one were coming.
    await new Promise((r) => setTimeout(r, 1_000));
    const sent = await sentFor(orderId);
    expect(sent.map((m) => m.messageKey).sort()).toEqual([...expected].sort());
    expect(sent.find((m) => m.messageKey === 'status-shipped')?.text).toContain('Tracking number 1Z2345');
    expect(sent.find((m) => m.messageKey === 'delayed-1')?.text).toContain('The carrier reports a delay');

    const journey = await h.aftercare.orders.get(orderId).catch(() => undefined);
    const stages = journey?.events.flatMap((e) => (e.type === 'stage' ? [e.stage] : []));
    if (stages) expect(stages).toEqual(['placed', 'confirmed', 'shipped', 'out_for_delivery', 'delivered']);
  });

  it('cancels the order for orders/cancelled: one cancellation message, a repeat changes nothing', async () => {
    const order = shopifyOrder();
    const orderId = String(order.id);
    expect(await twice(shop.deliver('orders/create', order))).toBe('applied');
    await eventually(async () => expect((await sentFor(orderId)).map((m) => m.messageKey)).toEqual(['status-placed']));

    const cancelled = shop.deliver('orders/cancelled', cancelledOrder(order, 'customer'));
    expect(await twice(cancelled)).toBe('applied');
    // Shopify may also send it again as a new delivery (another webhook id): already cancelled.
    expect(await twice(shop.deliver('orders/cancelled', cancelledOrder(order, 'customer')))).toBe('already');

    await eventually(async () =>
      expect((await sentFor(orderId)).map((m) => m.messageKey).sort()).toEqual(['cancelled', 'status-placed']),
    );
    const handle = h.client.workflow.getHandle(orderJourneyId(orderId));
    const result = (await handle.result()) as { status: string; cancellation?: { source: string; reason: string } };
    expect(result.status).toBe('cancelled');
    expect(result.cancellation).toMatchObject({ source: 'shopify', reason: 'customer' });
  });

  it('records a refund for refunds/create once, tells the customer, and takes it off their spend', async () => {
    const order = shopifyOrder();
    const orderId = String(order.id);
    expect(await twice(shop.deliver('orders/create', order))).toBe('applied');
    await eventually(async () => expect((await sentFor(orderId)).map((m) => m.messageKey)).toEqual(['status-placed']));
    const created = refundCreated(order, '10.00', 'return');
    expect(await twice(shop.deliver('refunds/create', created))).toBe('applied');
    // Shopify's second copy of the same refund (another webhook id) changes nothing.
    expect(await twice(shop.deliver('refunds/create', created))).toBe('already');
    await eventually(async () =>
      expect((await sentFor(orderId)).map((m) => m.messageKey).sort()).toEqual(['refund-1', 'status-placed']),
    );
    const journey = await h.aftercare.orders.get(orderId);
    expect(journey.refunds).toEqual([
      expect.objectContaining({ refundId: String(created.id), kind: 'return', amountMinor: 1000, source: 'shopify' }),
    ]);
  });

  it('erases the customer for customers/redact', async () => {
    const customer = shopifyCustomer();
    const order = shopifyOrder({ customer });
    const orderId = String(order.id);
    expect(await twice(shop.deliver('orders/create', order))).toBe('applied');
    await eventually(async () => expect((await sentFor(orderId)).length).toBe(1));

    const res = await post(shop.deliver('customers/redact', customersRedact(customer, [order.id])));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, outcome: 'applied' });
    // The answer comes once Temporal has accepted the deletions (Shopify waits 5 s); it removes the runs a moment
    // later, so the order is gone soon after, not at once.
    await eventually(() => expect(h.aftercare.orders.get(orderId)).rejects.toBeInstanceOf(NotFoundError), {
      timeoutMs: 10_000,
    });
    expect(await sentFor(orderId)).toEqual([]);
  });
});
