/**
 * What customers write back or tap on Telegram and WhatsApp reaches the reply router (once, with the sender's
 * contact keys, the provider's event id, the message it answers and the rating button it carries); keywords and
 * messages without text stay with the lifecycle's events as before. test/unit/webhooks.test.ts covers the rest.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keysOfContact } from '../../src/api/webhooks/context';
import { registerInboundRoutes } from '../../src/api/webhooks/index';
import type { InboundReply, ReplyOutcome, ReplyRouter } from '../../src/gateway/inbound-reply';
import type { CustomerEventSink } from '../../src/api/webhooks/sink';
import { contactKey } from '../../src/channels/contact-keys';
import { orderRef, ratingButtonId, ratingButtons } from '../../src/channels/replies';
import { deriveKeys } from '../../src/lib/keys';
import type { CustomerEvent } from '../../src/workflows/customer/contract';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { twilioSignature } from '../fakes/twilio-server';
import { signWebhook, webhookPayloads } from '../fakes/whatsapp-server';

const KEYS = deriveKeys('aftercare-test-secret-0123456789');
const NOW = Date.parse('2026-11-02T10:00:00.000Z');
const AT = new Date(NOW).toISOString();
const TELEGRAM_SECRET = 'tg-webhook-secret_0123';
const WA_APP_SECRET = 'wa-app-secret';
const TWILIO_TOKEN = 'twilio-auth-token';
const CHAT_ID = 424242;
const PHONE = '+447700900123';
const REF = orderRef(KEYS.contacts, 'A-1001');

class RecordingRouter implements ReplyRouter {
  readonly routed: InboundReply[] = [];
  failWith: Error | undefined;
  async route(reply: InboundReply): Promise<ReplyOutcome> {
    if (this.failWith) throw this.failWith;
    this.routed.push(reply);
    return { outcome: 'routed', orderId: 'A-1001' };
  }
}

/** The lifecycle's events, for a customer known by every key (the router is the one under test). */
const recorded: CustomerEvent[] = [];
const sink: CustomerEventSink = {
  findCustomersByContactKeys: async () => ['cust-1'],
  recordCustomerEvent: async (_id, event) => void recorded.push(event),
};

let router: RecordingRouter;
let app: FastifyInstance;
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  app = Fastify();
  await registerInboundRoutes(app, {
    sink,
    replies: { route: (reply) => router.route(reply) },
    keys: KEYS,
    publicUrl: 'https://aftercare.example',
    brandName: 'Shop',
    telegram: {
      botToken: telegram.token,
      apiRoot: telegram.apiRoot,
      webhookSecret: TELEGRAM_SECRET,
      botInfo: telegram.botInfo,
    },
    whatsapp: { appSecret: WA_APP_SECRET, verifyToken: 'wa-verify-token' },
    twilioAuthToken: TWILIO_TOKEN,
    now: () => NOW,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await telegram?.close();
});

beforeEach(() => {
  router = new RecordingRouter();
  recorded.length = 0;
  telegram.reset();
});

