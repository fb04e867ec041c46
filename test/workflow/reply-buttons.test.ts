/**
 * One-tap ratings end to end (#12): the survey goes out on Telegram with five buttons (real adapter, fake Bot API),
 * the customer taps one of the second order's buttons, Telegram posts the callback query to the webhook, and the
 * reply router hands the rating to that order's journey (not the other one running for the same chat).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { readRatingButton } from '../../src/channels/replies';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { ReplyGateway } from '../../src/gateway/replies';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import type { OrderJourneyState } from '../../src/workflows/order/contract';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { API_KEY, PUBLIC_URL, TELEGRAM_SECRET } from '../support/inbound';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  type Harness,
} from '../support/harness';

let telegram: FakeTelegram;
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['telegram', 'email'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 50, per: '1 day' },
    followUps: {
      survey: { after: '1s', reminderAfter: '20s', window: '25s', changeWindow: '1s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop' },
    },
  });
  const adapter = new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot }) as ChannelAdapter;
  h = await startHarness({ playbook, channels: { telegram: adapter } });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: API_KEY,
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: {
      sink: h.aftercare,
      replies: new ReplyGateway(h.client, { contactsKey: TEST_KEYS.contacts }),
      keys: TEST_KEYS,
      publicUrl: PUBLIC_URL,
      brandName: 'Test Shop',
      telegram: {
        botToken: telegram.token,
        apiRoot: telegram.apiRoot,
        webhookSecret: TELEGRAM_SECRET,
        botInfo: telegram.botInfo,
      },
    },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
  await telegram?.close();
});

const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const msg = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
type Keyboard = { inline_keyboard: { text: string; callback_data: string }[][] };

describe('one-tap ratings on Telegram', () => {
  it("a tap on the second order's survey button answers that order, with a toast; the first order waits on", async () => {
    const chat = String(700_000_000 + (process.pid % 1000) * 1000 + Math.floor(Math.random() * 1000));
    const customer = { email: undefined, telegramChatId: chat };
    const first = sampleOrder({}, customer);
    const second = sampleOrder({}, { ...customer, id: first.customer.id });
    for (const order of [first, second]) {
      await h.aftercare.startOrderJourney(order);
      await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    }
    const surveyOf = async (orderId: string) =>
      eventually(async () => {
        const m = msg(await journey(orderId), 'survey');
        expect(m?.status).toBe('sent');
        return m!;
      });
    const survey = await surveyOf(second.orderId);
    await surveyOf(first.orderId);

    // The survey message of the second order, as the fake Bot API got it: its id is the journey's providerMessageId.
    const providerId = survey.attempts.at(-1)?.providerMessageId;
    const sent = telegram.sent.find((m) => String(m.chat_id) === chat && String(m.message_id) === providerId)!;
    expect(sent.text).toContain('Reply 1-5');
    const keyboard = (sent.reply_markup as Keyboard).inline_keyboard.flat();
    expect(keyboard.map((b) => readRatingButton(b.callback_data)?.rating)).toEqual([5, 4, 3, 2, 1]);
    const four = keyboard[1]!;

    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/telegram',
      headers: { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
      payload: {
        update_id: 900_000 + Math.floor(Math.random() * 100_000),
        callback_query: {
          id: `cbq-${second.orderId}`,
          from: { id: Number(chat), is_bot: false, first_name: 'Ada', language_code: 'en' },
          chat_instance: '-1',
          data: four.callback_data,
          message: { ...sent, chat: { id: Number(chat), type: 'private', first_name: 'Ada' }, chat_id: undefined },
        },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(telegram.answered).toContainEqual({ callback_query_id: `cbq-${second.orderId}`, text: 'Thank you!' });
    const answered = await eventually(async () => {
      const s = await journey(second.orderId);
      expect(s.feedback?.rating).toBe(4);
      return s;
    });
    expect(answered.feedback).toMatchObject({ rating: 4, source: 'telegram-reply' });
    expect((await journey(first.orderId)).feedback).toBeUndefined();
  }, 90_000);
});
