import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, testLogger, type Harness } from '../support/harness';

const API_KEY = 'test-key-0123456789abcdef';
const auth = { authorization: `Bearer ${API_KEY}` };
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  h = await startHarness();
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: API_KEY,
    logger: testLogger,
    temporalHealth: async () => {
      await h.client.connection.workflowService.getSystemInfo({});
    },
    outbox: h.outbox,
    temporalUi: { baseUrl: 'http://localhost:8233', namespace: 'default' },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('HTTP API', () => {
  it('keeps /health open and requires the bearer key on /v1', async () => {
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', temporal: 'ok' });
    const noKey = await post('/v1/orders', sampleOrder(), {});
    expect(noKey.statusCode).toBe(401);
    expect(noKey.headers['www-authenticate']).toBe('Bearer');
    const wrongKey = await post('/v1/orders', sampleOrder(), { authorization: 'Bearer nope' });
    expect(wrongKey.statusCode).toBe(401);
  });

  it('creates an order journey (201), returns the same one for a repeat (200), and 409 for different content', async () => {
    const order = sampleOrder();
    const first = await post('/v1/orders', order);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      orderId: order.orderId,
      workflowId: orderJourneyId(order.orderId),
      created: true,
      links: { temporalUi: `http://localhost:8233/namespaces/default/workflows/${orderJourneyId(order.orderId)}` },
    });
    const again = await post('/v1/orders', order);
    expect(again.statusCode).toBe(200);
    expect(again.json().created).toBe(false);
    const different = await post('/v1/orders', { ...order, currency: 'USD' });
    expect(different.statusCode).toBe(409);
    expect(different.json().error.code).toBe('order_exists_with_different_content');
  });

  it('a 409 for an order id taken by another order changes no customer (found by the fuzz drill)', async () => {
    const order = sampleOrder();
    expect((await post('/v1/orders', order)).statusCode).toBe(201);
    // Another customer's order under the same id: a stranger, and a customer who has an order of their own.
    const stranger = sampleOrder({ orderId: order.orderId });
    const known = sampleOrder();
    expect((await post('/v1/orders', known)).statusCode).toBe(201);
    const taken = { ...sampleOrder({ orderId: order.orderId }), customer: known.customer };
    for (const conflicting of [stranger, taken]) {
      const res = await post('/v1/orders', conflicting);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('order_exists_with_different_content');
    }
    // No lifecycle for the stranger; the known customer's history has only their own order.
    await expect(h.aftercare.getCustomer(stranger.customer.id)).rejects.toThrow(/no customer/);
    const history = (await h.aftercare.getCustomer(known.customer.id)).orders.map((o) => o.orderId);
    expect(history).toEqual([known.orderId]);
  });

  it('advances stages and reports the journey', async () => {
    const order = sampleOrder();
    await post('/v1/orders', order);
    const shipped = await post(`/v1/orders/${order.orderId}/stage`, { stage: 'shipped', note: 'Tracking ZX-1' });
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json()).toEqual({ stage: 'shipped', status: 'active', messageKey: 'status-shipped' });
    const delayed = await post(`/v1/orders/${order.orderId}/stage`, {
      stage: 'delayed',
      reason: 'Courier strike',
      eta: '2031-01-02T09:00:00Z',
    });
    expect(delayed.statusCode).toBe(200);
    expect(delayed.json().stage).toBe('shipped');

    const state = await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/orders/${order.orderId}`, headers: auth });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.messages.filter((m: { status: string }) => m.status === 'sent')).toHaveLength(3);
      // The journey counts each message it sent before it waits for the next stage.
      expect(body.next.what).toContain('out_for_delivery');
      return body;
    });
    expect(state).toMatchObject({
      orderId: order.orderId,
      stage: 'shipped',
      status: 'active',
      workflowId: orderJourneyId(order.orderId),
    });
    expect(state.events.map((e: { type: string }) => e.type)).toEqual(['stage', 'stage', 'delayed']);
    expect(state.next.what).toContain('out_for_delivery');
  });

  it('answers bad stage events with 422 / 409 / 404 and a message that says what to fix', async () => {
    const order = sampleOrder();
    await post('/v1/orders', order);
    await post(`/v1/orders/${order.orderId}/stage`, { stage: 'shipped' });

    const unknown = await post(`/v1/orders/${order.orderId}/stage`, { stage: 'beamed' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({
      code: 'unknown_stage',
      message: expect.stringContaining('placed, confirmed, shipped'),
    });

    const backwards = await post(`/v1/orders/${order.orderId}/stage`, { stage: 'placed' });
    expect(backwards.statusCode).toBe(409);
    expect(backwards.json().error.code).toBe('stage_out_of_order');

    const noReason = await post(`/v1/orders/${order.orderId}/stage`, { stage: 'problem' });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json().error.details).toEqual([
      { path: 'reason', message: expect.stringContaining('needs a reason') },
    ]);

    const missing = await post('/v1/orders/ghost-order/stage', { stage: 'shipped' });
    expect(missing.statusCode).toBe(404);
    const missingGet = await app.inject({ method: 'GET', url: '/v1/orders/ghost-order', headers: auth });
    expect(missingGet.statusCode).toBe(404);
  });

  it('rejects invalid bodies with the field path, starts nothing, and never leaks a stack', async () => {
    const order = sampleOrder({ items: [] }, { email: 'nope', phone: '12345' });
    const res = await post('/v1/orders', order);
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'customer.email', message: 'must be a valid email address' },
        { path: 'customer.phone', message: expect.stringContaining('E.164') },
        { path: 'items', message: 'an order needs at least one item' },
      ]),
    );
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    await expect(h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );

    const noContact = await post('/v1/orders', sampleOrder({}, { email: undefined }));
    expect(noContact.statusCode).toBe(422);
    expect(noContact.json().error.details[0].message).toContain('at least one contact');

    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"orderId": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toBeTruthy();
    expect(malformed.body).not.toContain('node_modules');

    const huge = await post('/v1/orders', { ...sampleOrder(), padding: 'x'.repeat(70 * 1024) });
    expect(huge.statusCode).toBe(413);
  });

  it('serves the OpenAPI docs and the dev outbox', async () => {
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(
      expect.arrayContaining(['/v1/orders', '/v1/orders/{orderId}/stage', '/v1/orders/{orderId}']),
    );
    const order = sampleOrder();
    await post('/v1/orders', order);
    const record = await eventually(async () => {
      const r = (await h.outbox.list()).find((m) => m.workflowId === orderJourneyId(order.orderId));
      expect(r).toBeDefined();
      return r!;
    });
    const page = await app.inject({ method: 'GET', url: '/outbox' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain(record.subject!);
    const email = await app.inject({ method: 'GET', url: `/outbox/${record.id}` });
    expect(email.statusCode).toBe(200);
    expect(email.body).toContain('<html');
  });
});
