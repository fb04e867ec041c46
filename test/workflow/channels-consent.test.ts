import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { CUSTOMER_SA } from '../../src/workflows/customer/contract';
import { ORDER_SA } from '../../src/workflows/order/contract';
import { orderJourneyId, type OrderJourneyState } from '../../src/workflows/order/contract';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { startFakeTwilio, twilioFailures, type FakeTwilio } from '../fakes/twilio-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';

let resend: FakeResend;
let twilio: FakeTwilio;
let telegram: FakeTelegram;
let h: Harness;

/** The test playbook with every channel, an offer shortly after the thank-you, and no quiet hours. */
function playbookWith(overrides: Partial<PlaybookInput>) {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  return parsePlaybook({
    ...base,
    channels: ['telegram', 'sms', 'email'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    followUps: { offer: { after: '1s', discountPercent: 10, services: [{ name: 'Gift wrapping' }] } },
    ...overrides,
  });
}

beforeAll(async () => {
  [resend, twilio, telegram] = await Promise.all([startFakeResend(), startFakeTwilio(), startFakeTelegram()]);
  const channels: Record<string, ChannelAdapter> = {
    email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) as ChannelAdapter,
    sms: new TwilioSmsAdapter({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: '+15005550006',
      baseUrl: twilio.url,
    }) as ChannelAdapter,
    telegram: new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot }) as ChannelAdapter,
  };
  h = await startHarness({ channels, playbook: playbookWith({}), telegramBotUsername: 'aftercare_test_bot' });
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([resend?.close(), twilio?.close(), telegram?.close()]);
});

const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const message = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
const settled = (orderId: string, key: string) =>
  eventually(async () => {
    const s = await journey(orderId);
    const m = message(s, key);
    expect(m && ['sent', 'failed', 'skipped'].includes(m.status)).toBe(true);
    return m!;
  });
/**
 * The journey knows (its snapshot) what the lifecycle just applied: a consent change reaches a lean journey as
 * a signal, within a second (the bench measures it), so a test waits for it before the next message.
 */
const knows = (orderId: string, check: (c: { blocked: string[]; version: number }) => boolean) =>
  eventually(async () => expect(check((await journey(orderId)).customer!)).toBe(true));
let phoneCounter = 100;
const newPhone = () => `+4477009${String(phoneCounter++).padStart(5, '0')}`;
let chatCounter = 5000;
const newChat = () => String(chatCounter++);

describe('every channel', () => {
  it('reaches a Telegram-only, an SMS-only and an email-only customer on their channel', async () => {
    const chat = newChat();
    const phone = newPhone();
    const tg = sampleOrder({}, { email: undefined, telegramChatId: chat });
    const sms = sampleOrder({}, { email: undefined, phone });
    const mail = sampleOrder({}, { email: 'only-email@example.com' });
    await Promise.all([tg, sms, mail].map((o) => h.aftercare.startOrderJourney(o)));
    expect((await settled(tg.orderId, 'status-placed')).channel).toBe('telegram');
    expect((await settled(sms.orderId, 'status-placed')).channel).toBe('sms');
    expect((await settled(mail.orderId, 'status-placed')).channel).toBe('email');
    expect(telegram.sent.filter((m) => String(m.chat_id) === chat)).toHaveLength(1);
    const text = twilio.sent.find((m) => m.to === phone)!;
    expect(text.body).toContain('Test Shop');
    expect(text.statusCallback).toBeNull(); // none configured in this harness
    expect(resend.sent.filter((m) => m.to.includes('only-email@example.com'))).toHaveLength(1);
  });

  it('falls back from a blocked Telegram chat to SMS to email, and remembers it for the next message', async () => {
    const chat = newChat();
    const phone = newPhone();
    telegram.blockChat(chat);
    twilio.failNext(1, twilioFailures.invalidNumber());
    const order = sampleOrder({}, { email: 'fallback@example.com', phone, telegramChatId: chat });
    await h.aftercare.startOrderJourney(order);
    const placed = await settled(order.orderId, 'status-placed');
    expect(placed.status).toBe('sent');
    expect(placed.channel).toBe('email');
    expect(placed.attempts.map((a) => [a.channel, a.outcome])).toEqual([
      ['telegram', 'failed'],
      ['sms', 'failed'],
      ['email', 'sent'],
    ]);
    expect(placed.attempts[0]!.error).toMatch(/^ChannelUnreachable/);
    expect(placed.attempts[1]!.error).toMatch(/^InvalidAddress/);

    // The lifecycle now knows: the next message goes straight to email.
    const customer = await eventually(async () => {
      const c = await h.aftercare.getCustomer(order.customer.id);
      expect(c.consent.channels.telegram?.blocked?.reason).toBe('blocked');
      expect(c.consent.channels.sms?.blocked?.reason).toBe('invalid-address');
      return c;
    });
    expect(customer.consent.marketing.granted).toBeNull();
    const telegramCalls = telegram.requests.length;
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    const shipped = await settled(order.orderId, 'status-shipped');
    expect(shipped.attempts.map((a) => a.channel)).toEqual(['email']);
    expect(telegram.requests.length).toBe(telegramCalls);
    await eventually(async () => {
      const query = `AftercareCustomerId = "${order.customer.id}" AND AftercareBlockedChannels = "telegram"`;
      const found: string[][] = [];
      for await (const wf of h.client.workflow.list({ query }))
        found.push(wf.typedSearchAttributes.get(CUSTOMER_SA.blockedChannels) ?? []);
      expect(found.map((b) => [...b].sort())).toEqual([['sms', 'telegram']]);
    });
  });

  it('links a Telegram chat offered in an email deep link', async () => {
    const order = sampleOrder({}, { email: 'link-me@example.com' });
    await h.aftercare.startOrderJourney(order);
    await settled(order.orderId, 'status-placed');
    const email = resend.sent.find((m) => m.to.includes('link-me@example.com'))!;
    expect(email.text).toMatch(/https:\/\/t\.me\/aftercare_test_bot\?start=[A-Za-z0-9_-]{10,64}/);
  });
});

