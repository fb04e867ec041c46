/** The reconciliation's read against a fake WooCommerce store over HTTP, feeding journeys kept in memory. */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wooCommerceActivities } from '../../src/activities/woocommerce';
import { guestKeyWith } from '../../src/shops/woocommerce/mapping';
import { reconcileOrders } from '../../src/shops/woocommerce/reconcile';
import { WooCommerceRestClient, WooCommerceRestError } from '../../src/shops/woocommerce/rest';
import { startFakeWooCommerce, type FakeWooCommerce } from '../fakes/woocommerce';
import { RecordingShop } from '../support/recording-shop';

const MINUTE = 60_000;
const OVERLAP = 2 * MINUTE;
let store: FakeWooCommerce;
let shop: RecordingShop;
let rest: WooCommerceRestClient;

beforeAll(async () => {
  store = await startFakeWooCommerce();
  rest = new WooCommerceRestClient({
    storeUrl: store.url,
    consumerKey: store.consumerKey,
    consumerSecret: store.consumerSecret,
  });
});
afterAll(async () => store?.close());
beforeEach(() => {
  store.orders.clear();
  store.requests.length = 0;
  shop = new RecordingShop();
});

const deps = () => ({
  orders: shop.orders,
  journeys: shop.journeys,
  playbook: shop.playbook,
  guestKey: guestKeyWith('contacts-subkey-for-tests'),
});
const at = (ms: number) => new Date(ms).toISOString();

