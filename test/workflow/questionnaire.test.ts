import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxRoutes } from '../../src/api/pages/outbox';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { AftercareClient } from '../../src/client';
import { answerQuestionnaireUpdate, customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  uniqueId,
  type Harness,
} from '../support/harness';
import { api, startInbound, type Inbound } from '../support/inbound';

/**
 * The questionnaire for regulars, end to end: the invitation after the second completed order, the page (real
 * token from the sent message), answers in the profile and in the next offer (English and Bengali), an occasion's
 * greeting once, invalid answers refused, and erasure; nobody answers before they were invited, and a date given
 * too close to its day waits for next year.
 */
let h: Harness;
let inbound: Inbound;
/** Orders whose playbook greets a date given on the day itself (occasion.minNoticeDays: 0). */
let noNotice: AftercareClient;

const shop = YAML.parse(readFileSync(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'), 'utf8')) as {
  questionnaire: NonNullable<PlaybookInput['questionnaire']>;
};

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const input: PlaybookInput = {
    ...base,
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 50, per: '1 day' },
    loyalty: { tiers: [{ id: 'regular', label: { en: 'Regular', bn: 'নিয়মিত' }, minOrders: 2, discountPercent: 5 }] },
    followUps: { offer: { after: '1s', discountPercent: 10 } },
    // The shop's questions; greetings at midnight (a date today is due at once when no notice is asked).
    questionnaire: {
      afterOrders: 2,
      questions: shop.questionnaire.questions,
      occasion: { discountPercent: 15, sendAt: '00:00' },
    },
  };
  h = await startHarness({ playbook: parsePlaybook(input) });
  inbound = await startInbound(h);
  const occasion = { discountPercent: 15, sendAt: '00:00', minNoticeDays: 0 };
  const greetToday = parsePlaybook({ ...input, questionnaire: { ...input.questionnaire!, occasion } });
  noNotice = new AftercareClient({ client: h.client, playbook: greetToday, taskQueue: h.taskQueue, keys: TEST_KEYS });
});
afterAll(async () => {
  await inbound?.close();
  await h?.stop();
});

const TIME_ZONE = 'Europe/London';
const form = (url: string, body: string) =>
  inbound.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body,
  });
const formIdIn = (html: string) => /name="formId" value="([^"]+)"/.exec(html)![1]!;

async function completeOrder(
  customer: Record<string, unknown>,
  items = [{ sku: 'M', name: 'Mug', quantity: 1, unitPrice: 10 }],
  client: AftercareClient = h.aftercare,
) {
  const order = sampleOrder({ items, total: 10 }, customer);
  await client.startOrderJourney(order);
  await client.advanceStage(order.orderId, { stage: 'delivered' });
  await eventually(async () => {
    const c = await h.aftercare.getCustomer(customer.id as string);
    expect(c.orders.find((o) => o.orderId === order.orderId)?.status).toBe('completed');
  });
  return order;
}

/** The sent invitation's link, once the lifecycle sent it. */
async function invitationLink(customerId: string): Promise<string> {
  const record = await eventually(async () => {
    const records = (await h.outbox.list(1000)).filter(
      (m) => m.workflowId === customerLifecycleId(customerId) && m.kind === 'questionnaire_invite',
    );
    expect(records).toHaveLength(1);
    return records[0]!;
  });
  const match = /http:\/\/aftercare\.test(\/questionnaire\/[A-Za-z0-9._-]+)/.exec(record.text);
  expect(match).not.toBeNull();
  return match![1]!;
}

/** Today in the customer's zone, as the form's month and day. */
function today(): { month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, month: 'numeric', day: 'numeric' })
    .formatToParts(Date.now())
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return { month: Number(parts.month), day: Number(parts.day) };
}

async function offerOf(orderId: string) {
  return eventually(
    async () => {
      const offer = (await h.outbox.list(1000)).find(
        (m) => m.workflowId === orderJourneyId(orderId) && m.kind === 'offer' && m.channel === 'email',
      );
      expect(offer).toBeDefined();
      return offer!;
    },
    { timeoutMs: 30_000 },
  );
}