describe('consent', () => {
  it('an opt-out mid-journey stops the next marketing message, not the transactional ones', async () => {
    const order = sampleOrder({}, { email: 'opt-out@example.com' });
    await h.aftercare.startOrderJourney(order);
    await settled(order.orderId, 'status-placed');
    await h.aftercare.setConsent(order.customer.id, { purpose: 'marketing', granted: false, source: 'phone call' });
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    const thanks = await settled(order.orderId, 'thank-you');
    expect(thanks.status).toBe('sent'); // transactional still goes
    const offer = await settled(order.orderId, 'offer');
    expect(offer).toMatchObject({ status: 'skipped', purpose: 'marketing' });
    expect(offer.reason).toContain('opted out of marketing (phone call)');
    expect(resend.sent.filter((m) => m.to.includes('opt-out@example.com')).map((m) => m.tags?.[0]?.value)).toEqual([
      'order_status',
      'order_status',
      'thank_you',
    ]);
  });

  it('sends marketing with a one-click unsubscribe, and respects the consent it was given', async () => {
    const order = sampleOrder({}, { email: 'offer@example.com' });
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    const offer = await settled(order.orderId, 'offer');
    expect(offer.status).toBe('sent');
    const email = resend.sent.find((m) => m.to.includes('offer@example.com') && m.tags?.[0]?.value === 'offer')!;
    expect(email.headers?.['List-Unsubscribe']).toMatch(/^<http:\/\/aftercare\.test\/unsubscribe\/[A-Za-z0-9._-]+>$/);
    expect(email.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const state = await journey(order.orderId);
    expect(state.offer?.code).toMatch(/^TESTS-[0-9A-F]{8}$/);
    expect(email.text).toContain(state.offer!.code);
  });

  it('STOP blocks SMS and marketing everywhere; START brings SMS back', async () => {
    const phone = newPhone();
    const order = sampleOrder({}, { email: undefined, phone });
    await h.aftercare.startOrderJourney(order);
    await settled(order.orderId, 'status-placed');
    const stop = { channel: 'sms' as const, scope: 'all' as const, source: 'sms', at: new Date().toISOString() };
    await h.aftercare.recordCustomerEvent(order.customer.id, { type: 'opt-out', eventId: 'SM-stop-1', ...stop });
    await knows(order.orderId, (c) => c.blocked.includes('sms'));

    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    const shipped = await settled(order.orderId, 'status-shipped');
    expect(shipped.status).toBe('skipped');
    expect(shipped.reason).toContain('sms: opted-out');

    await h.aftercare.recordCustomerEvent(order.customer.id, { type: 'opt-in', eventId: 'SM-start-1', ...stop });
    // A replayed STOP (same provider event id) changes nothing.
    await h.aftercare.recordCustomerEvent(order.customer.id, { type: 'opt-out', eventId: 'SM-stop-1', ...stop });
    await knows(order.orderId, (c) => !c.blocked.includes('sms'));
    await h.aftercare.advanceStage(order.orderId, { stage: 'out_for_delivery' });
    const out = await settled(order.orderId, 'status-out_for_delivery');
    expect(out).toMatchObject({ status: 'sent', channel: 'sms' });
    const customer = await h.aftercare.getCustomer(order.customer.id);
    expect(customer.consent.marketing.granted).toBeNull(); // back to how it was before STOP
  });

  it('treats Twilio 21610 on a send as the customer having texted STOP', async () => {
    const phone = newPhone();
    twilio.failNext(1, twilioFailures.optedOut());
    const order = sampleOrder({}, { email: 'after-stop@example.com', phone, preferredChannels: ['sms'] });
    await h.aftercare.startOrderJourney(order);
    const placed = await settled(order.orderId, 'status-placed');
    expect(placed.attempts.map((a) => [a.channel, a.outcome])).toEqual([
      ['sms', 'failed'],
      ['email', 'sent'],
    ]);
    await eventually(async () => {
      const c = await h.aftercare.getCustomer(order.customer.id);
      expect(c.consent.channels.sms?.blocked?.reason).toBe('opted-out');
      expect(c.consent.marketing.granted).toBe(false);
    });
  });

  it('a hard bounce stops all email; a complaint only marketing email', async () => {
    const bounced = sampleOrder({}, { email: 'bounce@example.com' });
    await h.aftercare.startOrderJourney(bounced);
    await settled(bounced.orderId, 'status-placed');
    await h.aftercare.recordCustomerEvent(bounced.customer.id, {
      type: 'delivery-problem',
      channel: 'email',
      problem: 'hard-bounce',
      source: 'resend',
      eventId: 'bounce-1',
      at: new Date().toISOString(),
    });
    await knows(bounced.orderId, (c) => c.blocked.includes('email'));
    await h.aftercare.advanceStage(bounced.orderId, { stage: 'shipped' });
    const shipped = await settled(bounced.orderId, 'status-shipped');
    expect(shipped).toMatchObject({ status: 'skipped', reason: expect.stringContaining('email: hard-bounce') });
    // Nobody reachable is no customer choice: operators find it like a failed send.
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(bounced.orderId)).describe();
      expect(d.typedSearchAttributes.get(ORDER_SA.deliveryFailures)).toBe(1);
    });

    const complained = sampleOrder({}, { email: 'complaint@example.com' });
    await h.aftercare.startOrderJourney(complained);
    await settled(complained.orderId, 'status-placed');
    await h.aftercare.recordCustomerEvent(complained.customer.id, {
      type: 'delivery-problem',
      channel: 'email',
      problem: 'complaint',
      source: 'resend',
      eventId: 'complaint-1',
      at: new Date().toISOString(),
    });
    await h.aftercare.advanceStage(complained.orderId, { stage: 'delivered' });
    expect((await settled(complained.orderId, 'thank-you')).status).toBe('sent');
    expect((await settled(complained.orderId, 'offer')).status).toBe('skipped');
  });
});

