/** The Shopify route over gateways kept in memory: status codes, what reaches Aftercare, the time budget. */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerInboundRoutes } from '../../src/api/webhooks/index';
import { ConflictError, NotFoundError } from '../../src/errors';
import { deriveKeys } from '../../src/lib/keys';
import { loadPlaybook } from '../../src/playbook/load';
import type { ShopifyDeps } from '../../src/shops/shopify/events';
import type { Order, OrderJourneyState, RefundInput, StageUpdate } from '../../src/workflows/order/contract';
import {
  cancelledOrder,
  customersRedact,
  FakeShopify,
  fulfillmentEvent,
  refundCreated,
  shopifyCustomer,
  shopifyOrder,
} from '../fakes/shopify';

const SECRET = 'shpss_0123456789abcdef';
const shopify = new FakeShopify(SECRET);
const SHOP_PLAYBOOK = loadPlaybook('playbooks/shop.yaml');
const STAGES = SHOP_PLAYBOOK.stages.map((s) => s.id);

/** Gateways that remember what they were asked, over a journey kept in memory. */
class RecordingGateways implements ShopifyDeps {
  playbook = SHOP_PLAYBOOK;
  started: Order[] = [];
  updates: { orderId: string; update: StageUpdate; requestId?: string }[] = [];
  cancels: { orderId: string; reason: string; source?: string; requestId?: string }[] = [];
  erased: string[] = [];
  refunds: ({ orderId: string } & RefundInput)[] = [];
  hangMs = 0;
  staleUpdates = false;
  state: OrderJourneyState | undefined;
  orders: ShopifyDeps['orders'] = {
    start: async (order) => {
      await new Promise((r) => setTimeout(r, this.hangMs));
      this.started.push(order);
      return { orderId: order.orderId, workflowId: `order-${order.orderId}`, created: this.started.length === 1 };
    },
    get: async (orderId) => {
      if (!this.state) throw new NotFoundError(`no order "${orderId}"`);
      return this.state;
    },
    advanceStage: async (orderId, update, opts = {}) => {
      this.updates.push({ orderId, update, ...(opts.requestId ? { requestId: opts.requestId } : {}) });
      if (update.stage === 'placed') throw new ConflictError('back', 'stage_out_of_order');
      if (this.staleUpdates) return { stage: this.state?.stage ?? 'placed', status: 'active', stale: true };
      return { stage: update.stage, status: 'active' };
    },
    cancel: async (orderId, input, opts = {}) => {
      this.cancels.push({ orderId, reason: input.reason, source: input.source, requestId: opts.requestId });
      return { orderId, status: 'cancelled', alreadyCancelled: false };
    },
    refund: async (orderId, input) => {
      this.refunds.push({ orderId, ...input });
      return { orderId, refundId: input.refundId, applied: true, refundedMinor: input.amountMinor };
    },
  };
  erasureOptions: unknown[] = [];
  erasure: ShopifyDeps['erasure'] = {
    erase: async (customerId, opts) => {
      this.erased.push(customerId);
      this.erasureOptions.push(opts);
      return { customerId, orders: [], lifecycleRuns: 0, outboxRecords: 0, visibilityCleared: true };
    },
  };
}

function journeyAt(orderId: string, stage: string): OrderJourneyState {
  return {
    orderId,
    customerId: 'c',
    status: 'active',
    stage,
    stages: STAGES,
    events: [{ type: 'stage', stage, at: new Date().toISOString() }],
    messages: [],
    next: null,
    followUps: [],
    operatorAlerts: [],
    reviewClicks: [],
  };
}

