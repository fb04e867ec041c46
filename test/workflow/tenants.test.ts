/**
 * Two businesses in one deployment: the same order id in each is two journeys, each tenant reads, moves and erases
 * only its own, and each customer hears from the business they bought from (its playbook's brand, its sender).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { TENANT_HEADER } from '../../src/api/tenants';
import { AftercareClient } from '../../src/client';
import { journeyLookup } from '../../src/shops/woocommerce/journeys';
import { startFakeWooCommerce, wooOrder, type FakeWooCommerce } from '../fakes/woocommerce';
import { InboundCustomerSink } from '../../src/gateway/customers';
import { surveyLink, telegramLink, unsubscribeLink } from '../../src/messages/links';
import { twilioSignature } from '../fakes/twilio-server';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { telegramMessage, TELEGRAM_SECRET } from '../support/inbound';
import { CUSTOMER_SA } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { TENANT_SA } from '../../src/workflows/tenant';
import { eventually, sampleOrder, startHarness, TEST_KEYS, testLogger, type Harness } from '../support/harness';

const SHOP_KEY = 'shop-key-0123456789abcdef';
const OUTLET_KEY = 'outlet-key-0123456789abcdef';
const OPERATOR_KEY = 'operator-key-0123456789abcdef';
const OUTLET_FROM = 'Outlet <orders@outlet.example>';
const OUTLET_TWILIO = 'outlet-own-twilio-token';
const as = (key: string) => ({ authorization: `Bearer ${key}` });

let h: Harness;
let outlet: AftercareClient;
/** The default tenant as the server makes it when a tenants file is set: its look-ups keep to its own workflows. */
let shop: AftercareClient;
let app: FastifyInstance;
let woo: FakeWooCommerce;
let telegram: FakeTelegram;

beforeAll(async () => {
  h = await startHarness({ tenants: { outlet: { emailFrom: OUTLET_FROM } } });
  woo = await startFakeWooCommerce({ webhookSecret: 'woo-outlet-secret' });
  telegram = await startFakeTelegram();
  const playbook = { ...h.playbook, brand: { ...h.playbook.brand, name: 'The Outlet', sender: OUTLET_FROM } };
  outlet = new AftercareClient({
    client: h.client,
    playbook,
    taskQueue: h.taskQueue,
    outbox: h.outbox,
    keys: TEST_KEYS,
    tenant: 'outlet',
  });
  shop = new AftercareClient({
    client: h.client,
    playbook: h.playbook,
    taskQueue: h.taskQueue,
    outbox: h.outbox,
    keys: TEST_KEYS,
    otherTenants: true,
  });
  app = await buildApp({
    aftercare: shop,
    apiKey: SHOP_KEY,
    operatorKey: OPERATOR_KEY,
    tenants: [{ client: outlet, apiKey: OUTLET_KEY }],
    inbound: {
      sink: new InboundCustomerSink(h.client),
      customers: shop.customers,
      keys: TEST_KEYS,
      publicUrl: 'http://aftercare.test',
      brandName: 'Test Shop',
      woocommerce: {
        secrets: { outlet: 'woo-outlet-secret' },
        orders: shop.orders,
        journeys: journeyLookup(h.client),
        playbook: h.playbook,
        forTenant: (t) =>
          t === 'outlet' ? { orders: outlet.orders, journeys: journeyLookup(h.client, 'outlet'), playbook } : undefined,
      },
      twilioAuthToken: 'deployment-twilio-token',
      telegram: {
        botToken: telegram.token,
        apiRoot: telegram.apiRoot,
        webhookSecret: TELEGRAM_SECRET,
        botInfo: telegram.botInfo,
      },
      tenantProviders: {
        outlet: { twilioAuthToken: OUTLET_TWILIO, sink: new InboundCustomerSink(h.client, 'outlet') },
      },
      tenantPages: (t) =>
        t === 'outlet' ? { orders: outlet.orders, customers: outlet.customers, brandName: 'The Outlet' } : undefined,
    },
    logger: testLogger,
    temporalHealth: async () => {},
  });
});
afterAll(async () => {
  await woo?.close();
  await telegram?.close();
  await app?.close();
  await h?.stop();
});

const post = (url: string, key: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers: { ...as(key), ...headers } });
const get = (url: string, key: string) => app.inject({ method: 'GET', url, headers: as(key) });

/** The shop's order and the outlet's (one customer id in both tenants), each customer known to its lifecycle. */
async function placeInBoth(order: { customer: { id: string; [field: string]: unknown } }, twin: object) {
  expect((await post('/v1/orders', SHOP_KEY, order)).statusCode).toBe(201);
  expect((await post('/v1/orders', OUTLET_KEY, twin)).statusCode).toBe(201);
  for (const key of [OUTLET_KEY, SHOP_KEY]) {
    await eventually(async () => expect((await get(`/v1/customers/${order.customer.id}`, key)).statusCode).toBe(200));
  }
}

