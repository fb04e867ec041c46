import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NOTICES_PER_ORDER } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, type Harness } from '../support/harness';
import { api, startInbound, type Inbound } from '../support/inbound';

/** A client retry is not a second request, and an order's customer hears a bounded number of notices. */
let h: Harness;
let inbound: Inbound;

beforeAll(async () => {
  h = await startHarness();
  inbound = await startInbound(h);
});
afterAll(async () => {
  await inbound?.close();
  await h?.stop();
});

const stage = (orderId: string, body: object, key?: string) =>
  api(inbound.app, 'POST', `/v1/orders/${orderId}/stage`, body, key ? { 'idempotency-key': key } : {});

async function placed() {
  const order = sampleOrder();
  expect(
    (await api(inbound.app, 'POST', '/v1/orders', order, { 'idempotency-key': `start-${order.orderId}` })).statusCode,
  ).toBe(201);
  return order.orderId;
}

const noticesSent = async (orderId: string) =>
  (await h.aftercare.getOrderJourney(orderId)).messages.filter(
    (m) => m.kind === 'order_delayed' || m.kind === 'order_problem',
  );

describe('Idempotency-Key on mutating /v1 routes', () => {
  it('answers a retried stage update with the first result, and applies it once', async () => {
    const orderId = await placed();
    const first = await stage(orderId, { stage: 'shipped' }, 'req-ship-1');
    expect(first.statusCode).toBe(200);
    // The retry after a lost response: the same answer, not "already at stage shipped".
    const retry = await stage(orderId, { stage: 'shipped' }, 'req-ship-1');
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
    // Without the key, the same request is a new one, and out of order.
    expect((await stage(orderId, { stage: 'shipped' })).statusCode).toBe(409);

    const delayed = { stage: 'delayed', reason: 'The courier missed the pickup.' };
    const notice = await stage(orderId, delayed, 'req-delay-1');
    const again = await stage(orderId, delayed, 'req-delay-1');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(notice.json());
    await eventually(async () => expect((await noticesSent(orderId)).map((m) => m.status)).toEqual(['sent']));
    const events = (await h.aftercare.getOrderJourney(orderId)).events.filter((e) => e.type === 'delayed');
    expect(events).toHaveLength(1);
  });

  it('refuses a malformed key with 422 naming the header, and changes nothing', async () => {
    const orderId = await placed();
    const res = await stage(orderId, { stage: 'shipped' }, 'has spaces in it');
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0].path).toBe('idempotency-key');
    expect((await h.aftercare.getOrderJourney(orderId)).stage).toBe('placed');
  });
});

describe('delay and problem notices', () => {
  it('never repeat an identical reason: a retry without a key is a 409 and sends nothing', async () => {
    const orderId = await placed();
    expect((await stage(orderId, { stage: 'problem', reason: 'Item damaged in the warehouse' })).statusCode).toBe(200);
    const repeat = await stage(orderId, { stage: 'problem', reason: '  item damaged   in the warehouse ' });
    expect(repeat.statusCode).toBe(409);
    expect(repeat.json().error.code).toBe('notice_repeated');
    // The same words as a delay (another kind of notice) are news.
    expect((await stage(orderId, { stage: 'delayed', reason: 'Item damaged in the warehouse' })).statusCode).toBe(200);
    await eventually(async () => expect(await noticesSent(orderId)).toHaveLength(2));
  });

  it(`are capped at ${MAX_NOTICES_PER_ORDER} per order`, async () => {
    const orderId = await placed();
    for (let i = 1; i <= MAX_NOTICES_PER_ORDER; i++) {
      expect((await stage(orderId, { stage: 'delayed', reason: `Delay number ${i}` })).statusCode).toBe(200);
    }
    const over = await stage(orderId, { stage: 'delayed', reason: 'One more delay' });
    expect(over.statusCode).toBe(409);
    expect(over.json().error.code).toBe('notice_limit');
    await eventually(async () => {
      const sent = await noticesSent(orderId);
      expect(sent).toHaveLength(MAX_NOTICES_PER_ORDER);
      expect(sent.every((m) => m.status === 'sent')).toBe(true);
    });
    // Stages still move.
    expect((await stage(orderId, { stage: 'shipped' })).statusCode).toBe(200);
  });
});
