/**
 * The app with its provider webhooks in front of a harness, and signed provider requests to drive it:
 * what a customer's STOP, /start or bounce looks like when it reaches Aftercare.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { twilioSignature } from '../fakes/twilio-server';
import { TEST_KEYS, testLogger, type Harness } from './harness';

export const PUBLIC_URL = 'http://aftercare.test';
export const TWILIO_TOKEN = 'twilio-inbound-token';
export const TELEGRAM_SECRET = 'telegram-inbound-secret';
export const API_KEY = 'inbound-api-key-0123456789';

export interface Inbound {
  app: FastifyInstance;
  telegram: FakeTelegram;
  close(): Promise<void>;
}

export async function startInbound(h: Harness): Promise<Inbound> {
  const telegram = await startFakeTelegram();
  const app = await buildApp({
    aftercare: h.aftercare,
    apiKey: API_KEY,
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
  return {
    app,
    telegram,
    close: async () => {
      await app.close();
      await telegram.close();
    },
  };
}

/** An incoming SMS as Twilio posts it, signed. */
export function twilioInbound(app: FastifyInstance, p: { sid: string; from: string; body: string }) {
  const params = { MessageSid: p.sid, From: p.from, To: '+15005550006', Body: p.body };
  return app.inject({
    method: 'POST',
    url: '/webhooks/twilio/inbound',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/inbound`, params),
    },
    payload: new URLSearchParams(params).toString(),
  });
}

/** A private-chat message to the bot, as Telegram posts it. */
export function telegramMessage(
  app: FastifyInstance,
  p: { updateId: number; chat: string; text: string; date?: number },
) {
  return app.inject({
    method: 'POST',
    url: '/webhooks/telegram',
    headers: { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
    payload: {
      update_id: p.updateId,
      message: {
        message_id: p.updateId,
        date: p.date ?? Math.floor(Date.now() / 1000),
        chat: { id: Number(p.chat), type: 'private', first_name: 'T' },
        from: { id: Number(p.chat), is_bot: false, first_name: 'T' },
        text: p.text,
        ...(p.text.startsWith('/')
          ? { entities: [{ type: 'bot_command', offset: 0, length: p.text.split(' ')[0]!.length }] }
          : {}),
      },
    },
  });
}

/** A /v1 request with the API key. */
export function api(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${API_KEY}`, ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}