describe('frequency cap and quiet hours', () => {
  it('caps marketing across two concurrent order journeys of one customer', async () => {
    const capped = await startHarness({
      playbook: playbookWith({ frequencyCap: { max: 1, per: '7 days', overCap: 'drop' } }),
    });
    try {
      const customer = { id: `cap-${Date.now()}`, email: 'cap@example.com' };
      const a = sampleOrder({}, customer);
      const b = sampleOrder({}, customer);
      await Promise.all([capped.aftercare.startOrderJourney(a), capped.aftercare.startOrderJourney(b)]);
      await Promise.all([
        capped.aftercare.advanceStage(a.orderId, { stage: 'delivered' }),
        capped.aftercare.advanceStage(b.orderId, { stage: 'delivered' }),
      ]);
      const offers = await Promise.all(
        [a, b].map((o) =>
          eventually(async () => {
            const s = await capped.aftercare.getOrderJourney(o.orderId);
            const m = message(s, 'offer');
            expect(m && ['sent', 'skipped'].includes(m.status)).toBe(true);
            return m!;
          }),
        ),
      );
      expect(offers.map((o) => o.status).sort()).toEqual(['sent', 'skipped']);
      expect(offers.find((o) => o.status === 'skipped')!.reason).toContain('frequency cap');
    } finally {
      await capped.stop();
    }
  });

  it('defers marketing over the cap, and marketing in quiet hours, to the right time', async () => {
    // Quiet hours that cover "now" in the customer's zone, ending at the next full hour there.
    const tz = 'America/New_York';
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date())
      .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
    const hour = Number(parts.hour);
    const start = `${String((hour + 23) % 24).padStart(2, '0')}:00`;
    const end = `${String((hour + 1) % 24).padStart(2, '0')}:00`;
    const quiet = await startHarness({ playbook: playbookWith({ quietHours: { start, end } }) });
    try {
      const order = sampleOrder({}, { email: 'quiet@example.com', timeZone: tz });
      await quiet.aftercare.startOrderJourney(order);
      await quiet.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
      const state = await eventually(async () => {
        const s = await quiet.aftercare.getOrderJourney(order.orderId);
        expect(message(s, 'offer')?.status).toBe('waiting');
        return s;
      });
      expect(message(state, 'thank-you')?.status).toBe('sent'); // transactional ignores quiet hours
      expect(message(state, 'offer')?.reason).toBe('quiet-hours');
      const until = new Date(state.next!.until!);
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: tz,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(until);
      expect(local).toBe(end);
      expect(until.getTime()).toBeGreaterThan(Date.now());
      expect(until.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
      const d = await quiet.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
      expect(d.typedSearchAttributes.get(ORDER_SA.waitingFor)).toBe('quiet-hours');
      expect(d.typedSearchAttributes.get(ORDER_SA.nextActionAt)?.getTime()).toBe(until.getTime());
    } finally {
      await quiet.stop();
    }
  });
});
