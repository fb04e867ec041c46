import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { CUSTOMER_SA } from '../../src/workflows/customer/contract';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId, type OrderJourneyState } from '../../src/workflows/order/contract';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { addMonths } from '../../src/rules/calendar';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  type Harness,
} from '../support/harness';

const KEY = 'follow-ups-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
let h: Harness;
let app: FastifyInstance;

// The first warranty check-in falls due a few seconds after completion: lead time = 1 month - 4 s.
const leadSeconds = Math.round((addMonths(Date.now(), 1) - Date.now()) / 1000) - 4;

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['email', 'sms'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 20, per: '1 day' },
    operator: { email: 'owner@test.example' },
    loyalty: {
      tiers: [
        { id: 'regular', label: { en: 'Regular', bn: 'নিয়মিত' }, minOrders: 2, discountPercent: 5 },
        { id: 'vip', label: 'VIP', minSpendMinor: 1_000_000, discountPercent: 20 },
      ],
      cashbackPercent: 5,
    },
    followUps: {
      survey: { after: '1s', reminderAfter: '2s', window: '4s', changeWindow: '2s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop', referralAfter: '1s', referralRewardPercent: 10 },
      offer: { after: '1s', discountPercent: 10, services: [{ name: 'Gift wrapping' }] },
      warranty: { leadTime: `${leadSeconds}s`, inspectionOffer: 'A free inspection visit' },
    },
    winback: { after: '4s', secondAfter: '2s', discountPercent: 15, validFor: '30 days', attributionWindow: '1 hour' },
  });
  h = await startHarness({ playbook });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: KEY,
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: { sink: h.aftercare, keys: TEST_KEYS, publicUrl: 'http://aftercare.test', brandName: 'Test Shop' },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const msg = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
const outboxFor = async (orderId: string) =>
  (await h.outbox.list(500)).filter((m) => m.workflowId === orderJourneyId(orderId)).reverse();
const waitFor = (orderId: string, key: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const s = await journey(orderId);
      const m = msg(s, key);
      expect(m && ['sent', 'failed', 'skipped'].includes(m.status)).toBe(true);
      return { state: s, message: m! };
    },
    { timeoutMs },
  );
const linkIn = (text: string, path: string) => {
  const match = new RegExp(`http://aftercare\\.test/${path}/[A-Za-z0-9._-]+`).exec(text);
  expect(match).not.toBeNull();
  return match![0].replace('http://aftercare.test', '');
};