describe('the questionnaire for regulars', () => {
  it('invites once after the second order; answers reach the profile, the next offer and an occasion greeting (no notice)', async () => {
    const customer = {
      id: uniqueId('regular'),
      name: 'Ada',
      email: 'ada@q.example',
      locale: 'en',
      timeZone: TIME_ZONE,
    };
    await completeOrder(customer, undefined, noNotice);
    // One completed order: not a regular yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await h.aftercare.getCustomer(customer.id)).questionnaire?.invitedAt).toBeUndefined();
    await completeOrder(customer, [{ sku: 'T', name: 'Blue teapot', quantity: 1, unitPrice: 10 }], noNotice);
    const link = await invitationLink(customer.id);

    const page = await inbound.app.inject({ method: 'GET', url: link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('What do you like to shop for?');
    expect(page.body).toContain('kitchenware');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");

    // Answers that do not fit the questions: 422, and nothing changes.
    const bad = await form(link, `formId=${formIdIn(page.body)}&interests=jewellery&birthday.month=2&birthday.day=31`);
    expect(bad.statusCode).toBe(422);
    expect((await h.aftercare.getCustomer(customer.id)).questionnaire?.answers).toBeUndefined();
    // Forged and unknown links.
    expect((await inbound.app.inject({ method: 'GET', url: `${link}x` })).statusCode).toBe(400);

    const { month, day } = today();
    const good = await form(
      link,
      `formId=${formIdIn(page.body)}&interests=kitchen&interests=gifts&birthday.month=${month}&birthday.day=${day}&dislikes=Loud+colours`,
    );
    expect(good.statusCode).toBe(200);
    expect(good.body).toContain('Thank you!');

    const profile = await api(inbound.app, 'GET', `/v1/customers/${customer.id}`);
    expect(profile.statusCode).toBe(200);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(profile.json().questionnaire).toMatchObject({
      invitedAt: expect.any(String),
      answeredAt: expect.any(String),
      answers: { interests: ['kitchen', 'gifts'], birthday: `${pad(month)}-${pad(day)}`, dislikes: 'Loud colours' },
    });
    expect(profile.json().questionnaire.eventIds).toBeUndefined();

    // Today is their birthday and the playbook asks no notice: one greeting with a code, now, and not again.
    const greeting = await eventually(async () => {
      const c = await h.aftercare.getCustomer(customer.id);
      const sent = (c.messages ?? []).filter((m) => m.kind === 'occasion_greeting');
      expect(sent).toHaveLength(1);
      expect(sent[0]!.status).toBe('sent');
      return sent[0]!;
    });
    expect(greeting.key).toMatch(/^occasion-birthday\/\d{4}$/);
    const mail = (await h.outbox.list(1000)).find(
      (m) =>
        m.workflowId === customerLifecycleId(customer.id) && m.kind === 'occasion_greeting' && m.channel === 'email',
    )!;
    expect(mail.subject).toBe('Happy birthday, Ada!');
    expect(mail.text).toMatch(/TESTS-G[0-9A-F]{7}/);

    // The third order's offer names what they like and what they bought last.
    const third = await completeOrder(customer, undefined, noNotice);
    const offer = await offerOf(third.orderId);
    expect(offer.text).toContain('Since you like kitchenware and gifts');
    // The dev outbox page shows the personalised email as it went.
    const outboxPage = Fastify();
    await outboxPage.register(outboxRoutes, { outbox: h.outbox });
    const shown = await outboxPage.inject({ method: 'GET', url: `/outbox/${offer.id}` });
    await outboxPage.close();
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('Since you like kitchenware and gifts');

    await new Promise((r) => setTimeout(r, 1000));
    const after = await h.aftercare.getCustomer(customer.id);
    expect((after.messages ?? []).filter((m) => m.kind === 'occasion_greeting')).toHaveLength(1);
    expect((after.messages ?? []).filter((m) => m.kind === 'questionnaire_invite')).toHaveLength(1);

    // Erasure: the lifecycle, and with it the answers, are gone.
    expect((await api(inbound.app, 'DELETE', `/v1/customers/${customer.id}`)).statusCode).toBe(200);
    expect((await api(inbound.app, 'GET', `/v1/customers/${customer.id}`)).statusCode).toBe(404);
    expect((await inbound.app.inject({ method: 'GET', url: link })).statusCode).toBe(410);
  });

  it('asks and answers in Bengali', async () => {
    const customer = {
      id: uniqueId('regular-bn'),
      name: 'Rina',
      email: 'rina@q.example',
      locale: 'bn',
      timeZone: 'Asia/Dhaka',
    };
    await completeOrder(customer);
    await completeOrder(customer);
    const link = await invitationLink(customer.id);
    const page = await inbound.app.inject({ method: 'GET', url: link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="bn">');
    expect(page.body).toContain('আপনি কী কিনতে পছন্দ করেন?');
    // The language switch shows the same form in English.
    expect((await inbound.app.inject({ method: 'GET', url: `${link}?lang=en` })).body).toContain('kitchenware');

    const saved = await form(link, `formId=${formIdIn(page.body)}&interests=kitchen`);
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('ধন্যবাদ!');

    const third = await completeOrder(customer);
    expect((await offerOf(third.orderId)).text).toContain('আপনি রান্নাঘরের জিনিস পছন্দ করেন');
  });

  it('is closed until the invitation went; a date given on its day waits for next year (default notice)', async () => {
    const customer = { id: uniqueId('early'), name: 'Eve', email: 'eve@q.example', locale: 'en', timeZone: TIME_ZONE };
    const first = await completeOrder(customer);
    // Every message carries the preferences link; its token must not open the questionnaire before the invitation.
    const token = await eventually(async () => {
      const text = (await h.outbox.list(1000)).find((m) => m.workflowId === orderJourneyId(first.orderId))?.text;
      const found = /http:\/\/aftercare\.test\/preferences\/([A-Za-z0-9._-]+)/.exec(text ?? '');
      expect(found).not.toBeNull();
      return found![1]!;
    });
    const { month, day } = today();
    const early = `/questionnaire/${token}`;
    const shown = await inbound.app.inject({ method: 'GET', url: early });
    expect(shown.statusCode).toBe(403);
    expect(shown.body).toContain('Not yet');
    const posted = await form(early, `formId=early-form-1&birthday.month=${month}&birthday.day=${day}`);
    expect(posted.statusCode).toBe(403);
    expect((await inbound.app.inject({ method: 'GET', url: `/preferences/${token}` })).body).not.toContain(
      '/questionnaire/',
    );
    // The lifecycle refuses it too, whoever asks.
    const lifecycle = h.client.workflow.getHandle(customerLifecycleId(customer.id));
    const birthday = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const args = [{ answers: { birthday }, eventId: 'direct', at: new Date().toISOString() }];
    await expect(lifecycle.executeUpdate(answerQuestionnaireUpdate, { args: args as never })).rejects.toMatchObject({
      cause: { type: 'NotInvited' },
    });

    await completeOrder(customer);
    const link = await invitationLink(customer.id);
    expect((await inbound.app.inject({ method: 'GET', url: `/preferences/${token}` })).body).toContain(
      `/questionnaire/${token}`,
    );
    const page = await inbound.app.inject({ method: 'GET', url: link });
    const good = await form(link, `formId=${formIdIn(page.body)}&birthday.month=${month}&birthday.day=${day}`);
    expect(good.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await h.aftercare.getCustomer(customer.id);
    expect(after.questionnaire?.answers?.birthday).toBeDefined();
    expect((after.messages ?? []).filter((m) => m.kind === 'occasion_greeting')).toEqual([]);
  }, 60_000);

  it('the invitation is marketing: without consent it is skipped once, and the questionnaire stays closed', async () => {
    const customer = { id: uniqueId('no-mkt'), name: 'Noor', email: 'noor@q.example', marketingConsent: false };
    await completeOrder(customer);
    await completeOrder(customer);
    const invite = await eventually(async () => {
      const c = await h.aftercare.getCustomer(customer.id);
      const sent = (c.messages ?? []).filter((m) => m.kind === 'questionnaire_invite');
      expect(sent).toHaveLength(1);
      expect(sent[0]!.status).toBe('skipped');
      return sent[0]!;
    });
    expect(invite.reason).toMatch(/marketing/);
    await completeOrder(customer);
    await new Promise((r) => setTimeout(r, 1500));
    const c = await h.aftercare.getCustomer(customer.id);
    expect((c.messages ?? []).filter((m) => m.kind === 'questionnaire_invite')).toHaveLength(1);
    const lifecycle = h.client.workflow.getHandle(customerLifecycleId(customer.id));
    const args = [{ answers: { interests: ['kitchen'] }, eventId: 'x', at: new Date().toISOString() }];
    await expect(lifecycle.executeUpdate(answerQuestionnaireUpdate, { args: args as never })).rejects.toMatchObject({
      cause: { type: 'NotInvited' },
    });
  }, 60_000);
});
