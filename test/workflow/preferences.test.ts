import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { preferencesLink, unsubscribeLink } from '../../src/messages/links';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
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

/**
 * The customer's preferences page against real journeys: a change reaches every running journey within a second,
 * and what was switched off is not sent.
 */
const PUBLIC_URL = 'http://aftercare.test';
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['email', 'sms'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 50, per: '1 day' },
    followUps: {
      // Long enough for the page to be saved while every journey waits for its survey.
      survey: { after: '12s', reminderAfter: '2s', window: '4s', changeWindow: '1s', satisfiedAt: 4 },
      offer: { after: '4s', discountPercent: 10, services: [{ name: 'Gift wrapping' }] },
    },
  });
  h = await startHarness({ playbook });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: 'preferences-key-0123456789',
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: { sink: h.aftercare, keys: TEST_KEYS, publicUrl: PUBLIC_URL, brandName: 'Test Shop' },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const nowIso = () => new Date().toISOString();
const msg = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
/** Waits until the message has an outcome (sent, skipped or failed). */
const outcome = (orderId: string, key: string, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const m = msg(await journey(orderId), key);
      expect(m && ['sent', 'failed', 'skipped'].includes(m.status)).toBe(true);
      return m!;
    },
    { timeoutMs },
  );

/** The preferences link in the newest message the outbox holds for this order (a real link, as sent). */
async function linkFromMessage(orderId: string): Promise<string> {
  return eventually(async () => {
    const sent = (await h.outbox.list(500)).filter((m) => m.workflowId === orderJourneyId(orderId));
    const text = sent.map((m) => m.text).join('\n');
    const url = /(?:Manage your messages|বার্তা পাওয়ার পছন্দ বদলান): (\S+)/.exec(text)?.[1];
    expect(url).toBeDefined();
    return url!.slice(PUBLIC_URL.length);
  });
}

/** Opens the page and posts its form with these fields (the form's own id and language ride along). */
async function save(path: string, fields: Record<string, string | string[]>) {
  const page = await app.inject({ method: 'GET', url: path });
  expect(page.statusCode).toBe(200);
  const formId = /name="formId" value="([^"]+)"/.exec(page.body)![1]!;
  const body = new URLSearchParams({ formId, lang: 'en', action: 'save' });
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

/** Every topic on, email on (the customers below have only an email address unless said otherwise). */
const everything = { on: ['email'], 'pos-email': '1', topic: ['reviews', 'offers', 'winback'] };
const bothChannels = { ...everything, on: ['email', 'sms'], 'pos-sms': '2' };