describe('after an order completes', () => {
  it('asks a happy customer for a review (counted click) and a referral, offers more, and checks in before the warranty ends', async () => {
    const order = sampleOrder({
      items: [
        { sku: 'SOFA', name: 'Sofa', quantity: 1, unitPrice: 400, warrantyMonths: 1 },
        { sku: 'LAMP', name: 'Lamp', quantity: 1, unitPrice: 40, warrantyMonths: 24 },
        { sku: 'RUG', name: 'Rug', quantity: 1, unitPrice: 60, warrantyMonths: 24 },
      ],
      total: 500,
    });
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });

    const { message: survey } = await waitFor(order.orderId, 'survey');
    expect(survey.status).toBe('sent');
    const surveyMail = (await outboxFor(order.orderId)).find((m) => m.messageKey === 'survey')!;
    const page = linkIn(surveyMail.text, 'survey');
    expect((await app.inject({ method: 'GET', url: page })).statusCode).toBe(200);
    // First answer 3, changed to 5 within the change window: the second replaces the first.
    const first = await app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=3',
    });
    expect(first.statusCode).toBe(200);
    const second = await app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=5&comment=Lovely+sofa',
    });
    expect(second.statusCode).toBe(200);

    const { state, message: reviewAsk } = await waitFor(order.orderId, 'review');
    expect(reviewAsk.status).toBe('sent');
    expect(state.feedback).toMatchObject({ rating: 5, comment: 'Lovely sofa', source: 'survey-page' });
    expect(msg(state, 'care')).toBeUndefined();
    expect(msg(state, 'survey-reminder')).toBeUndefined();
    // The journey moved on: the survey is closed now.
    const late = await app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=1',
    });
    expect(late.statusCode).toBe(409);

    const reviewMail = (await outboxFor(order.orderId)).find((m) => m.messageKey === 'review')!;
    const click = await app.inject({ method: 'GET', url: linkIn(reviewMail.text, 'r') });
    expect(click.statusCode).toBe(302);
    expect(click.headers.location).toBe('https://reviews.example/test-shop');

    const offered = await waitFor(order.orderId, 'offer');
    expect(offered.message.status).toBe('sent');
    expect((await waitFor(order.orderId, 'referral')).message.status).toBe('sent');

    // Warranty: the sofa (1 month) soon; lamp and rug (24 months, same day) share one later check-in.
    const warranty = await waitFor(order.orderId, 'warranty-1', 30_000);
    expect(warranty.message.status).toBe('sent');
    const checkin = (await outboxFor(order.orderId)).find((m) => m.messageKey === 'warranty-1')!;
    expect(checkin.text).toContain('Sofa');
    expect(checkin.text).not.toContain('Lamp');
    const s = warranty.state;
    const later = s.followUps.find((f) => f.key === 'warranty-2')!;
    expect(later).toMatchObject({ what: 'warranty check-in: Lamp, Rug', status: 'scheduled' });
    const completedAt = Date.parse(s.completedAt!);
    expect(Date.parse(later.at)).toBe(addMonths(completedAt, 24) - leadSeconds * 1000);
    await eventually(async () => {
      const st = await journey(order.orderId);
      expect(st.next?.what).toContain('warranty check-in for Lamp, Rug');
    });
    // Sleeping for two years costs one timer and no growing history.
    const history = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
    expect(timers.length).toBeLessThan(12);
    expect(state.followUps.find((f) => f.key === 'survey')?.status).toBe('answered');

    // Measure each measure.
    const stats = await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/stats', headers: auth });
      const body = res.json();
      expect(body.totals.survey.answered).toBeGreaterThanOrEqual(1);
      expect(body.totals.review_request.converted).toBeGreaterThanOrEqual(1);
      return body;
    });
    expect(stats.totals.offer.sent).toBeGreaterThanOrEqual(1);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/aftercare_followups_total\{kind="review_request",event="converted"\} [1-9]/);
  }, 60_000);

  it('cares for an unhappy customer and alerts the operator with the comment and a link to the journey', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    // Before completion the survey cannot be answered; the business records the answer through the API after.
    await waitFor(order.orderId, 'survey');
    const res = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.orderId}/feedback`,
      headers: auth,
      payload: { rating: 2, comment: 'Arrived <b>scratched</b>', source: 'phone' },
    });
    expect(res.statusCode).toBe(200);
    const { state, message: care } = await waitFor(order.orderId, 'care');
    expect(care.status).toBe('sent');
    expect(msg(state, 'review')).toBeUndefined();
    await eventually(async () =>
      expect((await journey(order.orderId)).operatorAlerts).toEqual([
        expect.objectContaining({ channel: 'email', outcome: 'sent' }),
      ]),
    );
    const alert = (await outboxFor(order.orderId)).find((m) => m.messageKey === 'operator-alert')!;
    expect(alert.to).toBe('owner@test.example');
    expect(alert.text).toContain('Arrived <b>scratched</b>');
    expect(alert.text).toContain(
      `http://temporal-ui.test/namespaces/default/workflows/${orderJourneyId(order.orderId)}`,
    );
    expect(alert.html).not.toContain('<b>scratched</b>');
    const bad = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.orderId}/feedback`,
      headers: auth,
      payload: { rating: 9 },
    });
    expect(bad.statusCode).toBe(422);
  }, 40_000);

  it('sends one reminder when nobody answers, then moves on', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    await waitFor(order.orderId, 'survey-reminder');
    const { state } = await waitFor(order.orderId, 'offer');
    expect(state.followUps.find((f) => f.key === 'survey')?.status).toBe('no-answer');
    expect(msg(state, 'review')).toBeUndefined();
    expect(msg(state, 'care')).toBeUndefined();
    expect(state.messages.filter((m) => m.kind === 'survey_reminder')).toHaveLength(1);
  }, 40_000);
});

describe('across orders', () => {
  it('accrues cashback in minor units, raises the tier with a recognition message, and attributes an offer code', async () => {
    const customer = { id: `loyal-${Date.now()}`, email: 'loyal@example.com' };
    const first = sampleOrder(
      { total: 19.99, items: [{ sku: 'A', name: 'Mug', quantity: 1, unitPrice: 19.99 }] },
      customer,
    );
    await h.aftercare.startOrderJourney(first);
    await h.aftercare.advanceStage(first.orderId, { stage: 'delivered' });
    const offer = await waitFor(first.orderId, 'offer', 30_000);
    const code = offer.state.offer!.code;

    const second = sampleOrder(
      { total: 25.01, items: [{ sku: 'B', name: 'Plate', quantity: 1, unitPrice: 25.01 }], promoCode: code },
      customer,
    );
    await h.aftercare.startOrderJourney(second);
    await h.aftercare.advanceStage(second.orderId, { stage: 'delivered' });
    const thanks = await waitFor(second.orderId, 'thank-you');
    expect(thanks.message.status).toBe('sent');

    const c = await eventually(async () => {
      const x = await h.aftercare.getCustomer(customer.id);
      expect(x.loyalty?.completedOrders).toBe(2);
      expect(x.messages?.find((m) => m.kind === 'tier_upgrade')?.status).toBe('sent');
      return x;
    });
    // 5% of 1999 = 99.95 → 99; 5% of 2501 = 125.05 → 125: integer minor units, no float drift.
    expect(c.loyalty).toMatchObject({ spendMinor: 4500, cashbackBalanceMinor: 224, currency: 'EUR', tier: 'regular' });
    expect(c.offersIssued?.find((o) => o.code === code)?.usedByOrderId).toBe(second.orderId);
    const thanksMail = (await h.outbox.list(500)).find(
      (m) => m.workflowId === orderJourneyId(second.orderId) && m.messageKey === 'thank-you',
    )!;
    expect(thanksMail.text).toContain('€2.24');
    expect(c.value).toMatchObject({ frequency: 2, recency: 5 });
    await eventually(async () => {
      const found: string[] = [];
      for await (const wf of h.client.workflow.list({
        query: `AftercareTier = "regular" AND AftercareCustomerId = "${customer.id}"`,
      }))
        found.push(wf.workflowId);
      expect(found).toEqual([customerLifecycleId(customer.id)]);
    });
    const d = await h.client.workflow.getHandle(customerLifecycleId(customer.id)).describe();
    expect(d.typedSearchAttributes.get(CUSTOMER_SA.lifetimeValue)).toBe(4500);
    expect(d.typedSearchAttributes.get(CUSTOMER_SA.segment)).toBeTruthy();
    expect(c.feedback ?? []).toEqual([]);
    const stats = await h.aftercare.getStats();
    expect(stats.totals.offer?.converted).toBeGreaterThanOrEqual(1);

    const patched = await app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: auth,
      payload: { notes: 'Prefers mornings', preferredChannels: ['sms'] },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ notes: 'Prefers mornings', profile: { preferredChannels: ['sms'] } });
    const empty = await app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: auth,
      payload: {},
    });
    expect(empty.statusCode).toBe(422);
  }, 60_000);

  it('wins back a quiet customer twice once their order and its follow-ups are done, and stops the moment they order', async () => {
    const customer = { id: `quiet-${Date.now()}`, email: 'quiet@example.com' };
    const first = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(first);
    // While the order is open, no "we miss you", however long past the win-back's 4 s.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await h.aftercare.getCustomer(customer.id)).winback?.attempts ?? []).toEqual([]);
    await h.aftercare.advanceStage(first.orderId, { stage: 'delivered' });
    const withWinbacks = await eventually(
      async () => {
        const c = await h.aftercare.getCustomer(customer.id);
        expect(c.winback?.attempts.filter((a) => a.status === 'sent')).toHaveLength(2);
        return c;
      },
      { timeoutMs: 45_000 },
    );
    const [one, two] = withWinbacks.winback!.attempts;
    // The clock ran from the end of the order's follow-ups (survey unanswered, offer sent), not from its placing.
    const done = withWinbacks.orders[0]!.followUpsDoneAt!;
    expect(one!.forLastOrderAt).toBe(done);
    expect(Date.parse(one!.at) - Date.parse(done)).toBeGreaterThanOrEqual(3_500);
    const journey = await h.aftercare.getOrderJourney(first.orderId);
    expect(journey.followUps.filter((f) => f.status === 'scheduled')).toEqual([]);
    expect(Date.parse(two!.at) - Date.parse(one!.at)).toBeGreaterThanOrEqual(1_500);

    // An order within the attribution window counts as won back; the clock restarts from it.
    const back = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(back);
    const after = await eventually(async () => {
      const c = await h.aftercare.getCustomer(customer.id);
      expect(c.winback?.converted.map((x) => x.orderId)).toEqual([back.orderId]);
      return c;
    });
    expect(after.winback!.attempts.filter((a) => a.forLastOrderAt === after.lastOrderAt)).toHaveLength(0);
  }, 90_000);

  it('never sends a win-back to a customer who ordered before it fell due, even racing the timer', async () => {
    const customer = { id: `busy-${Date.now()}`, email: 'busy@example.com' };
    await h.aftercare.startOrderJourney(sampleOrder({}, customer));
    // Orders keep arriving well inside each 4 s gap, the last two back to back.
    for (const wait of [2_000, 1_500, 1_000, 0]) {
      await new Promise((r) => setTimeout(r, wait));
      await h.aftercare.startOrderJourney(sampleOrder({}, customer));
    }
    const c = await h.aftercare.getCustomer(customer.id);
    const sentAfterAnOrder = (c.winback?.attempts ?? []).filter(
      (a) => a.status === 'sent' && c.orders.some((o) => o.placedAt > a.forLastOrderAt && o.placedAt <= a.at),
    );
    expect(sentAfterAnOrder).toEqual([]);
    expect((c.winback?.attempts ?? []).filter((a) => a.status === 'sent')).toEqual([]);
  }, 30_000);
});