describe('POST /webhooks/shopify/:tenant', () => {
  let app: FastifyInstance;
  let gw: RecordingGateways;
  const send = (d: { headers: Record<string, string>; body: string }, tenant = 'default') =>
    app.inject({ method: 'POST', url: `/webhooks/shopify/${tenant}`, headers: d.headers, payload: d.body });

  beforeAll(async () => {
    gw = new RecordingGateways();
    app = Fastify({ bodyLimit: 64 * 1024 }); // as buildApp sets it
    await registerInboundRoutes(app, {
      sink: { recordForContact: async () => 0 } as never,
      keys: deriveKeys('aftercare-test-secret-0123456789'),
      publicUrl: 'https://aftercare.example',
      brandName: 'Shop',
      shopify: { secrets: { default: SECRET, outlet: 'outlet-secret' }, budgetMs: 300, ...pick(gw) },
    });
  });
  afterAll(async () => app?.close());
  beforeEach(() => {
    gw.started = [];
    gw.updates = [];
    gw.cancels = [];
    gw.erased = [];
    gw.erasureOptions = [];
    gw.refunds = [];
    gw.hangMs = 0;
    gw.staleUpdates = false;
    gw.state = undefined;
  });

  function pick(g: RecordingGateways): ShopifyDeps {
    return {
      orders: {
        start: (o) => g.orders.start(o),
        get: (id) => g.orders.get(id),
        advanceStage: (id, u, o) => g.orders.advanceStage(id, u, o),
        cancel: (id, i, o) => g.orders.cancel(id, i, o),
        refund: (id, i, o) => g.orders.refund(id, i, o),
      },
      erasure: { erase: (id, o) => g.erasure.erase(id, o) },
      playbook: g.playbook,
    };
  }

  it('starts the journey for orders/create, in either header spelling', async () => {
    const order = shopifyOrder();
    const res = await send(shopify.deliver('orders/create', order, { spelling: 'new' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, outcome: 'applied' });
    expect(gw.started.map((o) => o.orderId)).toEqual([String(order.id)]);
  });

  it('takes an order larger than the API’s 64 KiB body limit', async () => {
    const order = shopifyOrder();
    const item = order.line_items[0]!;
    order.line_items = Array.from({ length: 300 }, (_, i) => ({
      ...item,
      id: i + 1,
      sku: `SKU-${i}`,
      properties: 'x'.repeat(300),
    }));
    const d = shopify.deliver('orders/create', order);
    expect(d.body.length).toBeGreaterThan(64 * 1024);
    const res = await send(d);
    expect(res.statusCode).toBe(200);
    expect(gw.started[0]?.items).toHaveLength(300);
  });

  it('answers 401 to a bad or missing signature, an unknown tenant or another tenant’s secret, and does nothing', async () => {
    const order = shopifyOrder();
    const forged = shopify.deliver('orders/create', order, { secret: 'not-the-secret' });
    const unsigned = shopify.deliver('orders/create', order);
    delete unsigned.headers['x-shopify-hmac-sha256'];
    for (const [d, tenant] of [
      [forged, 'default'],
      [unsigned, 'default'],
      [shopify.deliver('orders/create', order), 'nope'],
      [shopify.deliver('orders/create', order), 'outlet'],
      [shopify.deliver('orders/create', order), 'constructor'],
    ] as const) {
      const res = await send(d, tenant);
      expect(res.statusCode).toBe(401);
    }
    expect(gw.started).toEqual([]);
  });

  it('answers 200 and starts nothing for an order that can never start a journey', async () => {
    const customer = shopifyCustomer({ email: null, phone: null });
    const order = shopifyOrder({ customer, overrides: { email: null, contact_email: null } });
    const res = await send(shopify.deliver('orders/create', order));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, outcome: 'invalid' });
    expect(gw.started).toEqual([]);
  });

  it('moves a paid order to the playbook’s paid stage, with the webhook id as the request id', async () => {
    const order = shopifyOrder();
    gw.state = journeyAt(String(order.id), 'placed');
    const d = shopify.deliver('orders/paid', order);
    expect((await send(d)).json()).toEqual({ ok: true, outcome: 'applied' });
    expect(gw.updates).toEqual([
      {
        orderId: String(order.id),
        // The shop's time of the event: the journey ignores an update older than its current stage.
        update: {
          stage: 'confirmed',
          occurredAt: new Date((JSON.parse(d.body) as { updated_at: string }).updated_at).toISOString(),
        },
        requestId: `shopify:${d.webhookId}`,
      },
    ]);
  });

  it('reports an update the journey found older than its stage as stale', async () => {
    const order = shopifyOrder();
    gw.state = journeyAt(String(order.id), 'shipped');
    gw.staleUpdates = true;
    const res = await send(shopify.deliver('fulfillment_events/create', fulfillmentEvent(order, 5, 'delayed')));
    expect(res.json()).toEqual({ ok: true, outcome: 'stale' });
  });

  it('drops a tracking event older than the journey’s stage, and answers 200', async () => {
    const order = shopifyOrder();
    gw.state = journeyAt(String(order.id), 'delivered');
    const res = await send(shopify.deliver('fulfillment_events/create', fulfillmentEvent(order, 5, 'in_transit')));
    expect(res.json()).toEqual({ ok: true, outcome: 'stale' });
    expect(gw.updates).toEqual([]);
  });

  it('sends a delay notice with a reason and the carrier’s estimate', async () => {
    const order = shopifyOrder();
    gw.state = journeyAt(String(order.id), 'shipped');
    const eta = '2030-01-02T10:00:00-05:00';
    const event = fulfillmentEvent(order, 5, 'delayed', { estimatedDeliveryAt: eta });
    const res = await send(shopify.deliver('fulfillment_events/create', event));
    expect(res.json()).toEqual({ ok: true, outcome: 'applied' });
    expect(gw.updates[0]!.update).toEqual({
      stage: 'delayed',
      reason: 'The carrier reports a delay with your parcel.',
      eta,
      occurredAt: new Date(event.happened_at).toISOString(),
    });
  });

  it('cancels with the shop’s reason and source, idempotent by webhook id', async () => {
    const order = shopifyOrder();
    const d = shopify.deliver('orders/cancelled', cancelledOrder(order, 'inventory'));
    expect((await send(d)).json()).toEqual({ ok: true, outcome: 'applied' });
    expect(gw.cancels).toEqual([
      { orderId: String(order.id), reason: 'inventory', source: 'shopify', requestId: `shopify:${d.webhookId}` },
    ]);
  });

  it('erases the customer of customers/redact', async () => {
    const customer = shopifyCustomer();
    const res = await send(shopify.deliver('customers/redact', customersRedact(customer, [1, 2])));
    expect(res.json()).toEqual({ ok: true, outcome: 'already' });
    expect(gw.erased).toEqual([String(customer.id)]);
    // Within Shopify's 5 s: the deletions are durable once accepted, search forgets them a moment later.
    expect(gw.erasureOptions).toEqual([{ awaitVisibility: false }]);
  });

  it('records refunds/create as a refund or return of its successful transactions, by the refund id', async () => {
    const order = shopifyOrder();
    const asReturn = refundCreated(order, '12.50', 'return');
    const res = await send(shopify.deliver('refunds/create', asReturn));
    expect(res.json()).toEqual({ ok: true, outcome: 'applied' });
    expect(gw.refunds).toEqual([
      expect.objectContaining({
        orderId: String(order.id),
        refundId: String(asReturn.id),
        kind: 'return',
        amountMinor: 1250,
        currency: order.currency,
        source: 'shopify',
      }),
    ]);
    // Money only (nothing restocked), and a refund without a successful transaction: nothing recorded for it.
    await send(shopify.deliver('refunds/create', refundCreated(order, '3.00', 'no_restock')));
    expect(gw.refunds.at(-1)).toMatchObject({ kind: 'refund', amountMinor: 300 });
    const none = { ...refundCreated(order), transactions: [] };
    expect((await send(shopify.deliver('refunds/create', none))).json()).toEqual({ ok: true, outcome: 'ignored' });
    expect(gw.refunds).toHaveLength(2);
  });

  it('answers 503 when Temporal is slower than the budget', async () => {
    gw.hangMs = 1_000;
    const started = Date.now();
    const res = await send(shopify.deliver('orders/create', shopifyOrder()));
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(900);
  });
});