describe('the preferences page and running journeys', () => {
  it('a topic switched off has reached every open journey when the page answers, and their surveys are not sent', async () => {
    const customer = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com` };
    const orders = [1, 2, 3].map(() => sampleOrder({}, customer));
    for (const o of orders) {
      await h.aftercare.startOrderJourney(o);
      await h.aftercare.advanceStage(o.orderId, { stage: 'delivered' });
    }
    for (const o of orders) await outcome(o.orderId, 'thank-you');
    const path = await linkFromMessage(orders[0]!.orderId);
    const before = (await h.aftercare.getCustomer(customer.id)).snapshotVersion ?? 0;

    const started = performance.now();
    const res = await save(path, { ...everything, topic: ['offers', 'winback'] });
    const answered = performance.now() - started;
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Saved');
    // The page says "Saved" only once every running journey has the change: no waiting here, no timing to flake.
    // (How fast that is under load is the bench's to measure: npm run bench, "preferences".)
    for (const o of orders) expect((await journey(o.orderId)).customer?.version).toBeGreaterThan(before);
    console.log(
      `[preferences] topic off -> page answered, all 3 running journeys had it, in ${answered.toFixed(0)} ms`,
    );

    for (const o of orders) {
      const survey = await outcome(o.orderId, 'survey');
      expect(survey.status).toBe('skipped');
      expect(survey.reason).toBe('the customer switched off reviews and surveys on their preferences page');
    }
    const state = await h.aftercare.getCustomer(customer.id);
    expect(state.consent.preferences?.topicsOff).toEqual(['reviews']);
  }, 60_000);

  it('a channel switched off is left out and the order comes first; a language switch makes the next message Bengali', async () => {
    const customer = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com`, phone: '+447700900555' };
    const order = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(order);
    const path = await linkFromMessage(order.orderId);

    // Email off, SMS only: the shipped update goes by SMS alone.
    const off = await save(path, { ...bothChannels, on: ['sms'], 'pos-email': '2', 'pos-sms': '1' });
    expect(off.statusCode).toBe(200);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    const shipped = await outcome(order.orderId, 'status-shipped');
    expect(shipped).toMatchObject({ status: 'sent', channel: 'sms' });
    expect((await h.aftercare.getCustomer(customer.id)).profile?.preferredChannels).toEqual(['sms']);

    // Nothing on at all: refused with a clear message, nothing changes.
    const none = await save(path, { ...bothChannels, on: [] });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('keep at least one channel on');

    // Both on, email first, in Bengali.
    const bn = await save(path, { ...bothChannels, locale: 'bn' });
    expect(bn.statusCode).toBe(200);
    await h.aftercare.advanceStage(order.orderId, { stage: 'out_for_delivery' });
    const next = await outcome(order.orderId, 'status-out_for_delivery');
    expect(next).toMatchObject({ status: 'sent', channel: 'email' });
    const sent = (await h.outbox.list(500)).find(
      (m) => m.workflowId === orderJourneyId(order.orderId) && m.messageKey === 'status-out_for_delivery',
    );
    expect(sent?.locale).toBe('bn');
    expect(sent?.text).toMatch(/[\u0980-\u09FF]/);
    expect((await h.aftercare.getCustomer(customer.id)).profile?.locale).toBe('bn');
  }, 60_000);

  it('pausing marketing for 30 days skips it with the reason; resuming undoes it', async () => {
    const customer = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com` };
    const first = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(first);
    const path = await linkFromMessage(first.orderId);
    const paused = await save(path, { ...everything, pause: '30' });
    expect(paused.statusCode).toBe(200);
    expect((await h.aftercare.getCustomer(customer.id)).consent.preferences?.pausedUntil).toBeDefined();
    await h.aftercare.advanceStage(first.orderId, { stage: 'delivered' });
    const offer = await outcome(first.orderId, 'offer');
    expect(offer.status).toBe('skipped');
    expect(offer.reason).toMatch(/^the customer paused marketing on their preferences page until \d{4}-/);

    const page = await app.inject({ method: 'GET', url: path });
    expect(page.body).toContain('Offers are paused until');
    const formId = /name="formId" value="([^"]+)"/.exec(page.body)![1]!;
    const resumed = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ formId, lang: 'en', action: 'resume' }).toString(),
    });
    expect(resumed.statusCode).toBe(200);
    expect((await h.aftercare.getCustomer(customer.id)).consent.preferences?.pausedUntil).toBeUndefined();

    const second = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(second);
    await h.aftercare.advanceStage(second.orderId, { stage: 'delivered' });
    expect(await outcome(second.orderId, 'offer')).toMatchObject({ status: 'sent' });
  }, 60_000);

  it("the customer's own pause and resume leave an operator's pause in force", async () => {
    const customer = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com` };
    const order = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(order);
    const path = await linkFromMessage(order.orderId);
    const hold = { type: 'marketing-paused', reason: 'legal hold', source: 'operator' } as const;
    await h.aftercare.recordCustomerEvent(customer.id, { ...hold, eventId: uniqueId('hold'), at: nowIso() });
    await eventually(async () =>
      expect((await h.aftercare.getCustomer(customer.id)).consent.marketingPaused).toBeDefined(),
    );
    expect((await save(path, { ...everything, pause: '30' })).statusCode).toBe(200);
    const page = await app.inject({ method: 'GET', url: path });
    expect(page.body).toContain('Offers are paused by Test Shop.');
    const formId = /name="formId" value="([^"]+)"/.exec(page.body)![1]!;
    const resume = new URLSearchParams({ formId, lang: 'en', action: 'resume' }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await app.inject({ method: 'POST', url: path, headers: form, payload: resume })).statusCode).toBe(200);
    const state = await h.aftercare.getCustomer(customer.id);
    expect(state.consent.marketingPaused).toMatchObject({ reason: 'legal hold', source: 'operator' });
    expect(state.consent.marketingPaused?.until).toBeUndefined();
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    expect(await outcome(order.orderId, 'offer')).toMatchObject({
      status: 'skipped',
      reason: 'marketing paused by an operator (legal hold)',
    });
  }, 60_000);

  it('the one-click unsubscribe still takes one POST, and "Stop all offers" on the page too', async () => {
    const customer = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com` };
    await h.aftercare.startOrderJourney(sampleOrder({}, customer));
    await eventually(async () => expect(await h.aftercare.getCustomer(customer.id)).toBeDefined());
    const token = unsubscribeLink(PUBLIC_URL, TEST_KEYS.links, {
      customerId: customer.id,
      channel: 'email',
      expiresAt: Date.now() + 86_400_000,
    }).slice(PUBLIC_URL.length);
    const res = await app.inject({ method: 'POST', url: token, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(200);
    await eventually(async () =>
      expect((await h.aftercare.getCustomer(customer.id)).consent.marketing.granted).toBe(false),
    );

    const other = { id: uniqueId('cus'), email: `${uniqueId('p')}@example.com` };
    await h.aftercare.startOrderJourney(sampleOrder({}, other));
    const path = preferencesLink(PUBLIC_URL, TEST_KEYS.links, {
      customerId: other.id,
      locale: 'bn',
      expiresAt: Date.now() + 86_400_000,
    }).slice(PUBLIC_URL.length);
    const page = await eventually(async () => {
      const r = await app.inject({ method: 'GET', url: path });
      expect(r.statusCode).toBe(200);
      return r;
    });
    expect(page.body).toContain('lang="bn"');
    const formId = /name="formId" value="([^"]+)"/.exec(page.body)![1]!;
    const stop = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ formId, action: 'stop-offers' }).toString(),
    });
    expect(stop.statusCode).toBe(200);
    expect(stop.body).toContain('আর কোনো অফার নয়');
    await eventually(async () =>
      expect((await h.aftercare.getCustomer(other.id)).consent.marketing).toMatchObject({
        granted: false,
        source: 'preferences-page',
      }),
    );
  }, 60_000);

  it('says why a link does not work: forged 400, expired 410, a customer nobody knows 404', async () => {
    const forged = await app.inject({ method: 'GET', url: '/preferences/not.a-token' });
    expect(forged.statusCode).toBe(400);
    const expired = preferencesLink(PUBLIC_URL, TEST_KEYS.links, {
      customerId: 'c',
      locale: 'bn',
      expiresAt: Date.now() - 1000,
    }).slice(PUBLIC_URL.length);
    const gone = await app.inject({ method: 'GET', url: expired });
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('এই লিংকটির মেয়াদ শেষ হয়ে গেছে');
    expect(gone.headers['cache-control']).toBe('no-store');
    expect(gone.headers['referrer-policy']).toBe('no-referrer');
    const nobody = preferencesLink(PUBLIC_URL, TEST_KEYS.links, {
      customerId: uniqueId('nobody'),
      locale: 'en',
      expiresAt: Date.now() + 86_400_000,
    }).slice(PUBLIC_URL.length);
    expect((await app.inject({ method: 'GET', url: nobody })).statusCode).toBe(404);
  });
});