describe('Telegram replies', () => {
  let updateId = 5000;
  const chat = (id = CHAT_ID, type = 'private') =>
    type === 'private' ? { id, type, first_name: 'Ana' } : { id, type, title: 'Group' };
  const text = (body: string, opts: { replyTo?: number; chatType?: string; command?: boolean } = {}) => ({
    update_id: ++updateId,
    message: {
      message_id: 90 + updateId,
      date: Math.floor(NOW / 1000),
      chat: chat(opts.chatType === 'group' ? -100 : CHAT_ID, opts.chatType ?? 'private'),
      from: { id: CHAT_ID, is_bot: false, first_name: 'Ana' },
      text: body,
      ...(opts.command ? { entities: [{ offset: 0, length: body.length, type: 'bot_command' }] } : {}),
      ...(opts.replyTo !== undefined
        ? {
            reply_to_message: {
              message_id: opts.replyTo,
              date: Math.floor(NOW / 1000) - 60,
              chat: chat(),
              from: { id: telegram.botInfo.id, is_bot: true, first_name: 'Aftercare' },
              text: 'How did we do?',
            },
          }
        : {}),
    },
  });
  /** A tap on a button of the survey message (message 7), as Telegram sends it. */
  const tap = (data: string, languageCode = 'en') => ({
    update_id: ++updateId,
    callback_query: {
      id: `cbq-${updateId}`,
      from: { id: CHAT_ID, is_bot: false, first_name: 'Ana', language_code: languageCode },
      chat_instance: '-5550001',
      data,
      message: {
        message_id: 7,
        date: Math.floor(NOW / 1000) - 60,
        chat: chat(),
        from: { id: telegram.botInfo.id, is_bot: true, first_name: 'Aftercare' },
        text: 'How did we do?',
        reply_markup: {
          inline_keyboard: ratingButtons('en', REF).map((b) => [{ text: b.title, callback_data: b.id }]),
        },
      },
    },
  });
  const post = (update: unknown, secret = TELEGRAM_SECRET) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/telegram',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      payload: JSON.stringify(update),
    });

  it('a text (a reply to message 7) goes to the router with its keys, event id and replyTo; nothing is said back', async () => {
    const update = text('5, thank you', { replyTo: 7 });
    expect((await post(update)).statusCode).toBe(200);
    expect(router.routed).toEqual([
      {
        channel: 'telegram',
        contactKeys: keysOfContact(KEYS, 'telegram', String(CHAT_ID)),
        text: '5, thank you',
        // The chat and its message: update_id restarts after a week without updates, a message id does not.
        eventId: `telegram:${CHAT_ID}:${update.message.message_id}`,
        at: AT,
        // The adapter's providerMessageId for that message is String(message_id).
        replyTo: '7',
      },
    ]);
    expect(router.routed[0]?.contactKeys[0]).toBe(contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)));
    expect(telegram.sent).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('a text without a reply has no replyTo; group chats and other commands are not replies', async () => {
    await post(text('where is my parcel?'));
    await post(text('hello all', { chatType: 'group' }));
    await post(text('/help', { command: true }));
    expect(router.routed).toHaveLength(1);
    expect(router.routed[0]).not.toHaveProperty('replyTo');
    expect(router.routed[0]?.text).toBe('where is my parcel?');
  });

  it('a rating tap goes to the router with its button and title, and the query is answered with a toast', async () => {
    const update = tap(ratingButtonId(4, REF));
    expect((await post(update)).statusCode).toBe(200);
    expect(router.routed).toEqual([
      {
        channel: 'telegram',
        contactKeys: keysOfContact(KEYS, 'telegram', String(CHAT_ID)),
        text: '4 stars: good',
        eventId: `telegram-cb:${update.callback_query.id}`,
        at: AT,
        button: { rating: 4, orderRef: REF },
      },
    ]);
    expect(telegram.answered).toEqual([{ callback_query_id: update.callback_query.id, text: 'Thank you!' }]);
    expect(telegram.sent).toEqual([]);
    // In the language of the customer's Telegram app.
    await post(tap(ratingButtonId(5, REF), 'bn'));
    expect(telegram.answered[1]?.text).toBe('ধন্যবাদ!');
  });

  it('any other button is answered (it stops spinning) and routes nothing', async () => {
    const update = tap('something-else');
    await post(update);
    expect(router.routed).toEqual([]);
    expect(telegram.answered).toEqual([{ callback_query_id: update.callback_query.id }]);
  });

  it('a router outage is a 500 (Telegram redelivers) and the query stays for the redelivery to answer', async () => {
    router.failWith = new Error('temporal unreachable');
    const update = tap(ratingButtonId(2, REF));
    expect((await post(update)).statusCode).toBe(500);
    expect(telegram.answered).toEqual([]);
    router.failWith = undefined;
    // The redelivery answers; when Telegram refuses a query too old to answer, the tap is still acknowledged.
    telegram.failNext(
      1,
      { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: query is too old' } },
      { method: 'answerCallbackQuery' },
    );
    expect((await post(update)).statusCode).toBe(200);
    expect(router.routed).toHaveLength(1);
  });

  it('the same update_id after a restart of its counter is another message: its own event id', async () => {
    const first = text('where is my parcel?');
    const later = { ...text('is it shipped?'), update_id: first.update_id };
    await post(first);
    await post(later);
    expect(new Set(router.routed.map((r) => r.eventId)).size).toBe(2);
  });

  it('"stop" typed (not /stop) is the customer opting out, as /stop: not routed, the chat is told', async () => {
    for (const word of ['stop', 'Unsubscribe ']) {
      const update = text(word);
      await post(update);
      expect(recorded.at(-1)).toEqual({
        type: 'opt-out',
        channel: 'telegram',
        scope: 'all',
        source: 'telegram',
        eventId: `telegram:${CHAT_ID}:${update.message.message_id}`,
        at: AT,
        contactKey: contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)),
      });
    }
    expect(router.routed).toEqual([]);
    expect(telegram.sent.map((m) => (m as { text?: string }).text)).toEqual([
      'You will get no more messages here. Send /start to resume.',
      'You will get no more messages here. Send /start to resume.',
    ]);
  });

  it('a wrong secret token changes nothing', async () => {
    expect((await post(tap(ratingButtonId(1, REF)), 'wrong')).statusCode).toBe(403);
    expect((await post(text('1'), 'wrong')).statusCode).toBe(403);
    expect(router.routed).toEqual([]);
    expect(telegram.requests).toEqual([]);
  });
});

