import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import type { OrderJourneyState } from '../../src/workflows/order/contract';
import { parsePlaybook } from '../../src/playbook/load';
import { signToken } from '../../src/lib/tokens';
import type { PlaybookInput } from '../../src/playbook/schema';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { twilioSignature } from '../fakes/twilio-server';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  type Harness,
} from '../support/harness';

const PUBLIC_URL = 'http://aftercare.test';
const TWILIO_TOKEN = 'twilio-e2e-token';
const TELEGRAM_SECRET = 'telegram-e2e-secret';

let h: Harness;
let app: FastifyInstance;
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['telegram', 'sms', 'email'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    followUps: { offer: { after: '1s', discountPercent: 10, services: [] } },
  });
  h = await startHarness({ playbook });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: 'e2e-key-0123456789abcdef',
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: {
      sink: h.aftercare,
      keys: TEST_KEYS,
      publicUrl: PUBLIC_URL,
      brandName: 'Test Shop',
      twilioAuthToken: TWILIO_TOKEN,
      telegram: {
        botToken: telegram.token,
        apiRoot: telegram.apiRoot,
        webhookSecret: TELEGRAM_SECRET,
        botInfo: telegram.botInfo,
      },
    },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
  await telegram?.close();
});

const settled = (orderId: string, key: string) =>
  eventually(async () => {
    const s: OrderJourneyState = await h.aftercare.getOrderJourney(orderId);
    const m = s.messages.find((x) => x.key === key);
    expect(m && ['sent', 'failed', 'skipped'].includes(m.status)).toBe(true);
    return m!;
  });

/** Opt-out must reach the customer's record within a second of the webhook being answered. */
const withinASecond = (
  customerId: string,
  check: (s: Awaited<ReturnType<Harness['aftercare']['getCustomer']>>) => void,
) => eventually(async () => check(await h.aftercare.getCustomer(customerId)), { timeoutMs: 1_000, intervalMs: 50 });

describe('opting out through their own channel stops marketing everywhere', () => {
  it('SMS STOP, Telegram /stop and the email one-click unsubscribe, each through its real webhook', async () => {
    const phone = '+447700911001';
    const chat = '77001';
    const bySms = sampleOrder({}, { email: undefined, phone });
    const byTelegram = sampleOrder({}, { email: undefined, telegramChatId: chat });
    const byEmail = sampleOrder({}, { email: 'unsubscribe-me@example.com' });
    for (const o of [bySms, byTelegram, byEmail]) await h.aftercare.startOrderJourney(o);
    for (const o of [bySms, byTelegram, byEmail])
      expect((await settled(o.orderId, 'status-placed')).status).toBe('sent');
    // Webhooks find customers through the contact keys on their lifecycle (visibility is eventually consistent).
    await eventually(async () => expect(await h.aftercare.getCustomer(bySms.customer.id)).toBeTruthy());

    // 1. SMS: Twilio forwards the customer's "STOP", signed.
    const params = { MessageSid: 'SM-e2e-stop', From: phone, To: '+15005550006', Body: 'Stop' };
    const url = `${PUBLIC_URL}/webhooks/twilio/inbound`;
    const sms = await eventually(async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/twilio/inbound',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, params),
        },
        payload: new URLSearchParams(params).toString(),
      });
      expect(res.statusCode).toBe(200);
      const c = await h.aftercare.getCustomer(bySms.customer.id);
      expect(c.consent.channels.sms?.blocked?.reason).toBe('opted-out');
      return c;
    });
    expect(sms.consent.marketing.granted).toBe(false);

    // A forged STOP changes nothing.
    const forged = await app.inject({
      method: 'POST',
      url: '/webhooks/twilio/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'bm9wZQ==' },
      payload: new URLSearchParams({ ...params, From: '+447700911002', MessageSid: 'SM-forged' }).toString(),
    });
    expect(forged.statusCode).toBe(401);

    // 2. Telegram: the customer sends /stop to the bot.
    const tg = await app.inject({
      method: 'POST',
      url: '/webhooks/telegram',
      headers: { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
      payload: {
        update_id: 880001,
        message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chat), type: 'private', first_name: 'T' },
          from: { id: Number(chat), is_bot: false, first_name: 'T' },
          text: '/stop',
          entities: [{ offset: 0, length: 5, type: 'bot_command' }],
        },
      },
    });
    expect(tg.statusCode).toBe(200);
    await withinASecond(byTelegram.customer.id, (c) => {
      expect(c.consent.channels.telegram?.blocked?.reason).toBe('opted-out');
      expect(c.consent.marketing.granted).toBe(false);
    });

    // 3. Email: the one-click unsubscribe link of a marketing email (RFC 8058 POST).

    const token = signToken(
      TEST_KEYS.links,
      'unsubscribe',
      { c: byEmail.customer.id, ch: 'email' },
      { expiresAt: Date.now() + 86_400_000 },
    );
    const unsub = await app.inject({
      method: 'POST',
      url: `/unsubscribe/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(unsub.statusCode).toBe(200);
    await withinASecond(byEmail.customer.id, (c) => expect(c.consent.marketing.granted).toBe(false));

    // Every journey goes on: no marketing for any of them; transactional mail still reaches the email customer.
    for (const o of [bySms, byTelegram, byEmail]) await h.aftercare.advanceStage(o.orderId, { stage: 'delivered' });
    for (const o of [bySms, byTelegram, byEmail]) {
      const offer = await settled(o.orderId, 'offer');
      expect(offer.status).toBe('skipped');
      expect(offer.reason).toContain('opted out of marketing');
    }
    expect((await settled(byEmail.orderId, 'thank-you')).status).toBe('sent');
    expect((await settled(bySms.orderId, 'thank-you')).reason).toContain('sms: opted-out');
  });
});