describe('tenants', () => {
  it('gives the same orderId in two tenants two journeys, each read only with its own key', async () => {
    const order = sampleOrder();
    const inOutlet = sampleOrder(
      { orderId: order.orderId, items: [{ sku: 'CUP-9', name: 'Red cup', quantity: 1, unitPrice: 99 }], total: 99 },
      { id: order.customer.id, name: 'Grace Hopper' },
    );
    const shop = await post('/v1/orders', SHOP_KEY, order);
    const theirs = await post('/v1/orders', OUTLET_KEY, inOutlet);
    expect(shop.statusCode).toBe(201);
    expect(theirs.statusCode).toBe(201);
    expect(shop.json().workflowId).toBe(orderJourneyId(order.orderId));
    expect(theirs.json().workflowId).toBe(`t:outlet:order-${order.orderId}`);

    const readShop = await get(`/v1/orders/${order.orderId}`, SHOP_KEY);
    const readOutlet = await get(`/v1/orders/${order.orderId}`, OUTLET_KEY);
    expect(readShop.statusCode).toBe(200);
    expect(readOutlet.statusCode).toBe(200);
    expect(readShop.json().workflowId).toBe(shop.json().workflowId);
    expect(readOutlet.json().workflowId).toBe(theirs.json().workflowId);

    // Each customer hears from the business they bought from.
    const sent = await eventually(async () => {
      const records = (await h.outbox.list(500)).filter((r) => r.kind === 'order_status');
      const mine = records.filter((r) => r.workflowId === orderJourneyId(order.orderId, 'outlet'));
      expect(mine).toHaveLength(1);
      return mine[0]!;
    });
    expect(sent.from).toBe(OUTLET_FROM);
    expect(JSON.stringify(sent)).toContain('The Outlet');

    // Visibility knows the tenant; the default tenant's journey carries none.
    const described = await h.client.workflow.getHandle(theirs.json().workflowId).describe();
    expect(described.typedSearchAttributes.get(TENANT_SA.tenant)).toBe('outlet');
    const own = await h.client.workflow.getHandle(shop.json().workflowId).describe();
    expect(own.typedSearchAttributes.get(TENANT_SA.tenant)).toBeUndefined();
    expect(own.typedSearchAttributes.get(CUSTOMER_SA.customerId)).toBe(order.customer.id);
  });

  it("answers 404 for another tenant's order and customer, and an unknown key 401", async () => {
    const order = sampleOrder();
    expect((await post('/v1/orders', OUTLET_KEY, order)).statusCode).toBe(201);
    await eventually(async () =>
      expect((await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).statusCode).toBe(200),
    );

    expect((await get(`/v1/orders/${order.orderId}`, SHOP_KEY)).statusCode).toBe(404);
    expect((await get(`/v1/customers/${order.customer.id}`, SHOP_KEY)).statusCode).toBe(404);
    const move = await post(`/v1/orders/${order.orderId}/stage`, SHOP_KEY, { stage: 'shipped' });
    expect(move.statusCode).toBe(404);
    const cancel = await post(`/v1/orders/${order.orderId}/cancel`, SHOP_KEY, { reason: 'not yours' });
    expect(cancel.statusCode).toBe(404);
    expect((await get(`/v1/orders/${order.orderId}`, 'not-a-key-0123456789')).statusCode).toBe(401);

    // The operators' key acts on a tenant's journey only where the tenant is named.
    const skip = { reason: 'test', actedBy: 'ops' };
    const unnamed = await post(`/v1/orders/${order.orderId}/actions/cancel`, OPERATOR_KEY, skip);
    expect(unnamed.statusCode).toBe(404);
    const named = await post(`/v1/orders/${order.orderId}/actions/cancel`, OPERATOR_KEY, skip, {
      [TENANT_HEADER]: 'outlet',
    });
    expect(named.statusCode).toBe(200);

    // On a business route the header changes nothing: the key decides.
    const read = await app.inject({
      method: 'GET',
      url: `/v1/orders/${order.orderId}`,
      headers: { ...as(SHOP_KEY), [TENANT_HEADER]: 'outlet' },
    });
    expect(read.statusCode).toBe(404);

    // Still the outlet's.
    expect((await get(`/v1/orders/${order.orderId}`, OUTLET_KEY)).statusCode).toBe(200);
  });

  it("erases only the tenant's own customer", async () => {
    const order = sampleOrder();
    const twin = sampleOrder({}, { id: order.customer.id });
    await placeInBoth(order, twin);

    const erased = await app.inject({
      method: 'DELETE',
      url: `/v1/customers/${order.customer.id}`,
      headers: as(SHOP_KEY),
    });
    expect(erased.statusCode).toBe(200);
    expect(erased.json().orders).toEqual([order.orderId]);
    expect((await get(`/v1/customers/${order.customer.id}`, SHOP_KEY)).statusCode).toBe(404);
    expect((await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).statusCode).toBe(200);
    expect((await get(`/v1/orders/${twin.orderId}`, OUTLET_KEY)).statusCode).toBe(200);
  });

  it('counts each tenant apart', async () => {
    const before = (await get('/v1/stats', OUTLET_KEY)).json();
    const sentBefore = before.totals?.order_status?.sent ?? 0;
    const shopBefore = (await get('/v1/stats', SHOP_KEY)).json().totals?.order_status?.sent ?? 0;
    const order = sampleOrder();
    expect((await post('/v1/orders', OUTLET_KEY, order)).statusCode).toBe(201);
    // Its "Order received" out first: a cancel that arrives before it would leave it unsent (and uncounted).
    await eventually(async () => {
      const journey = (await get(`/v1/orders/${order.orderId}`, OUTLET_KEY)).json();
      expect(journey.messages.find((m: { key: string }) => m.key === 'status-placed')?.status).toBe('sent');
    });
    // A journey sends its counts in batches, at the latest when it ends: cancelling ends it.
    await eventually(async () =>
      expect((await post(`/v1/orders/${order.orderId}/cancel`, OUTLET_KEY, { reason: 'test' })).statusCode).toBe(200),
    );
    await eventually(
      async () => {
        const now = (await get('/v1/stats', OUTLET_KEY)).json();
        expect(now.totals?.order_status?.sent).toBe(sentBefore + 1);
      },
      { timeoutMs: 40_000 },
    );
    const shopAfter = (await get('/v1/stats', SHOP_KEY)).json().totals?.order_status?.sent ?? 0;
    expect(shopAfter).toBe(shopBefore);
  });

  it("takes a customer's answer and unsubscribe on their own tenant's order and customer", async () => {
    const order = sampleOrder();
    const twin = sampleOrder({}, { id: order.customer.id, marketingConsent: true });
    await placeInBoth({ ...order, customer: { ...order.customer, marketingConsent: true } }, twin);
    const expiresAt = Date.now() + 3_600_000;

    // The outlet's order is delivered (a survey takes answers then); the shop has no order with this id.
    expect((await post(`/v1/orders/${twin.orderId}/stage`, OUTLET_KEY, { stage: 'delivered' })).statusCode).toBe(200);
    const survey = surveyLink('http://aftercare.test', TEST_KEYS.links, {
      orderId: twin.orderId,
      locale: 'en',
      expiresAt,
      tenant: 'outlet',
    });
    const page = await app.inject({ method: 'GET', url: new URL(survey).pathname });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The Outlet');
    const answer = await app.inject({
      method: 'POST',
      url: new URL(survey).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=5',
    });
    expect(answer.statusCode).toBe(200);
    await eventually(async () =>
      expect((await get(`/v1/orders/${twin.orderId}`, OUTLET_KEY)).json().feedback?.rating).toBe(5),
    );

    const leave = unsubscribeLink('http://aftercare.test', TEST_KEYS.links, {
      customerId: order.customer.id,
      channel: 'email',
      expiresAt,
      tenant: 'outlet',
    });
    expect((await app.inject({ method: 'POST', url: new URL(leave).pathname })).statusCode).toBe(200);
    await eventually(async () =>
      expect((await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).json().consent.marketing.granted).toBe(
        false,
      ),
    );
    // The shop's customer of the same id is untouched.
    const shopConsent = (await get(`/v1/customers/${order.customer.id}`, SHOP_KEY)).json().consent.marketing;
    expect(shopConsent.granted).not.toBe(false);
    expect(shopConsent.source).not.toBe('email-unsubscribe');

    // A link naming a tenant this deployment does not serve is refused.
    const foreign = unsubscribeLink('http://aftercare.test', TEST_KEYS.links, {
      customerId: order.customer.id,
      channel: 'email',
      expiresAt,
      tenant: 'gone',
    });
    expect((await app.inject({ method: 'POST', url: new URL(foreign).pathname })).statusCode).toBe(400);
  });

  it("starts a tenant's WooCommerce order in that tenant", async () => {
    const order = wooOrder(woo, { status: 'processing' });
    const delivery = woo.delivery('order.created', order);
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/woocommerce/outlet',
      headers: delivery.headers,
      payload: delivery.body,
    });
    expect(res.statusCode).toBe(200);
    const orderId = `wc-outlet-${order.id}`;
    await eventually(async () => expect((await get(`/v1/orders/${orderId}`, OUTLET_KEY)).statusCode).toBe(200));
    expect((await get(`/v1/orders/${orderId}`, OUTLET_KEY)).json().workflowId).toBe(orderJourneyId(orderId, 'outlet'));
    expect((await get(`/v1/orders/${orderId}`, SHOP_KEY)).statusCode).toBe(404);
  });

  it("takes a STOP on a tenant's own Twilio number for its own customers only, checked with that account's token", async () => {
    const order = sampleOrder({}, { phone: '+447700900321', email: undefined, preferredChannels: ['sms'] });
    // The default tenant's customer with the same number: the outlet's number is not theirs to stop.
    const theirs = sampleOrder({}, { phone: '+447700900321', email: undefined, preferredChannels: ['sms'] });
    expect((await post('/v1/orders', OUTLET_KEY, order)).statusCode).toBe(201);
    expect((await post('/v1/orders', SHOP_KEY, theirs)).statusCode).toBe(201);
    await eventually(async () =>
      expect((await get(`/v1/customers/${theirs.customer.id}`, SHOP_KEY)).statusCode).toBe(200),
    );
    await eventually(async () =>
      expect((await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).statusCode).toBe(200),
    );
    const url = '/webhooks/twilio/outlet/inbound';
    const params = { MessageSid: 'SM-outlet-stop-1', From: '+447700900321', To: '+15005550006', Body: 'STOP' };
    const stop = (token: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(token, `http://aftercare.test${url}`, params),
        },
        payload: new URLSearchParams(params).toString(),
      });
    expect((await stop('deployment-twilio-token')).statusCode).toBe(401);
    // A tenant that does not exist answers the same as a bad signature.
    const unknown = await app.inject({
      method: 'POST',
      url: '/webhooks/twilio/nobody/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(params).toString(),
    });
    expect(unknown.statusCode).toBe(401);
    expect((await stop(OUTLET_TWILIO)).statusCode).toBe(200);
    await eventually(async () =>
      expect(
        (await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).json().consent.channels.sms?.blocked,
      ).toBeDefined(),
    );
    const shop = (await get(`/v1/customers/${theirs.customer.id}`, SHOP_KEY)).json();
    expect(shop.consent.channels.sms?.blocked).toBeUndefined();
  });

  it("links a Telegram chat to the tenant's own customer only, not another tenant's of the same id", async () => {
    const order = sampleOrder();
    const twin = sampleOrder({}, { id: order.customer.id });
    await placeInBoth(order, twin);
    // The link the outlet's message carries (as the send activity mints it for the outlet's customer).
    const link = telegramLink(telegram.botInfo.username, TEST_KEYS, {
      customerId: order.customer.id,
      expiresAt: Date.now() + 3_600_000,
      tenant: 'outlet',
    });
    const payload = new URL(link).searchParams.get('start')!;
    const res = await telegramMessage(app, { updateId: 77_001, chat: '900100200', text: `/start ${payload}` });
    expect(res.statusCode).toBe(200);
    await eventually(async () =>
      expect((await get(`/v1/customers/${order.customer.id}`, OUTLET_KEY)).json().profile.telegramChatId).toBe(
        '900100200',
      ),
    );
    expect((await get(`/v1/customers/${order.customer.id}`, SHOP_KEY)).json().profile.telegramChatId).toBeUndefined();
  });

  it('refuses an operator request naming a tenant that does not exist, rather than acting on the default one', async () => {
    const order = sampleOrder();
    expect((await post('/v1/orders', SHOP_KEY, order)).statusCode).toBe(201);
    const typo = await post(
      `/v1/orders/${order.orderId}/actions/cancel`,
      OPERATOR_KEY,
      { reason: 'test', actedBy: 'ops' },
      { [TENANT_HEADER]: 'outelt' },
    );
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error.message).toMatch(/X-Aftercare-Tenant/);
    expect((await get(`/v1/orders/${order.orderId}`, SHOP_KEY)).json().status).not.toBe('cancelled');
    // "default" names the default tenant.
    const named = await app.inject({
      method: 'GET',
      url: '/v1/operations/stuck',
      headers: { ...as(OPERATOR_KEY), [TENANT_HEADER]: 'default' },
    });
    expect(named.statusCode).toBe(200);
  });

  it('never sends a message of a tenant this worker does not know as another business', async () => {
    const gone = new AftercareClient({
      client: h.client,
      playbook: h.playbook,
      taskQueue: h.taskQueue,
      keys: TEST_KEYS,
      tenant: 'gone',
    });
    const order = sampleOrder();
    await gone.startOrderJourney(order);
    const state = await eventually(async () => {
      const journey = await gone.getOrderJourney(order.orderId);
      const placed = journey.messages.find((m) => m.key === 'status-placed');
      expect(placed?.status).toBe('failed');
      return journey;
    });
    expect(JSON.stringify(state.messages)).toMatch(/not configured/);
    const sent = (await h.outbox.list(1000)).filter((r) => r.workflowId === orderJourneyId(order.orderId, 'gone'));
    expect(sent).toHaveLength(0);
  });
});
