import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import type { OutboxRecord } from '../../src/channels/outbox';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { addMonths } from '../../src/rules/calendar';
import { zonedParts } from '../../src/rules/quiet-hours';
import type { PreviewResponse } from '../../src/schemas/preview';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, startHarness, testLogger, uniqueId, type Harness } from '../support/harness';

/**
 * The preview agrees with what really happens: the same orders are previewed, then run for real on a playbook
 * with second-long delays, and the messages really sent (the dev outbox) and skipped (the workflows' records) are
 * those the preview listed: kind, channel, order, time (within a tolerance for second-long timers) and subject.
 *
 * Customer A (happy, email) meets quiet hours (the tier news and the review request wait for the window's end),
 * the frequency cap (the offer and both win-backs wait for a slot), a warranty check-in, and a win-back that falls
 * due before the lifecycle hears that the follow-ups are over. Customer B (unhappy, SMS, no marketing) gets a delay
 * notice, care and an operator alert, and every marketing message skipped.
 */
const KEY = 'preview-agreement-key-0123';
const auth = { authorization: `Bearer ${KEY}` };
const ZONE = 'Asia/Kolkata';
/**
 * How far a real send may come after its planned time: each send adds a little (about 0.1 s), and the dev server
 * fires a timer of less than a second up to a second late. Every delay below is 2 s or more, so a step the preview
 * got wrong shows as more than this.
 */
const LATE = 1_800;
/** ...and before it (clock reads in different processes). */
const EARLY = 300;

let h: Harness;
let app: FastifyInstance;
const second = 1000;
// The timeline: the order reaches Aftercare at T0, "delivered" comes at T0 + 3 s (completion, C). Quiet hours
// end at END, the first minute boundary at least 13 s after T0, so the tier news (C) and the review request
// (C + 7 s) fall inside them; the warranty check-in falls due END + 16 s.
const T0 = Date.now() + 15 * second;
const C = T0 + 3 * second;
const END = Math.ceil((T0 + 13 * second) / 60_000) * 60_000;

