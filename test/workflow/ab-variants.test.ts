import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { variantFor } from '../../src/messages/variants';
import { parsePlaybook } from '../../src/playbook/load';
import type { Playbook, PlaybookInput } from '../../src/playbook/schema';
import { orderJourneyId, type OrderJourneyState } from '../../src/workflows/order/contract';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  uniqueId,
  type Harness,
} from '../support/harness';

const KEY = 'ab-variants-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
let h: Harness;
let app: FastifyInstance;
let playbook: Playbook;

const twoTexts = [
  { id: 'a', weight: 50 },
  {
    id: 'short',
    weight: 50,
    subject: { en: 'Quick question, {{name}}', bn: 'ছোট্ট প্রশ্ন, {{name}}' },
    body: 'One click: how was order {{orderId}}?',
    text: '{{brand}}: one click, how was it? {{surveyUrl}}',
  },
];

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  playbook = parsePlaybook({
    ...base,
    channels: ['email'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 20, per: '1 day' },
    messages: {
      survey: { variants: twoTexts },
      review_request: {
        experiment: 'reviews-1',
        variants: [
          { id: 'plain', weight: 1 },
          { id: 'warm', weight: 1, subject: 'You made our day, {{name}}' },
        ],
      },
      offer: {
        variants: [
          { id: 'plain', weight: 1 },
          { id: 'bold', weight: 1, subject: '{{discountPercent}}% off, {{name}}: yours' },
        ],
      },
    },
    followUps: {
      survey: { after: '1s', reminderAfter: '2s', window: '3s', changeWindow: '1s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop' },
      offer: { after: '1s', discountPercent: 10 },
    },
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

/** A fresh customer id that the playbook deals the given survey variant. */
function customerIn(variant: string): string {
  for (;;) {
    const id = uniqueId('cus');
    if (variantFor(playbook, 'survey', id)?.id === variant) return id;
  }
}

const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const msg = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
const mailOf = async (orderId: string, key: string) =>
  (await h.outbox.list(500)).find((m) => m.workflowId === orderJourneyId(orderId) && m.messageKey === key)!;
const waitFor = (orderId: string, key: string, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const s = await journey(orderId);
      const m = msg(s, key);
      expect(m?.status).toBe('sent');
      return { state: s, message: m! };
    },
    { timeoutMs },
  );
const ended = (orderId: string) =>
  eventually(
    async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(orderId)).describe();
      expect(d.status.name).toBe('COMPLETED');
    },
    { timeoutMs: 40_000 },
  );
const linkIn = (text: string, path: string) => {
  const match = new RegExp(`http://aftercare\\.test/${path}/[A-Za-z0-9._-]+`).exec(text);
  expect(match).not.toBeNull();
  return match![0].replace('http://aftercare.test', '');
};

describe('A/B variants of a message', () => {
  it('deals two customers different texts, records each, and counts sent, answered and converted per variant', async () => {
    const first = sampleOrder({}, { id: customerIn('a'), email: 'first@example.com' });
    const second = sampleOrder({}, { id: customerIn('short'), name: 'Bo', email: 'bo@example.com' });
    for (const order of [first, second]) {
      await h.aftercare.startOrderJourney(order);
      await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    }

    // Each survey carries its variant, in the record, the API's view and the outbox, with that variant's text.
    const a = await waitFor(first.orderId, 'survey');
    const b = await waitFor(second.orderId, 'survey');
    expect(a.message.variant).toBe('a');
    expect(b.message.variant).toBe('short');
    const view = await app.inject({ method: 'GET', url: `/v1/orders/${second.orderId}`, headers: auth });
    expect(view.json().messages.find((m: { key: string }) => m.key === 'survey').variant).toBe('short');
    const plainMail = await mailOf(first.orderId, 'survey');
    const shortMail = await mailOf(second.orderId, 'survey');
    expect(plainMail.subject).toBe(`How did we do? Rate your order ${first.orderId}`);
    expect(plainMail.variant).toBe('a');
    expect(shortMail.subject).toBe('Quick question, Bo');
    expect(shortMail.text).toContain(`One click: how was order ${second.orderId}?`);
    expect(shortMail.text).not.toContain('We read every answer');
    expect(shortMail.variant).toBe('short');
    // Messages of kinds without variants carry none.
    expect(msg(b.state, 'thank-you')?.variant).toBeUndefined();

    // The second customer answers (satisfied), gets the review request of their variant and clicks it.
    const page = linkIn(shortMail.text, 'survey');
    const answer = await app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=5',
    });
    expect(answer.statusCode).toBe(200);
    const reviewVariant = variantFor(playbook, 'review_request', second.customer.id)!.id;
    const review = await waitFor(second.orderId, 'review');
    expect(review.message.variant).toBe(reviewVariant);
    const reviewMail = await mailOf(second.orderId, 'review');
    expect(reviewMail.subject).toBe(
      reviewVariant === 'warm' ? 'You made our day, Bo' : 'Thank you for your kind rating, Bo',
    );
    const click = await app.inject({ method: 'GET', url: linkIn(reviewMail.text, 'r') });
    expect(click.statusCode).toBe(302);

    // The first customer never answers. Both get the offer; the second orders again with its code.
    const offer = await waitFor(second.orderId, 'offer');
    const offerVariant = variantFor(playbook, 'offer', second.customer.id)!.id;
    expect(offer.message.variant).toBe(offerVariant);
    await waitFor(first.orderId, 'offer');
    await Promise.all([ended(first.orderId), ended(second.orderId)]);
    const again = sampleOrder({ promoCode: offer.state.offer!.code }, second.customer);
    await h.aftercare.startOrderJourney(again);

    const stats = await eventually(
      async () => {
        const res = await app.inject({ method: 'GET', url: '/v1/stats', headers: auth });
        expect(res.statusCode).toBe(200);
        const body = res.json();
        expect(body.variants.offer?.[offerVariant]?.converted).toBe(1);
        return body;
      },
      { timeoutMs: 20_000 },
    );
    expect(stats.variants.survey).toEqual({
      a: { sent: 1, answered: 0, converted: 0, responseRate: 0 },
      short: { sent: 1, answered: 1, converted: 0, responseRate: 1 },
    });
    expect(stats.variants.review_request).toEqual({
      [reviewVariant]: { sent: 1, answered: 0, converted: 1, responseRate: 1 },
    });
    const offerVariantOfFirst = variantFor(playbook, 'offer', first.customer.id)!.id;
    const offersSent = offerVariantOfFirst === offerVariant ? 2 : 1;
    expect(stats.variants.offer[offerVariant]).toMatchObject({ sent: offersSent, converted: 1 });
    // Kinds without variants count as they always did, and appear under no variant.
    expect(stats.totals.survey).toMatchObject({ sent: 2, answered: 1 });
    expect(stats.variants.thank_you).toBeUndefined();
  }, 90_000);
});
