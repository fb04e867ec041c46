/**
 * A WooCommerce store driving real journeys: the app listening on 127.0.0.1 over the harness, a fake store posting
 * its webhooks over HTTP exactly as WooCommerce does, and the reconciliation's schedule reading the same store every
 * few seconds all along. The customer's messages are checked in the outbox.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { journeyLookup } from '../../src/shops/woocommerce/journeys';
import { ensureWooCommerceSchedules } from '../../src/temporal/woocommerce-schedules';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { wooCommerceReconcileScheduleId, type ReconcileResult } from '../../src/workflows/woocommerce/contract';
import { startFakeWooCommerce, type FakeWooCommerce, type WooOrder } from '../fakes/woocommerce';
import { eventually, startHarness, TEST_KEYS, testLogger, type Harness } from '../support/harness';

/** The reconciliation's interval in this test (WOOCOMMERCE_RECONCILE_EVERY, 5 minutes by default). */
const EVERY = 3_000;
let store: FakeWooCommerce;
let h: Harness;
let app: FastifyInstance;
let deliveryUrl: string;

beforeAll(async () => {
  store = await startFakeWooCommerce();
  h = await startHarness({
    schedules: true,
    woocommerce: {
      tenants: {
        default: { storeUrl: store.url, consumerKey: store.consumerKey, consumerSecret: store.consumerSecret },
      },
      every: EVERY,
      overlapMs: 20_000,
    },
  });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: 'woocommerce-test-api-key-0123456789',
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: {
      sink: h.aftercare,
      keys: TEST_KEYS,
      publicUrl: 'http://aftercare.test',
      brandName: 'Test Shop',
      woocommerce: {
        secrets: { default: store.webhookSecret },
        orders: h.aftercare.orders,
        journeys: journeyLookup(h.client),
        playbook: h.playbook,
      },
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  deliveryUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/woocommerce/default`;
});
afterAll(async () => {
  await h?.client.schedule
    .getHandle(wooCommerceReconcileScheduleId(h.taskQueue, 'default'))
    .delete()
    .catch(() => {});
  await app?.close();
  await h?.stop();
  await store?.close();
});

/** Posts the order's webhook as the store does: once, over HTTP; returns the outcome Aftercare answered. */
async function webhook(topic: string, order: WooOrder): Promise<string> {
  const res = await store.send(deliveryUrl, store.delivery(topic, order));
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { outcome: string }).outcome;
}

const sentFor = async (order: WooOrder) =>
  (await h.outbox.list(500)).filter((m) => m.workflowId === orderJourneyId(`wc-${order.id}`));
const keysFor = async (order: WooOrder) => (await sentFor(order)).map((m) => m.messageKey).sort();

/** Time for a duplicate to show up, if one were coming (the reconciliation runs twice meanwhile). */
const settle = () => new Promise((r) => setTimeout(r, 2 * EVERY));

describe('WooCommerce webhooks and reconciliation', () => {
  it('answer the creation ping, refuse a forged delivery, and drive an order to completed, each message once', async () => {
    expect((await store.send(deliveryUrl, store.ping())).status).toBe(200);

    const order = store.addOrder({ status: 'pending' });
    const created = store.delivery('order.created', order);
    expect((await store.send(deliveryUrl, created)).body).toMatch(/"(applied|already)"/);
    // The same delivery replayed (a proxy, a person pressing "resend"): nothing more.
    expect((await store.send(deliveryUrl, created)).body).toContain('"already"');
    await eventually(async () => expect(await keysFor(order)).toEqual(['status-placed']));

    const forged = await store.send(
      deliveryUrl,
      store.delivery('order.updated', { ...order, status: 'completed' }, { secret: 'guessed' }),
    );
    expect(forged.status).toBe(401);
    expect((await h.aftercare.orders.get(`wc-${order.id}`)).stage).toBe('placed');

    // Applied by the webhook, or a moment before by the reconciliation reading the same store.
    const processing = store.update(order.id, { status: 'processing' });
    expect(await webhook('order.updated', processing)).toMatch(/^(applied|already)$/);
    const completed = store.update(order.id, { status: 'completed' }, Date.now() + 1000);
    expect(await webhook('order.updated', completed)).toMatch(/^(applied|already)$/);
    // Out of order: processing's webhook again, after completed.
    expect(await webhook('order.updated', processing)).toBe('stale');
    expect(await webhook('order.updated', completed)).toBe('already');

    const expected = ['status-delivered', 'status-placed', 'thank-you'];
    await eventually(async () => expect(await keysFor(order)).toEqual(expected));
    await settle();
    expect(await keysFor(order)).toEqual(expected);
    const journey = await h.aftercare.orders.get(`wc-${order.id}`);
    expect(journey.events.flatMap((e) => (e.type === 'stage' ? [e.stage] : []))).toEqual([
      'placed',
      'confirmed',
      'delivered',
    ]);
  });

  it('cancel an order once, and record each refund once', async () => {
    const toCancel = store.addOrder({ status: 'pending' });
    expect(await webhook('order.created', toCancel)).toMatch(/^(applied|already)$/);
    await eventually(async () => expect(await keysFor(toCancel)).toEqual(['status-placed']));
    const cancelled = store.update(toCancel.id, { status: 'cancelled' });
    expect(await webhook('order.updated', cancelled)).toMatch(/^(applied|already)$/);
    // Again: the same version is the same update (Temporal answers with the first one's result), or the journey ended.
    expect(await webhook('order.updated', cancelled)).toMatch(/^(applied|already)$/);
    const result = (await h.client.workflow.getHandle(orderJourneyId(`wc-${toCancel.id}`)).result()) as {
      status: string;
      cancellation?: { source: string };
    };
    expect(result).toMatchObject({ status: 'cancelled', cancellation: { source: 'woocommerce' } });

    const toRefund = store.addOrder({ status: 'processing' });
    expect(await webhook('order.created', toRefund)).toMatch(/^(applied|already)$/);
    const partly = store.refund(toRefund.id, '5.00', 'One mug chipped');
    expect(await webhook('order.updated', partly)).toMatch(/^(applied|already)$/);
    expect(await webhook('order.updated', partly)).toMatch(/^(applied|already)$/);
    const fully = store.refund(toRefund.id, '20.00', 'Sent back', Date.now() + 1000);
    expect(fully.status).toBe('refunded');
    expect(await webhook('order.updated', fully)).toMatch(/^(applied|already)$/);

    await eventually(async () => {
      expect(await keysFor(toCancel)).toEqual(['cancelled', 'status-placed']);
      expect(await keysFor(toRefund)).toEqual(['refund-1', 'refund-2', 'status-placed']);
    });
    await settle();
    expect(await keysFor(toCancel)).toEqual(['cancelled', 'status-placed']);
    expect(await keysFor(toRefund)).toEqual(['refund-1', 'refund-2', 'status-placed']);
    const journey = await h.aftercare.orders.get(`wc-${toRefund.id}`);
    expect(journey.refunds?.map((r) => [r.amountMinor, r.source])).toEqual([
      [500, 'woocommerce'],
      [2000, 'woocommerce'],
    ]);
  });

  it('messages an order whose webhook was missed within one reconciliation interval', async () => {
    const placedAt = Date.now();
    // In the store only: its webhook never came (WooCommerce had disabled it, or Aftercare was down).
    const missed = store.addOrder({ status: 'processing', first_name: 'Bo', email: 'bo@example.com' });
    const sent = await eventually(
      async () => {
        const [message] = await sentFor(missed);
        expect(message?.messageKey).toBe('status-placed');
        return message!;
      },
      { timeoutMs: EVERY + 5_000, intervalMs: 100 },
    );
    const latencyMs = Date.parse(sent.createdAt) - placedAt;
    console.info(`missed webhook: messaged ${latencyMs} ms after the order (interval ${EVERY} ms)`);
    // Within the interval, and the run's own work (read, start, send) on a busy 2-core machine.
    expect(latencyMs).toBeLessThan(EVERY + 1_500);
    expect((await h.aftercare.orders.get(`wc-${missed.id}`)).stage).toBe('confirmed');

    // Later runs go on from the last one's result: the orders they read again inside the overlap are not fed again.
    const runs = await recentResults(2);
    expect(runs.at(-1)!.read).toBeGreaterThan(0);
    expect(runs.at(-1)!.fed).toBe(0);
    await settle();
    expect(await keysFor(missed)).toEqual(['status-placed']);
  });
});

describe('the reconciliation schedule', () => {
  it('is made at the worker start, follows the interval, and goes when the store has no REST access', async () => {
    const schedule = h.client.schedule.getHandle(wooCommerceReconcileScheduleId(h.taskQueue, 'default'));
    const described = await schedule.describe();
    expect(described.spec.intervals).toEqual([{ every: EVERY }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    const ensure = (tenants: string[], every: number) =>
      ensureWooCommerceSchedules(h.client, { taskQueue: h.taskQueue, tenants, every, overlapMs: 20_000 });
    // Another worker starting with the same settings changes nothing; a new interval updates it.
    expect(await ensure(['default'], EVERY)).toEqual({ default: 'unchanged' });
    expect(await ensure(['default'], 60_000)).toEqual({ default: 'updated' });
    expect((await schedule.describe()).spec.intervals).toEqual([{ every: 60_000 }]);
    await eventually(async () => expect(await ensure([], EVERY)).toEqual({ default: 'removed' }));
    await expect(schedule.describe()).rejects.toThrow(/not found/i);
  });
});

/** The results of the schedule's last `n` completed runs, oldest first (waiting for that many after now). */
async function recentResults(n: number): Promise<ReconcileResult[]> {
  const schedule = h.client.schedule.getHandle(wooCommerceReconcileScheduleId(h.taskQueue, 'default'));
  const since = Date.now();
  return eventually(
    async () => {
      const actions = (await schedule.describe()).info.recentActions.filter((a) => a.takenAt.getTime() > since);
      expect(actions.length).toBeGreaterThanOrEqual(n);
      return Promise.all(
        actions
          .slice(-n)
          .map((a) =>
            h.client.workflow.getHandle<() => Promise<ReconcileResult>>(a.action.workflow.workflowId).result(),
          ),
      );
    },
    { timeoutMs: (n + 2) * EVERY + 5_000, intervalMs: 500 },
  );
}