const clock = (ms: number) => {
  const p = zonedParts(ms, ZONE);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const warrantyDue = END + 16 * second;
  const playbook = parsePlaybook({
    ...base,
    channels: ['email', 'sms'],
    // Every customer reads the survey's one variant: its own subject and text.
    messages: {
      survey: {
        experiment: 'survey-short',
        variants: [
          {
            id: 'short',
            weight: 1,
            subject: '{{name}}, how was order {{orderId}}?',
            text: '{{brand}}: {{name}}, how was order {{orderId}}? {{surveyUrl}}',
          },
        ],
      },
    },
    delays: { thankYou: '2s' },
    // An hour of quiet that ends at END, in the customer's zone (UTC+05:30).
    quietHours: { start: clock(END - 3_600_000), end: clock(END), sms: false },
    frequencyCap: { max: 2, per: '10s', overCap: 'defer' },
    operator: { email: 'owner@test.example' },
    loyalty: { tiers: [{ id: 'friend', label: 'Friend', minOrders: 1, discountPercent: 5 }], cashbackPercent: 5 },
    followUps: {
      survey: { after: '2s', reminderAfter: '6s', window: '10s', changeWindow: '2s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop', referralAfter: '2s', referralRewardPercent: 10 },
      offer: { after: '2s', discountPercent: 10, services: [{ name: 'Gift wrapping' }] },
      warranty: { leadTime: `${((addMonths(C, 1) - warrantyDue) / 1000).toFixed(3)}s` },
    },
    winback: { after: '2s', secondAfter: '3s', discountPercent: 15, validFor: '30 days', attributionWindow: '1 hour' },
  });
  h = await startHarness({ playbook });
  app = await buildApp({ aftercare: h.aftercare, apiKey: KEY, logger: testLogger, temporalHealth: async () => {} });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const iso = (ms: number) => new Date(ms).toISOString();
const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
const stageTimes = [
  { stage: 'shipped', at: T0 + 1 * second },
  { stage: 'out_for_delivery', at: T0 + 2 * second },
  { stage: 'delivered', at: C },
];

/** Win-back keys carry the gap's start time (real ms differ from planned): compared by attempt. */
const keyOf = (key: string) => key.replace(/^winback-\d+-/, 'winback-');
/** Signed links and codes differ by design; the preview names them. */
const plain = (text: string) =>
  text.replace(/https?:\/\/\S+|‹[a-z ]+ link›/g, '<link>').replace(/\b[A-Z]{1,5}-[A-Z]?[A-Z0-9]{7,8}\b/g, '<code>');

async function preview(body: object): Promise<PreviewResponse> {
  const res = await app.inject({ method: 'POST', url: '/v1/preview', headers: auth, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as PreviewResponse;
}

/** Runs the order for real, as the preview assumed: started at T0, stages at their times, the answer on time. */
async function runForReal(
  order: { orderId: string },
  stages: { stage: string; at: number; reason?: string }[],
  answer: { rating: number; afterMs: number },
  before = async () => {},
) {
  const { orderId } = order;
  await sleepUntil(T0);
  await h.aftercare.startOrderJourney(order);
  await before();
  for (const s of stages) {
    await sleepUntil(s.at);
    await h.aftercare.advanceStage(orderId, { stage: s.stage, ...(s.reason ? { reason: s.reason } : {}) });
  }
  const survey = await eventually(
    async () => {
      const found = (await h.outbox.list(500)).find(
        (m) => m.workflowId === orderJourneyId(orderId) && m.messageKey === 'survey',
      );
      expect(found).toBeDefined();
      return found!;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  await sleepUntil(Date.parse(survey.createdAt) + answer.afterMs);
  await h.aftercare.submitFeedback(orderId, { rating: answer.rating });
}

/** What really went out for the order and its customer, oldest first. */
async function sentFor(orderId: string, customerId: string): Promise<OutboxRecord[]> {
  const ids = new Set([orderJourneyId(orderId), customerLifecycleId(customerId)]);
  return (await h.outbox.list(1000)).filter((m) => ids.has(m.workflowId)).reverse();
}

function expectAgreement(planned: PreviewResponse['messages'], sentForReal: OutboxRecord[]) {
  const sent = planned.filter((m) => !m.skipped);
  // The same messages: kinds and channels as multisets first.
  const label = (m: { kind: string; channel?: string }) => `${m.kind}/${m.channel ?? '?'}`;
  expect(sentForReal.map(label).sort()).toEqual(sent.map(label).sort());
  // Each planned message paired with the real one of its kind and channel, in turn: two messages of one workflow
  // and another planned for the same moment (a journey's review request and its lifecycle's tier news) go out in
  // the order Temporal runs the two workflows, which the order check below allows.
  const pool = [...sentForReal];
  const real = sent.map(
    (m) =>
      pool.splice(
        pool.findIndex((r) => label(r) === label(m)),
        1,
      )[0]!,
  );
  const deltas: string[] = [];
  sent.forEach((m, i) => {
    const r = real[i]!;
    expect(keyOf(r.messageKey)).toBe(keyOf(m.key));
    const delta = Date.parse(r.createdAt) - Date.parse(m.at);
    deltas.push(`${m.key} ${delta} ms`);
    expect(delta, `${m.key}: sent ${r.createdAt}, planned ${m.at}`).toBeLessThanOrEqual(LATE);
    expect(delta, `${m.key}: sent ${r.createdAt}, planned ${m.at}`).toBeGreaterThanOrEqual(-EARLY);
    if (r.channel === 'email') expect(r.subject).toBe(m.subject);
    else expect(plain(r.text.split('\n')[0]!)).toBe(plain(m.subject));
  });
  // The order of sending: messages planned apart come apart in the same order (those planned together may swap).
  for (let i = 1; i < sent.length; i++) {
    if (Date.parse(sent[i]!.at) - Date.parse(sent[i - 1]!.at) > 500) {
      expect(Date.parse(real[i]!.createdAt)).toBeGreaterThan(Date.parse(real[i - 1]!.createdAt));
    }
  }
  return deltas;
}

describe('the preview of every message', () => {
  it('lists what really happens: kinds, channels, order, times and subjects, and what is skipped and why', async () => {
    const itemsA = [{ sku: 'SOFA', name: 'Sofa', quantity: 1, unitPrice: 400, warrantyMonths: 1 }];
    const a = {
      orderId: uniqueId('pa'),
      customer: { id: uniqueId('ca'), name: 'Ada', email: 'ada@example.com', locale: 'en', timeZone: ZONE },
      items: itemsA,
      currency: 'EUR',
      total: 400,
    };
    const b = {
      orderId: uniqueId('pb'),
      customer: {
        id: uniqueId('cb'),
        name: 'Bo',
        email: 'bo@example.com',
        phone: '+447700900123',
        locale: 'en',
        timeZone: ZONE,
        preferredChannels: ['sms'],
      },
      items: [{ sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: 12 }],
      currency: 'EUR',
      total: 12,
    };
    const notice = { stage: 'delayed', at: T0 + 1.5 * second, reason: 'Snow at the depot' };
    const at = (list: { stage: string; at: number; reason?: string }[]) => list.map((s) => ({ ...s, at: iso(s.at) }));

    const planA = await preview({
      ...a,
      placedAt: iso(T0),
      stages: at(stageTimes),
      survey: { rating: 5, answeredAfter: '1s' },
    });
    const stagesB = [...stageTimes.slice(0, 1), notice, ...stageTimes.slice(1)];
    const planB = await preview({
      ...b,
      customer: { ...b.customer, consent: [{ purpose: 'marketing', channel: 'all', granted: false }] },
      placedAt: iso(T0),
      stages: at(stagesB),
      survey: { rating: 2, answeredAfter: '1s' },
    });

    // What the preview says, in words a business reads: quiet hours and the cap move marketing; consent skips it.
    const find = (plan: PreviewResponse, key: string) => plan.messages.find((m) => keyOf(m.key) === key)!;
    expect(find(planA, 'review')).toMatchObject({ held: [{ reason: 'quiet-hours', until: iso(END) }], at: iso(END) });
    expect(find(planA, 'tier-friend')).toMatchObject({ from: 'customer lifecycle', at: iso(END) });
    expect(find(planA, 'offer')).toMatchObject({ held: [{ reason: 'frequency-cap' }], at: iso(END + 10 * second) });
    expect(find(planA, 'referral')).toMatchObject({ at: iso(END + 12 * second) });
    expect(find(planA, 'warranty-1')).toMatchObject({ at: iso(END + 16 * second) });
    // The lifecycle hears that the follow-ups are over with the journey's last news (after the check-in), and
    // the first win-back, due already, waits for a slot under the cap.
    expect(find(planA, 'winback-1')).toMatchObject({
      dueAt: iso(END + 16 * second),
      at: iso(END + 20 * second),
      subject: 'We miss you, Ada',
    });
    expect(find(planA, 'winback-2')).toMatchObject({ at: iso(END + 22 * second) });
    expect(planB.messages.filter((m) => m.skipped).map((m) => keyOf(m.key))).toEqual([
      'tier-friend',
      'offer',
      'winback-1',
      'winback-2',
    ]);
    expect(find(planB, 'operator-alert')).toMatchObject({ to: 'business', channel: 'email' });
    expect(find(planB, 'care')).toMatchObject({ channel: 'sms' });
    expect(find(planA, 'survey')).toMatchObject({ variant: 'short', subject: 'Ada, how was order ' + a.orderId + '?' });

    await Promise.all([
      runForReal(a, stageTimes, { rating: 5, afterMs: 1000 }),
      runForReal(b, stagesB, { rating: 2, afterMs: 1000 }, async () => {
        await h.aftercare.setConsent(b.customer.id, { purpose: 'marketing', channel: 'all', granted: false });
      }),
    ]);

    const doneA = planA.messages.filter((m) => !m.skipped).length;
    const doneB = planB.messages.filter((m) => !m.skipped).length;
    await eventually(
      async () => {
        const ra = await sentFor(a.orderId, a.customer.id);
        const rb = await sentFor(b.orderId, b.customer.id);
        expect(ra.length).toBeGreaterThanOrEqual(doneA);
        expect(rb.length).toBeGreaterThanOrEqual(doneB);
      },
      { timeoutMs: Math.max(30_000, END + 30 * second - Date.now()), intervalMs: 250 },
    );
    // Nothing more comes than planned.
    await new Promise((r) => setTimeout(r, 2_000));
    const deltasA = expectAgreement(planA.messages, await sentFor(a.orderId, a.customer.id));
    const deltasB = expectAgreement(planB.messages, await sentFor(b.orderId, b.customer.id));
    console.info(`preview vs real, A: ${deltasA.join(', ')}\nB: ${deltasB.join(', ')}`);

    // What was skipped, the workflows skipped too, for the same reason.
    const journeyB = await h.aftercare.getOrderJourney(b.orderId);
    expect(journeyB.messages.find((m) => m.key === 'offer')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('opted out of marketing'),
    });
    const customerB = await h.aftercare.getCustomer(b.customer.id);
    expect(customerB.messages?.find((m) => m.key === 'tier-friend')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('opted out of marketing'),
    });
    const attempts = customerB.winback?.attempts ?? [];
    expect(attempts.map((x) => `${x.attempt}:${x.status}`)).toEqual(['1:skipped', '2:skipped']);
    const plannedWinbacks = planB.messages.filter((m) => m.kind === 'winback');
    attempts.forEach((x, i) => {
      const delta = Date.parse(x.at) - Date.parse(plannedWinbacks[i]!.at);
      expect(delta).toBeLessThanOrEqual(LATE);
      expect(delta).toBeGreaterThanOrEqual(-EARLY);
    });
  }, 180_000);
});
