/**
 * The send activity puts one-tap rating buttons on the survey and its reminder on Telegram and WhatsApp (inside
 * the 24 h window), through the real adapters against the fake APIs; SMS, templates and other kinds get none.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendMessageActivity, type SendDeps } from '../../src/activities/delivery/send-message';
import { orderRef, readRatingButton } from '../../src/channels/replies';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter, OutgoingMessage } from '../../src/channels/types';
import { WhatsAppCloudAdapter } from '../../src/channels/whatsapp/cloud-api/adapter';
import { deriveKeys } from '../../src/lib/keys';
import type { MessageRenderer } from '../../src/messages/types';
import type { SendMessageRequest } from '../../src/workflows/delivery/contract';
import { type FakeTelegram, startFakeTelegram } from '../fakes/telegram-server';
import { type FakeWhatsApp, startFakeWhatsApp } from '../fakes/whatsapp-server';

const KEYS = deriveKeys('aftercare-test-secret-0123456789');
const TEXT = 'Shop: how did we do with your order A-1001, Ana? Reply 1-5 (5 = excellent)';

/** Renders every message as TEXT in the locale asked for (the buttons' language follows it). */
const renderer: MessageRenderer = {
  locales: ['en', 'bn'],
  render: (r) => ({ locale: r.locale ?? r.fallbackLocale, subject: '', html: '', text: TEXT }),
};

let telegram: FakeTelegram;
let whatsapp: FakeWhatsApp;
const smsSent: OutgoingMessage[] = [];
let deps: SendDeps;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  whatsapp = await startFakeWhatsApp();
  const sms: ChannelAdapter = {
    channel: 'sms',
    provider: 'recording',
    send: async (m) => {
      smsSent.push(m);
      return { provider: 'recording', providerMessageId: 'SM1' };
    },
  };
  const tenantChannels = {
    telegram: new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot }),
    whatsapp: new WhatsAppCloudAdapter({
      token: whatsapp.token,
      phoneNumberId: whatsapp.phoneNumberId,
      baseUrl: whatsapp.url,
    }),
    sms,
  } satisfies SendDeps['channels'];
  deps = {
    renderer,
    channels: tenantChannels,
    tenants: { outlet: { channels: tenantChannels } },
    keys: KEYS,
    publicUrl: 'https://aftercare.example',
  };
});

afterAll(async () => {
  await telegram?.close();
  await whatsapp?.close();
});

beforeEach(() => {
  telegram.reset();
  whatsapp.reset();
  smsSent.length = 0;
});

function request(overrides: Partial<SendMessageRequest> = {}): SendMessageRequest {
  return {
    idempotencyKey: 'order-A-1001/survey/telegram',
    workflowId: 'order-A-1001',
    customerId: 'c-1',
    messageKey: 'survey',
    channel: 'telegram',
    to: '424242',
    recipientName: 'Ana',
    locale: 'en',
    fallbackLocale: 'en',
    brand: { name: 'Shop', sender: 'Shop <orders@shop.example>' },
    kind: 'survey',
    data: { orderId: 'A-1001' },
    ...overrides,
  } as SendMessageRequest;
}

const send = (req: SendMessageRequest) => new MockActivityEnvironment().run(sendMessageActivity(deps), req);

describe('rating buttons on the survey', () => {
  it('Telegram: five buttons naming the order (keyed), highest first, in the message language', async () => {
    await send(request({ locale: 'bn' }));
    const keyboard = (
      telegram.sent[0]?.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }
    ).inline_keyboard;
    const ref = orderRef(KEYS.contacts, 'A-1001');
    expect(keyboard.map((row) => readRatingButton(row[0]!.callback_data))).toEqual(
      [5, 4, 3, 2, 1].map((rating) => ({ rating, orderRef: ref })),
    );
    expect(keyboard[0]?.[0]?.text).toBe('৫ তারা: চমৎকার');
    expect(telegram.sent[0]?.text).toBe(TEXT);
  });

  it('WhatsApp inside the window: an interactive list with a localized label; a tenant names its own order', async () => {
    await send(
      request({
        kind: 'survey_reminder',
        channel: 'whatsapp',
        to: '+447700900123',
        workflowId: 't:outlet:order-A-1001',
        whatsapp: { windowOpen: true },
      }),
    );
    const list = whatsapp.sent[0]?.interactive;
    expect(list).toMatchObject({ type: 'list', body: { text: TEXT }, action: { button: 'Rate your order' } });
    const rows = list?.action.sections[0]?.rows ?? [];
    expect(rows.map((r) => r.title)).toEqual([
      '5 stars: excellent',
      '4 stars: good',
      '3 stars: okay',
      '2 stars: poor',
      '1 star: very poor',
    ]);
    // The outlet's order A-1001 is not the default tenant's order A-1001.
    expect(readRatingButton(rows[0]!.id)?.orderRef).toBe(orderRef(KEYS.contacts, 'A-1001', 'outlet'));
    expect(readRatingButton(rows[0]!.id)?.orderRef).not.toBe(orderRef(KEYS.contacts, 'A-1001'));
  });

  it('none outside the window (a template says "reply 1-5"), none on SMS, none on other kinds', async () => {
    await send(
      request({
        channel: 'whatsapp',
        to: '+447700900123',
        whatsapp: { windowOpen: false, template: { name: 'survey_v1', languages: { en: 'en' } } },
      }),
    );
    expect(whatsapp.sent.map((m) => m.type)).toEqual(['template']);
    await send(request({ channel: 'sms', to: '+447700900123' }));
    expect(smsSent[0]?.content).not.toHaveProperty('buttons');
    await send(request({ kind: 'thank_you' } as Partial<SendMessageRequest>));
    expect(telegram.sent[0]).not.toHaveProperty('reply_markup');
  });
});