describe('WhatsApp replies', () => {
  const FROM = PHONE.slice(1);
  const sent = String(NOW / 1000);
  const post = (payload: unknown, signature?: string) => {
    const body = JSON.stringify(payload);
    return app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signature ?? signWebhook(body, WA_APP_SECRET),
      },
      payload: body,
    });
  };
  const keys = keysOfContact(KEYS, 'whatsapp', PHONE);

  it('a list choice on our survey goes to the router with its rating button and the wamid it answers', async () => {
    const payload = webhookPayloads.inboundChoice({
      from: FROM,
      kind: 'list_reply',
      choiceId: ratingButtonId(5, REF),
      title: '5 stars: excellent',
      contextId: 'wamid.SURVEY',
      id: 'wamid.L1',
      timestamp: sent,
    });
    expect((await post(payload)).statusCode).toBe(200);
    expect(router.routed).toEqual([
      {
        channel: 'whatsapp',
        contactKeys: keys,
        text: '5 stars: excellent',
        eventId: 'whatsapp:wamid.L1',
        at: AT,
        button: { rating: 5, orderRef: REF },
        replyTo: 'wamid.SURVEY',
      },
    ]);
    // The router records the inbound event (and opens the window): the webhook does not record it too.
    expect(recorded).toEqual([]);
  });

  it('a reply button or quick-reply payload that is not ours is plain text', async () => {
    await post(webhookPayloads.inboundChoice({ from: FROM, kind: 'quick_reply', choiceId: 'promo', title: 'Yes!' }));
    await post(
      webhookPayloads.inboundChoice({ from: FROM, kind: 'button_reply', choiceId: ratingButtonId(3, REF), title: '3' }),
    );
    expect(router.routed.map((r) => [r.text, r.button])).toEqual([
      ['Yes!', undefined],
      ['3', { rating: 3, orderRef: REF }],
    ]);
  });

  it('a text goes to the router only; STOP and START stay consent events; media opens the window', async () => {
    await post(webhookPayloads.inboundText({ from: FROM, text: '2 - box damaged', id: 'wamid.T1', timestamp: sent }));
    await post(webhookPayloads.inboundText({ from: FROM, text: 'STOP', id: 'wamid.T2', timestamp: sent }));
    const image = webhookPayloads.inboundText({ from: FROM, text: 'x', id: 'wamid.T3', timestamp: sent });
    const message = (image.entry[0]!.changes[0]!.value as unknown as { messages: Record<string, unknown>[] })
      .messages[0]!;
    delete message.text;
    Object.assign(message, { type: 'image', image: { id: 'media-1', mime_type: 'image/jpeg' } });
    await post(image);
    expect(router.routed).toEqual([
      { channel: 'whatsapp', contactKeys: keys, text: '2 - box damaged', eventId: 'whatsapp:wamid.T1', at: AT },
    ]);
    expect(recorded.map((e) => [e.type, e.eventId])).toEqual([
      ['inbound', 'whatsapp:wamid.T2'],
      ['opt-out', 'whatsapp:wamid.T2:opt-out'],
      ['inbound', 'whatsapp:wamid.T3'],
    ]);
  });

  it('a bad signature changes nothing', async () => {
    const payload = webhookPayloads.inboundText({ from: FROM, text: '5' });
    expect((await post(payload, signWebhook(JSON.stringify(payload), 'other-secret'))).statusCode).toBe(401);
    expect(router.routed).toEqual([]);
    expect(recorded).toEqual([]);
  });
});

describe('Twilio replies', () => {
  const inbound = (body: string, sid: string) => {
    const params = { MessageSid: sid, From: PHONE, To: '+15005550006', Body: body };
    return app.inject({
      method: 'POST',
      url: '/webhooks/twilio/inbound',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(
          TWILIO_TOKEN,
          'https://aftercare.example/webhooks/twilio/inbound',
          params,
        ),
      },
      payload: new URLSearchParams(params).toString(),
    });
  };

  it('HELP and INFO are keywords Twilio answers itself: not routed (no operator message, no acknowledgement)', async () => {
    for (const [body, sid] of [
      ['HELP', 'SMh1'],
      [' info ', 'SMh2'],
    ] as const) {
      expect((await inbound(body, sid)).statusCode).toBe(200);
    }
    expect(router.routed).toEqual([]);
    // The lifecycle still hears that they wrote (channel news, no text).
    expect(recorded.map((e) => [e.type, e.eventId, 'text' in e])).toEqual([
      ['inbound', 'twilio:SMh1', false],
      ['inbound', 'twilio:SMh2', false],
    ]);
    await inbound('help, where is my parcel?', 'SMh3');
    expect(router.routed.map((r) => r.eventId)).toEqual(['twilio:SMh3']);
  });
});