describe('reconciling a WooCommerce store', () => {
  it('reads every page of orders modified since the watermark, oldest first, and feeds each once', async () => {
    const now = Date.now();
    const watermark = now - 30 * MINUTE;
    // Before the window (less the overlap): already reconciled by an earlier run.
    store.addOrder({ status: 'processing', createdAt: watermark - OVERLAP - 5 * MINUTE });
    const orders = Array.from({ length: 230 }, (_, i) =>
      store.addOrder({ status: 'processing', createdAt: watermark + i * 1000 }),
    );
    const result = await reconcileOrders(rest, deps(), {
      tenant: 'default',
      watermark: at(watermark),
      seen: [],
      overlapMs: OVERLAP,
    });

    expect(result).toMatchObject({ read: 230, fed: 230, pages: 3, complete: true, outcomes: { applied: 230 } });
    expect(shop.started.map((o) => o.orderId)).toEqual(orders.map((o) => `wc-${o.id}`));
    expect(shop.updates.every((u) => u.update.stage === 'confirmed')).toBe(true);
    // The newest modification read, on the store's clock.
    expect(result.watermark).toBe(`${orders.at(-1)!.date_modified_gmt}.000Z`);
    // Only the versions inside the next run's overlap are kept.
    expect(result.seen).toHaveLength(OVERLAP / 1000);

    expect(store.requests.map((r) => [r.path, r.query.page])).toEqual([
      ['/wp-json/wc/v3/orders', '1'],
      ['/wp-json/wc/v3/orders', '2'],
      ['/wp-json/wc/v3/orders', '3'],
    ]);
    for (const { query } of store.requests) {
      expect(query).toMatchObject({
        // GMT, without an offset, as WooCommerce reads it with dates_are_gmt.
        modified_after: at(watermark - OVERLAP).slice(0, 19),
        dates_are_gmt: 'true',
        orderby: 'modified',
        order: 'asc',
        per_page: '100',
      });
    }
    expect(store.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(`${store.consumerKey}:${store.consumerSecret}`).toString('base64')}`,
    );
  });

  it('goes on from its own result: nothing fed twice, a missed change fed in the next run', async () => {
    const now = Date.now();
    const first = store.addOrder({ status: 'pending', createdAt: now - 10 * MINUTE });
    const run1 = await reconcileOrders(rest, deps(), {
      tenant: 'default',
      watermark: at(now - 20 * MINUTE),
      seen: [],
      overlapMs: OVERLAP,
    });
    expect(run1).toMatchObject({ fed: 1, outcomes: { applied: 1 } });
    const run2 = await reconcileOrders(rest, deps(), { tenant: 'default', ...run1, overlapMs: OVERLAP });
    // Read again inside the overlap, and skipped: not even described.
    expect(run2).toMatchObject({ read: 1, fed: 0, watermark: run1.watermark });

    store.update(first.id, { status: 'completed' }, now - 5 * MINUTE);
    const run3 = await reconcileOrders(rest, deps(), { tenant: 'default', ...run2, overlapMs: OVERLAP });
    expect(run3).toMatchObject({ read: 1, fed: 1, outcomes: { applied: 1 } });
    expect(shop.updates.map((u) => u.update.stage)).toEqual(['delivered']);
    expect(shop.started).toHaveLength(1);
  });

  it('reads again past page 1 when an order changed while several pages were read (a page may have shifted)', async () => {
    const now = Date.now();
    const orders = Array.from({ length: 150 }, (_, i) =>
      store.addOrder({ status: 'processing', createdAt: now - 20 * MINUTE + i * 1000 }),
    );
    const shifting = {
      ordersModifiedAfter: async (after: Date, page: number) => {
        const answer = await rest.ordersModifiedAfter(after, page);
        // The shop edits an order of page 1 right after it was read: it moves to the end, the rest one place up.
        if (page === 1) store.update(orders[0]!.id, { customer_note: 'ring twice' });
        return answer;
      },
    };
    const req = { tenant: 'default', watermark: at(now - 30 * MINUTE), seen: [], overlapMs: OVERLAP };
    const result = await reconcileOrders(shifting, deps(), req);
    // The 101st order slipped onto page 1 after it was read: not fed, and the watermark waits for it.
    expect(shop.started.map((o) => o.orderId)).not.toContain(`wc-${orders[100]!.id}`);
    expect(result).toMatchObject({ pages: 2, complete: false, watermark: `${orders[99]!.date_modified_gmt}.000Z` });

    await new Promise((r) => setTimeout(r, 1100)); // the edit is no longer in the same second as the next read
    const next = await reconcileOrders(rest, deps(), { ...req, ...result });
    expect(next).toMatchObject({ complete: true, outcomes: { applied: 1 } });
    expect(new Set(shop.started.map((o) => o.orderId)).size).toBe(150);
  });

  it('leaves pages beyond its limit to the next run, which goes on from the last one read', async () => {
    const now = Date.now();
    Array.from({ length: 250 }, (_, i) =>
      store.addOrder({ status: 'pending', createdAt: now - 60 * MINUTE + i * 1000 }),
    );
    const req = { tenant: 'default', watermark: at(now - 90 * MINUTE), seen: [], overlapMs: OVERLAP, maxPages: 2 };
    const first = await reconcileOrders(rest, deps(), req);
    expect(first).toMatchObject({ pages: 2, fed: 200, complete: false });
    const second = await reconcileOrders(rest, deps(), { ...req, ...first });
    expect(second).toMatchObject({ complete: true });
    expect(shop.started).toHaveLength(250);
  });

  it('says whether a failure can pass: a wrong key or URL cannot, an overloaded store can', async () => {
    const wrong = new WooCommerceRestClient({
      storeUrl: store.url,
      consumerKey: store.consumerKey,
      consumerSecret: 'cs_wrong',
    });
    const refused = await wrong.ordersModifiedAfter(new Date(), 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WooCommerceRestError);
    expect(refused).toMatchObject({ retryable: false, status: 401 });
    expect((refused as Error).message).toContain('woocommerce_rest_cannot_view');

    store.failNext(1, { status: 503, body: { code: 'overloaded', message: 'Try later' } });
    const busy = await rest.ordersModifiedAfter(new Date(), 1).catch((e: unknown) => e);
    expect(busy).toMatchObject({ retryable: true, status: 503 });

    const nowhere = new WooCommerceRestClient({
      storeUrl: 'http://127.0.0.1:9',
      consumerKey: 'k',
      consumerSecret: 's',
    });
    expect(await nowhere.ordersModifiedAfter(new Date(), 1).catch((e: unknown) => e)).toMatchObject({
      retryable: true,
    });
  });

  it('fails a run for good when this worker has no access to the store, or the store refuses the key', async () => {
    const req = { tenant: 'default', watermark: at(Date.now()), seen: [], overlapMs: OVERLAP };
    const base = { client: {} as Client, taskQueue: 'tq', keys: { contacts: 'contacts-subkey-for-tests' } };
    const run = (woocommerce?: Parameters<typeof wooCommerceActivities>[0]['woocommerce']) =>
      new MockActivityEnvironment()
        .run(wooCommerceActivities({ ...base, ...(woocommerce ? { woocommerce } : {}) }).reconcileWooCommerce, req)
        .catch((e: unknown) => e);
    const none = await run();
    expect(none).toBeInstanceOf(ApplicationFailure);
    expect(none).toMatchObject({ type: 'NotConfigured', nonRetryable: true });
    const refused = await run({
      tenants: { default: { storeUrl: store.url, consumerKey: store.consumerKey, consumerSecret: 'cs_wrong' } },
      playbook: shop.playbook,
    });
    expect(refused).toMatchObject({ type: 'WooCommerceRestError', nonRetryable: true });
    expect((refused as Error).message).toMatch(/401.*check WOOCOMMERCE_URL and the REST key/);
  });
});
