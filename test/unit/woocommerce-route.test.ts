/** The WooCommerce route over gateways kept in memory: status codes, what reaches Aftercare, the time budget. */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerInboundRoutes } from '../../src/api/webhooks/index';
import { deriveKeys } from '../../src/lib/keys';
import { FakeWooCommerce, wooSignature } from '../fakes/woocommerce';
import { RecordingShop } from '../support/recording-shop';

const store = new FakeWooCommerce({ webhookSecret: 'wc-route-secret' });

describe('POST /webhooks/woocommerce/:tenant', () => {
  let app: FastifyInstance;
  let shop: RecordingShop;
  const send = (d: { headers: Record<string, string>; body: string }, tenant = 'default') =>
    app.inject({ method: 'POST', url: `/webhooks/woocommerce/${tenant}`, headers: d.headers, payload: d.body });

  beforeAll(async () => {
    shop = new RecordingShop();
    app = Fastify({ bodyLimit: 64 * 1024 }); // as buildApp sets it
    await registerInboundRoutes(app, {
      sink: { recordForContact: async () => 0 } as never,
      keys: deriveKeys('aftercare-test-secret-0123456789'),
      publicUrl: 'https://aftercare.example',
      brandName: 'Shop',
      woocommerce: {
        secrets: { default: store.webhookSecret, outlet: 'outlet-secret' },
        budgetMs: 300,
        playbook: shop.playbook,
        orders: {
          start: (o) => shop.orders.start(o),
          advanceStage: (id, u, o) => shop.orders.advanceStage(id, u, o),
          cancel: (id, i, o) => shop.orders.cancel(id, i, o),
          refund: (id, i, o) => shop.orders.refund(id, i, o),
        },
        journeys: { find: (id) => shop.journeys.find(id) },
      },
    });
  });
  afterAll(async () => app?.close());
  beforeEach(() => {
    shop.journeysAt.clear();
    shop.started = [];
    shop.updates = [];
    shop.cancels = [];
    shop.refunds = [];
    shop.hangMs = 0;
  });

  it('answers the creation ping 200 and changes nothing, for an unknown tenant too (the answer names no tenant)', async () => {
    const ping = store.ping();
    const res = await send(ping);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, outcome: 'ping' });
    expect((await send(ping, 'nope')).statusCode).toBe(200);
    // A form body that is not the ping, and a ping-looking JSON body, are no pings.
    expect((await send({ headers: ping.headers, body: 'webhook_id=17&status=completed' })).statusCode).toBe(401);
    expect(
      (await send({ headers: { 'content-type': 'application/json' }, body: '{"webhook_id":17}' })).statusCode,
    ).toBe(401);
    expect(shop.started).toEqual([]);
  });

  it('answers 401 to a bad or missing signature, an unknown tenant or another tenant’s secret, and does nothing', async () => {
    const order = store.addOrder();
    const forged = store.delivery('order.created', order, { secret: 'guessed' });
    const unsigned = store.delivery('order.created', order);
    delete unsigned.headers['x-wc-webhook-signature'];
    for (const [d, tenant] of [
      [forged, 'default'],
      [unsigned, 'default'],
      [store.delivery('order.created', order), 'nope'],
      [store.delivery('order.created', order), 'outlet'],
      [store.delivery('order.created', order), 'constructor'],
    ] as const) {
      const res = await send(d, tenant);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    }
    expect(shop.started).toEqual([]);
  });

  it('starts the journey for order.created, then moves it with each status, each version once', async () => {
    const order = store.addOrder({ status: 'pending' });
    const orderId = `wc-${order.id}`;
    const created = await send(store.delivery('order.created', order));
    expect(created.json()).toEqual({ ok: true, outcome: 'applied' });
    expect(shop.started.map((o) => o.orderId)).toEqual([orderId]);

    const processing = store.update(order.id, { status: 'processing' }, Date.now() + 1000);
    const d = store.delivery('order.updated', processing);
    expect((await send(d)).json()).toEqual({ ok: true, outcome: 'applied' });
    expect(shop.updates).toEqual([
      {
        orderId,
        // The shop's time of the change: the journey ignores an update older than its current stage.
        update: { stage: 'confirmed', occurredAt: new Date(`${processing.date_modified_gmt}Z`).toISOString() },
        // The version (order, status, date_modified_gmt) is the update's id: a replay is the same update.
        requestId: `woocommerce:${orderId}:processing:${processing.date_modified_gmt}`,
      },
    ]);
    // The same version again (WooCommerce never retries, but a proxy or a person may): nothing more.
    expect((await send(d)).json()).toEqual({ ok: true, outcome: 'already' });
    const completed = store.update(order.id, { status: 'completed' }, Date.now() + 2000);
    expect((await send(store.delivery('order.updated', completed))).json()).toEqual({ ok: true, outcome: 'applied' });
    // Older versions arriving late: the journey is past them.
    expect((await send(d)).json()).toEqual({ ok: true, outcome: 'stale' });
    expect((await send(store.delivery('order.created', order))).json()).toEqual({ ok: true, outcome: 'already' });
    expect(shop.started).toHaveLength(1);
    expect(shop.updates.map((u) => u.update.stage)).toEqual(['confirmed', 'delivered']);
  });

  it('cancels for cancelled, records each listed refund once, and leaves a trashed order alone', async () => {
    const order = store.addOrder({ status: 'processing' });
    const orderId = `wc-${order.id}`;
    await send(store.delivery('order.created', order));
    const refunded = store.refund(order.id, '5.00', 'Scratched');
    expect((await send(store.delivery('order.updated', refunded))).json()).toEqual({ ok: true, outcome: 'applied' });
    expect((await send(store.delivery('order.updated', refunded))).json()).toEqual({ ok: true, outcome: 'already' });
    expect(shop.refunds).toEqual([
      expect.objectContaining({
        orderId,
        refundId: `wc-${refunded.refunds[0]!.id}`,
        kind: 'refund',
        amountMinor: 500,
        currency: 'EUR',
        reason: 'Scratched',
        source: 'woocommerce',
      }),
    ]);

    const trashed = await send(store.delivery('order.deleted', { id: order.id }));
    expect(trashed.json()).toEqual({ ok: true, outcome: 'ignored' });

    const cancelled = store.update(order.id, { status: 'cancelled' });
    expect((await send(store.delivery('order.updated', cancelled))).json()).toEqual({ ok: true, outcome: 'applied' });
    expect(shop.cancels).toEqual([
      expect.objectContaining({ orderId, reason: 'cancelled in WooCommerce', source: 'woocommerce' }),
    ]);
    // The journey ended: the same cancellation again does nothing.
    expect((await send(store.delivery('order.updated', cancelled))).json()).toEqual({ ok: true, outcome: 'already' });
    expect(shop.cancels).toHaveLength(1);
  });

  it('sends notices for on-hold and failed, and starts no journey for a failed payment', async () => {
    const held = store.addOrder({ status: 'on-hold' });
    expect((await send(store.delivery('order.created', held))).json()).toEqual({ ok: true, outcome: 'applied' });
    expect(shop.updates.map((u) => u.update)).toEqual([
      expect.objectContaining({ stage: 'delayed', reason: 'Your order is on hold until we confirm your payment.' }),
    ]);
    const failed = store.addOrder({ status: 'failed' });
    expect((await send(store.delivery('order.created', failed))).json()).toEqual({ ok: true, outcome: 'ignored' });
    expect(shop.started.map((o) => o.orderId)).toEqual([`wc-${held.id}`]);
  });

  it('answers 200 and starts nothing for an order that can never start a journey, or a checkout draft', async () => {
    const noContact = store.addOrder({ email: '', phone: '' });
    expect((await send(store.delivery('order.created', noContact))).json()).toEqual({ ok: true, outcome: 'invalid' });
    const draft = store.addOrder({ status: 'checkout-draft' });
    expect((await send(store.delivery('order.created', draft))).json()).toEqual({ ok: true, outcome: 'ignored' });
    expect(shop.started).toEqual([]);
  });

  it('answers 400 for a signed body without a topic or that is not JSON', async () => {
    const order = store.addOrder();
    const noTopic = store.delivery('order.created', order);
    delete noTopic.headers['x-wc-webhook-topic'];
    expect((await send(noTopic)).statusCode).toBe(400);
    const notJson = store.delivery('order.created', order);
    notJson.body = 'not json';
    notJson.headers['x-wc-webhook-signature'] = wooSignature(store.webhookSecret, notJson.body);
    expect((await send(notJson)).statusCode).toBe(400);
    expect(shop.started).toEqual([]);
  });

  it('answers 503 when Temporal is slower than the budget', async () => {
    shop.hangMs = 1_000;
    const started = Date.now();
    const res = await send(store.delivery('order.created', store.addOrder()));
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(900);
  });
});
