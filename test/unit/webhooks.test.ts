import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomerEventSink } from '../../src/api/webhooks/sink';
import { registerInboundRoutes } from '../../src/api/webhooks/index';
import { contactKey, splitTelegramLinkId, telegramLinkId, telegramLinkKey } from '../../src/channels/contact-keys';
import type { CustomerEvent } from '../../src/workflows/customer/contract';
import { NotFoundError } from '../../src/errors';
import { deriveKeys } from '../../src/lib/keys';
import { signShortToken, signToken } from '../../src/lib/tokens';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { FAKE_TWILIO_AUTH_TOKEN, twilioSignature } from '../fakes/twilio-server';
import { signWebhook, webhookPayloads } from '../fakes/whatsapp-server';

const SECRET = 'aftercare-test-secret-0123456789';
const KEYS = deriveKeys(SECRET);
const PUBLIC_URL = 'https://aftercare.example';
const NOW = Date.parse('2026-11-02T10:00:00.000Z');
const AT = new Date(NOW).toISOString();
const RESEND_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const TELEGRAM_SECRET = 'tg-webhook-secret_0123';
const WA_APP_SECRET = 'wa-app-secret';
const WA_VERIFY_TOKEN = 'wa-verify-token';
const BRAND = 'Dhaka <Gadgets> & "Co"';

const PHONE = '+447700900123';
const EMAIL = 'ana@example.com';
const CHAT_ID = 424242;
// What a provider reports is about the address it names: events carry that address's key.
const SMS_KEY = contactKey(KEYS.contacts, 'sms', PHONE);
const EMAIL_KEY = contactKey(KEYS.contacts, 'email', EMAIL);
const CHAT_KEY = contactKey(KEYS.contacts, 'telegram', String(CHAT_ID));

/** Records what the lifecycle would receive; knows customers by contact key, like visibility would. */
class RecordingSink implements CustomerEventSink {
  readonly keys = new Map<string, string>();
  readonly recorded: { customerId: string; event: CustomerEvent }[] = [];
  /** Makes every record fail, like Temporal being unreachable. */
  failWith: Error | undefined;

  async findCustomersByContactKeys(keys: string[]): Promise<string[]> {
    return [...new Set(keys.flatMap((key) => (this.keys.has(key) ? [this.keys.get(key)!] : [])))];
  }

  async recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (![...this.keys.values()].includes(customerId)) throw new NotFoundError(`no customer ${customerId}`);
    this.recorded.push({ customerId, event });
  }

  events(): CustomerEvent[] {
    return this.recorded.map((r) => r.event);
  }
}

let sink: RecordingSink;
let app: FastifyInstance;
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  sink = new RecordingSink();
  app = Fastify();
  await registerInboundRoutes(app, {
    sink: {
      findCustomersByContactKeys: (keys) => sink.findCustomersByContactKeys(keys),
      recordCustomerEvent: (id, event) => sink.recordCustomerEvent(id, event),
    },
    keys: KEYS,
    publicUrl: `${PUBLIC_URL}/`,
    brandName: BRAND,
    twilioAuthToken: FAKE_TWILIO_AUTH_TOKEN,
    resendWebhookSecret: RESEND_SECRET,
    telegram: {
      botToken: telegram.token,
      apiRoot: telegram.apiRoot,
      webhookSecret: TELEGRAM_SECRET,
      botInfo: telegram.botInfo,
    },
    whatsapp: { appSecret: WA_APP_SECRET, verifyToken: WA_VERIFY_TOKEN },
    now: () => NOW,
  });
  // A sibling route, as /v1 would be: the webhooks' raw-body parsers must not reach it.
  app.post('/v1/echo', async (request) => ({ body: request.body }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await telegram?.close();
});

beforeEach(() => {
  sink = new RecordingSink();
  telegram.reset();
});

const know = (key: string, customerId: string) => sink.keys.set(key, customerId);

describe('scoping', () => {
  it('keeps the raw-body parsers inside the webhook scope', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/echo', payload: { a: 1 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: { a: 1 } });
  });
});

// -----------------------------------------------------------------------------------------------
// Twilio
// -----------------------------------------------------------------------------------------------
describe('POST /webhooks/twilio/inbound', () => {
  const inbound = (params: Record<string, string>, signature?: string | null) => {
    const sig =
      signature === undefined
        ? twilioSignature(FAKE_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio/inbound`, params)
        : signature;
    return app.inject({
      method: 'POST',
      url: '/webhooks/twilio/inbound',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        ...(sig !== null ? { 'x-twilio-signature': sig } : {}),
      },
      payload: new URLSearchParams(params).toString(),
    });
  };
  const sms = (body: string, sid = `SM${randomBytes(16).toString('hex')}`) => ({
    MessageSid: sid,
    AccountSid: 'AC0123',
    From: PHONE,
    To: '+15005550006',
    Body: body,
    NumMedia: '0',
  });

  it('STOP (any case, padded) records an SMS opt-out and answers empty TwiML', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    const params = sms('  stop ', 'SM1');
    const res = await inbound(params);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    expect(sink.recorded).toEqual([
      {
        customerId: 'cust-1',
        event: {
          type: 'opt-out',
          channel: 'sms',
          scope: 'all',
          source: 'sms',
          eventId: 'twilio:SM1',
          at: AT,
          contactKey: SMS_KEY,
        },
      },
    ]);
  });

  it('finds a customer whose lifecycle still carries the contact key from before subkeys', async () => {
    know(contactKey(KEYS.legacy, 'sms', PHONE), 'cust-old');
    await inbound(sms('STOP', 'SM-legacy'));
    expect(sink.recorded.map((r) => [r.customerId, r.event.type])).toEqual([['cust-old', 'opt-out']]);
  });

  it('START and UNSTOP opt back in; every other opt-out keyword opts out', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    await inbound(sms('START', 'SM2'));
    await inbound(sms('unstop', 'SM3'));
    await inbound(sms('QUIT', 'SM4'));
    expect(sink.events().map((e) => [e.type, e.eventId])).toEqual([
      ['opt-in', 'twilio:SM2'],
      ['opt-in', 'twilio:SM3'],
      ['opt-out', 'twilio:SM4'],
    ]);
    expect(sink.events()[0]).toMatchObject({ channel: 'sms', scope: 'all', source: 'sms' });
  });

  it('"stop please" is not a keyword: inbound only', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    await inbound(sms('stop please', 'SM5'));
    expect(sink.events()).toEqual([{ type: 'inbound', channel: 'sms', source: 'sms', eventId: 'twilio:SM5', at: AT }]);
  });

  it('a replay carries the same event id (the lifecycle drops it)', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    const params = sms('STOP', 'SM6');
    await inbound(params);
    await inbound(params);
    expect(sink.events().map((e) => e.eventId)).toEqual(['twilio:SM6', 'twilio:SM6']);
  });

  it('rejects a bad, missing or wrong-URL signature with 401 and records nothing', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    const params = sms('STOP');
    expect((await inbound(params, null)).statusCode).toBe(401);
    expect((await inbound(params, 'bm9wZQ==')).statusCode).toBe(401);
    const otherUrl = twilioSignature(FAKE_TWILIO_AUTH_TOKEN, 'https://evil.example/webhooks/twilio/inbound', params);
    expect((await inbound(params, otherUrl)).statusCode).toBe(401);
    // Signed, then tampered with.
    const signature = twilioSignature(FAKE_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio/inbound`, params);
    expect((await inbound({ ...params, Body: 'START' }, signature)).statusCode).toBe(401);
    expect(sink.recorded).toEqual([]);
  });

  it('acknowledges an unknown number with 200 and records nothing', async () => {
    const res = await inbound(sms('STOP'));
    expect(res.statusCode).toBe(200);
    expect(sink.recorded).toEqual([]);
  });

  it('answers 500 when the event cannot be recorded, so Twilio retries; the error shows no contact', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    sink.failWith = new Error(`temporal unavailable while signalling for ${PHONE}`);
    const res = await inbound(sms('STOP'));
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('internal');
    expect(res.body).not.toContain(PHONE);
  });
});

describe('POST /webhooks/twilio/status', () => {
  const status = (params: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/twilio/status',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(FAKE_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio/status`, params),
      },
      payload: new URLSearchParams(params).toString(),
    });
  const callback = (MessageStatus: string, ErrorCode?: string) => ({
    MessageSid: 'SM77',
    MessageStatus,
    To: PHONE,
    From: '+15005550006',
    AccountSid: 'AC0123',
    ...(ErrorCode ? { ErrorCode } : {}),
  });

  it('undelivered 30003 → invalid-address; failed 21610 → opted-out; 30007 → undelivered', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    expect((await status(callback('undelivered', '30003'))).statusCode).toBe(200);
    await status(callback('failed', '21610'));
    await status(callback('undelivered', '30007'));
    expect(sink.events()).toEqual([
      {
        type: 'delivery-problem',
        channel: 'sms',
        problem: 'invalid-address',
        source: 'sms',
        eventId: 'twilio-status:SM77:undelivered',
        at: AT,
        contactKey: SMS_KEY,
      },
      {
        type: 'delivery-problem',
        channel: 'sms',
        problem: 'opted-out',
        source: 'sms',
        eventId: 'twilio-status:SM77:failed',
        at: AT,
        contactKey: SMS_KEY,
      },
      {
        type: 'delivery-problem',
        channel: 'sms',
        problem: 'undelivered',
        source: 'sms',
        eventId: 'twilio-status:SM77:undelivered',
        at: AT,
        contactKey: SMS_KEY,
      },
    ]);
  });

  it('ignores other statuses and rejects unsigned callbacks', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-1');
    expect((await status(callback('delivered'))).statusCode).toBe(200);
    const unsigned = await app.inject({
      method: 'POST',
      url: '/webhooks/twilio/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(callback('failed', '21610')).toString(),
    });
    expect(unsigned.statusCode).toBe(401);
    expect(sink.recorded).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------------
// Resend (Svix)
// -----------------------------------------------------------------------------------------------
describe('POST /webhooks/resend', () => {
  const resendEvent = (type: string, data: Record<string, unknown> = {}) =>
    JSON.stringify({
      type,
      created_at: AT,
      data: {
        email_id: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c',
        from: 'Shop <orders@shop.example>',
        to: ['Ana@Example.com'],
        subject: 'Your order',
        ...data,
      },
    });
  const post = (body: string, opts: { id?: string; at?: number; signature?: string | null } = {}) => {
    const id = opts.id ?? `msg_${randomBytes(8).toString('hex')}`;
    const when = new Date(opts.at ?? NOW);
    const signature = opts.signature === undefined ? new Webhook(RESEND_SECRET).sign(id, when, body) : opts.signature;
    return app.inject({
      method: 'POST',
      url: '/webhooks/resend',
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(Math.floor(when.getTime() / 1000)),
        ...(signature !== null ? { 'svix-signature': signature } : {}),
      },
      payload: body,
    });
  };

  it('permanent bounce → hard-bounce, transient → soft-bounce, complaint, suppressed → hard-bounce', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-1');
    const hard = resendEvent('email.bounced', { bounce: { type: 'Permanent', subType: 'General', message: 'x' } });
    expect((await post(hard, { id: 'msg_hard' })).statusCode).toBe(200);
    await post(resendEvent('email.bounced', { bounce: { type: 'Transient', subType: 'MailboxFull' } }), {
      id: 'msg_soft',
    });
    await post(resendEvent('email.complained'), { id: 'msg_complaint' });
    await post(resendEvent('email.suppressed'), { id: 'msg_suppressed' });
    await post(resendEvent('email.delivered'), { id: 'msg_delivered' });
    expect(sink.events()).toEqual([
      {
        type: 'delivery-problem',
        channel: 'email',
        problem: 'hard-bounce',
        source: 'resend',
        eventId: 'resend:msg_hard',
        at: AT,
        contactKey: EMAIL_KEY,
      },
      expect.objectContaining({ problem: 'soft-bounce', eventId: 'resend:msg_soft' }),
      expect.objectContaining({ problem: 'complaint', eventId: 'resend:msg_complaint' }),
      expect.objectContaining({ problem: 'hard-bounce', eventId: 'resend:msg_suppressed' }),
    ]);
  });

  it('a redelivery (same svix-id) carries the same event id', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-1');
    const body = resendEvent('email.complained');
    await post(body, { id: 'msg_again' });
    await post(body, { id: 'msg_again', at: NOW + 60_000 });
    expect(sink.events().map((e) => e.eventId)).toEqual(['resend:msg_again', 'resend:msg_again']);
  });

  it('rejects missing, forged and stale signatures with 401', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-1');
    const body = resendEvent('email.complained');
    expect((await post(body, { signature: null })).statusCode).toBe(401);
    const forged = new Webhook(`whsec_${randomBytes(24).toString('base64')}`).sign('msg_1', new Date(NOW), body);
    expect((await post(body, { id: 'msg_1', signature: forged })).statusCode).toBe(401);
    expect((await post(body, { at: NOW - 6 * 60_000 })).statusCode).toBe(401);
    expect((await post(body, { at: NOW + 6 * 60_000 })).statusCode).toBe(401);
    // Signed over other bytes: the same JSON re-serialized with a space does not verify.
    const signature = new Webhook(RESEND_SECRET).sign('msg_2', new Date(NOW), body);
    expect((await post(body.replace('{', '{ '), { id: 'msg_2', signature })).statusCode).toBe(401);
    expect(sink.recorded).toEqual([]);
  });

  it('accepts one valid signature among several (key rotation)', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-1');
    const body = resendEvent('email.complained');
    const good = new Webhook(RESEND_SECRET).sign('msg_rot', new Date(NOW), body);
    const res = await post(body, { id: 'msg_rot', signature: `v1,bm9wZQ== ${good}` });
    expect(res.statusCode).toBe(200);
    expect(sink.events()).toHaveLength(1);
  });

  it('acknowledges an unknown address with 200', async () => {
    const res = await post(resendEvent('email.bounced', { bounce: { type: 'Permanent' } }));
    expect(res.statusCode).toBe(200);
    expect(sink.recorded).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------------
// Telegram
// -----------------------------------------------------------------------------------------------
describe('POST /webhooks/telegram', () => {
  let updateId = 1000;
  const command = (text: string, chatId = CHAT_ID) => ({
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: Math.floor(NOW / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Ana' },
      from: { id: chatId, is_bot: false, first_name: 'Ana' },
      text,
      entities: [{ offset: 0, length: (text.split(' ')[0] ?? text).length, type: 'bot_command' }],
    },
  });
  const kicked = (chatId = CHAT_ID) => {
    const bot = { id: telegram.botInfo.id, is_bot: true, first_name: 'Aftercare', username: telegram.botInfo.username };
    return {
      update_id: ++updateId,
      my_chat_member: {
        chat: { id: chatId, type: 'private', first_name: 'Ana' },
        from: { id: chatId, is_bot: false, first_name: 'Ana' },
        date: Math.floor(NOW / 1000),
        old_chat_member: { user: bot, status: 'member' },
        new_chat_member: { user: bot, status: 'kicked', until_date: 0 },
      },
    };
  };
  const post = (update: unknown, secret: string | null = TELEGRAM_SECRET) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/telegram',
      headers: {
        'content-type': 'application/json',
        ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}),
      },
      payload: JSON.stringify(update),
    });
  const linkToken = (customerId: string, expiresAt = NOW + 3_600_000) =>
    signShortToken(KEYS.links, 'telegram-link', telegramLinkId(KEYS.contacts, customerId), expiresAt);
  const replies = () => telegram.sent.map((m) => ({ chat: m.chat_id, text: m.text }));

  it('/start <valid link token> links the chat, opts in, and says so', async () => {
    know(telegramLinkKey(KEYS.contacts, 'cust-tg'), 'cust-tg');
    const token = linkToken('cust-tg');
    const update = command(`/start ${token}`);
    const res = await post(update);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(sink.recorded).toEqual([
      {
        customerId: 'cust-tg',
        event: {
          type: 'telegram-linked',
          chatId: String(CHAT_ID),
          linkToken: token,
          contactKey: CHAT_KEY,
          linkId: telegramLinkId(KEYS.contacts, 'cust-tg'),
          source: 'telegram',
          eventId: `telegram:${CHAT_ID}:${update.message.message_id}:linked`,
          at: AT,
        },
      },
      // Linking is the opt-in: one event, which the lifecycle applies only for a link not used before.
    ]);
    expect(replies()).toEqual([
      { chat: CHAT_ID, text: "You're connected: order updates will arrive here. Send /stop to stop." },
    ]);

    // Telegram redelivers the same update: same ids.
    await post(update);
    expect(sink.events().map((e) => e.eventId)).toEqual([
      `telegram:${CHAT_ID}:${update.message.message_id}:linked`,
      `telegram:${CHAT_ID}:${update.message.message_id}:linked`,
    ]);
  });

  it("a link minted in one order's message finds its customer and names that order (its chat serves the order)", async () => {
    know(telegramLinkKey(KEYS.contacts, 'cust-tg'), 'cust-tg');
    const id = telegramLinkId(KEYS.contacts, 'cust-tg', 'A-1001');
    expect(id).toHaveLength(16);
    const token = signShortToken(KEYS.links, 'telegram-link', id, NOW + 3_600_000);
    await post(command(`/start ${token}`));
    expect(sink.events()).toEqual([
      expect.objectContaining({ type: 'telegram-linked', linkId: id, contactKey: CHAT_KEY }),
    ]);
    expect(splitTelegramLinkId(id)).toEqual({
      customerPart: telegramLinkId(KEYS.contacts, 'cust-tg'),
      orderTag: id.slice(12),
    });
  });

  it('an expired or forged link token records nothing and asks for a new link', async () => {
    know(telegramLinkKey(KEYS.contacts, 'cust-tg'), 'cust-tg');
    await post(command(`/start ${linkToken('cust-tg', NOW - 1000)}`));
    const forged = signShortToken(
      'another-secret',
      'telegram-link',
      telegramLinkId(KEYS.contacts, 'cust-tg'),
      NOW + 60_000,
    );
    await post(command(`/start ${forged}`));
    expect(sink.recorded).toEqual([]);
    expect(replies()).toEqual([
      { chat: CHAT_ID, text: 'This link has expired. Ask for a new one.' },
      { chat: CHAT_ID, text: 'This link has expired. Ask for a new one.' },
    ]);
  });

  it('/stop opts the chat out; a bare /start opts back in; blocking the bot opts out without a reply', async () => {
    know(contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)), 'cust-tg');
    const stop = command('/stop');
    await post(stop);
    const start = command('/start');
    await post(start);
    const block = kicked();
    await post(block);
    expect(sink.events()).toEqual([
      {
        type: 'opt-out',
        channel: 'telegram',
        scope: 'all',
        source: 'telegram',
        eventId: `telegram:${CHAT_ID}:${stop.message.message_id}`,
        at: AT,
        contactKey: CHAT_KEY,
      },
      {
        type: 'opt-in',
        channel: 'telegram',
        scope: 'all',
        source: 'telegram',
        eventId: `telegram:${CHAT_ID}:${start.message.message_id}`,
        at: AT,
        contactKey: CHAT_KEY,
      },
      expect.objectContaining({
        type: 'opt-out',
        eventId: `telegram-member:${CHAT_ID}:${block.my_chat_member.date}`,
      }),
    ]);
    expect(replies()).toEqual([
      { chat: CHAT_ID, text: 'You will get no more messages here. Send /start to resume.' },
      { chat: CHAT_ID, text: "You're connected: order updates will arrive here. Send /stop to stop." },
    ]);
  });

  it('an unknown chat gets a reply and nothing is recorded', async () => {
    expect((await post(command('/stop', 777))).statusCode).toBe(200);
    expect((await post(command('/start', 777))).statusCode).toBe(200);
    expect(sink.recorded).toEqual([]);
    expect(replies()).toEqual([
      { chat: 777, text: 'You will get no more messages here. Send /start to resume.' },
      { chat: 777, text: 'To get order updates here, open the Telegram link from your order confirmation.' },
    ]);
  });

  it('rejects a missing or wrong secret token with 403 before touching the bot', async () => {
    know(contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)), 'cust-tg');
    expect((await post(command('/stop'), null)).statusCode).toBe(403);
    expect((await post(command('/stop'), 'wrong')).statusCode).toBe(403);
    expect(sink.recorded).toEqual([]);
    expect(telegram.requests).toEqual([]);
  });

  it('answers 400 to an update Telegram would never send, and records nothing (found by the fuzz drill)', async () => {
    know(contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)), 'cust-tg');
    const good = command('/stop');
    const { message: m } = good;
    // Each was a 500 (telegraf or our handler threw on it): a malformed update is the sender's to fix, not a retry.
    const malformed: unknown[] = [
      { update_id: 2479, message: 352324239 },
      { update_id: 2102, message: '9999-12-31T23:59:59Z' },
      { update_id: 25, message: { ...m, text: { a: 1 } } },
      { update_id: 513, message: { ...m, from: { id: '<script>', is_bot: false, first_name: 'x' }, text: 1439345371 } },
      { update_id: 1137, message: { message_id: 1, date: m.date, from: m.from, text: 'hello' } },
      { update_id: 2416, message: { ...m, from: 'someone' } },
      { update_id: 2612, message: { ...m, date: 9.744914325764426e64 } },
      { update_id: 1e308, message: m },
      { update_id: 7, callback_query: 'data' },
      { update_id: 8, my_chat_member: { chat: m.chat, date: m.date } },
    ];
    for (const update of malformed) {
      const res = await post(update);
      expect(res.statusCode, JSON.stringify(update)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'bad_request' } });
    }
    expect(sink.recorded).toEqual([]);
    expect(telegram.sent).toEqual([]);
    // The same update well-formed still works.
    expect((await post(good)).statusCode).toBe(200);
    expect(sink.events()).toHaveLength(1);
  });

  it('acknowledges when Telegram refuses the reply (chat blocked) after the event was recorded', async () => {
    know(contactKey(KEYS.contacts, 'telegram', String(CHAT_ID)), 'cust-tg');
    telegram.blockChat(CHAT_ID);
    const res = await post(command('/stop'));
    expect(res.statusCode).toBe(200);
    expect(sink.events()).toHaveLength(1);
  });
});

// -----------------------------------------------------------------------------------------------
// WhatsApp
// -----------------------------------------------------------------------------------------------
describe('/webhooks/whatsapp', () => {
  const WA_FROM = PHONE.slice(1);
  const post = (payload: unknown, signature?: string | null) => {
    const body = JSON.stringify(payload);
    const sig = signature === undefined ? signWebhook(body, WA_APP_SECRET) : signature;
    return app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', ...(sig !== null ? { 'x-hub-signature-256': sig } : {}) },
      payload: body,
    });
  };

  it('answers the subscription challenge, or 403 for a wrong token', async () => {
    const ok = await app.inject({
      method: 'GET',
      url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY_TOKEN}&hub.challenge=1158201444`,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.body).toBe('1158201444');
    const bad = await app.inject({
      method: 'GET',
      url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444',
    });
    expect(bad.statusCode).toBe(403);
  });

  it('a signed text opens the window (inbound); STOP also opts out', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-wa');
    // Events carry the customer's own time, as Meta reports it.
    const sent = String(NOW / 1000);
    await post(
      webhookPayloads.inboundText({ from: WA_FROM, text: 'Where is my order?', id: 'wamid.A', timestamp: sent }),
    );
    await post(webhookPayloads.inboundText({ from: WA_FROM, text: 'Stop', id: 'wamid.B', timestamp: sent }));
    expect(sink.recorded).toEqual([
      {
        customerId: 'cust-wa',
        event: { type: 'inbound', channel: 'whatsapp', source: 'whatsapp', eventId: 'whatsapp:wamid.A', at: AT },
      },
      {
        customerId: 'cust-wa',
        event: { type: 'inbound', channel: 'whatsapp', source: 'whatsapp', eventId: 'whatsapp:wamid.B', at: AT },
      },
      {
        customerId: 'cust-wa',
        event: {
          type: 'opt-out',
          channel: 'whatsapp',
          scope: 'all',
          source: 'whatsapp',
          eventId: 'whatsapp:wamid.B:opt-out',
          at: AT,
          contactKey: SMS_KEY,
        },
      },
    ]);
  });

  it('a failed status: 131026 → invalid-address, 131047 (outside the window) → undelivered', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-wa');
    const failed = webhookPayloads.status({ id: 'wamid.S1', recipientId: WA_FROM, status: 'failed' });
    await post(failed);
    await post(failed);
    await post(
      webhookPayloads.status({
        id: 'wamid.S2',
        recipientId: WA_FROM,
        status: 'failed',
        error: { code: 131047, title: 'Re-engagement message' },
      }),
    );
    await post(webhookPayloads.status({ id: 'wamid.S3', recipientId: WA_FROM, status: 'delivered' }));
    expect(sink.events()).toEqual([
      {
        type: 'delivery-problem',
        channel: 'whatsapp',
        problem: 'invalid-address',
        source: 'whatsapp',
        eventId: 'whatsapp:wamid.S1:failed',
        at: AT,
        contactKey: SMS_KEY,
      },
      expect.objectContaining({ eventId: 'whatsapp:wamid.S1:failed' }),
      expect.objectContaining({ problem: 'undelivered', eventId: 'whatsapp:wamid.S2:failed' }),
    ]);
  });

  it('rejects a missing or wrong signature with 401', async () => {
    know(contactKey(KEYS.contacts, 'sms', PHONE), 'cust-wa');
    const payload = webhookPayloads.inboundText({ from: WA_FROM, text: 'STOP' });
    expect((await post(payload, null)).statusCode).toBe(401);
    expect((await post(payload, signWebhook(JSON.stringify(payload), 'other-secret'))).statusCode).toBe(401);
    expect(sink.recorded).toEqual([]);
  });

  it('acknowledges an unknown number with 200', async () => {
    const res = await post(webhookPayloads.inboundText({ from: '15550001111', text: 'STOP' }));
    expect(res.statusCode).toBe(200);
    expect(sink.recorded).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------------
// Unsubscribe
// -----------------------------------------------------------------------------------------------
describe('/unsubscribe/:token', () => {
  const token = (customerId = 'cust-mail', expiresAt = NOW + 30 * 86_400_000) =>
    signToken(KEYS.links, 'unsubscribe', { c: customerId }, { expiresAt });
  const oneClick = (t: string) =>
    app.inject({
      method: 'POST',
      url: `/unsubscribe/${t}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });

  it('GET shows a confirmation form (and records nothing), with the brand name escaped', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-mail');
    const t = token();
    expect(t.length).toBeGreaterThan(100); // beyond Fastify's default parameter length
    const res = await app.inject({ method: 'GET', url: `/unsubscribe/${t}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain('<form method="post">');
    expect(res.body).toContain('Dhaka &lt;Gadgets&gt; &amp; &quot;Co&quot;');
    expect(res.body).not.toContain(BRAND);
    expect(sink.recorded).toEqual([]);
  });

  it('GET with a forged or expired token: 400 "not valid any more"', async () => {
    const forged = `${token().split('.')[0]}.${'A'.repeat(43)}`;
    for (const t of [forged, token('cust-mail', NOW - 1000), 'garbage']) {
      const res = await app.inject({ method: 'GET', url: `/unsubscribe/${t}` });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('This link is not valid any more');
    }
  });

  it('one-click POST opts out of marketing everywhere; a repeat has the same event id', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-mail');
    const t = token();
    const res = await oneClick(t);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('You are unsubscribed from offers');
    expect(res.body).toContain('Order updates will still reach you');
    await oneClick(t);
    const [first, second] = sink.recorded;
    expect(first).toEqual({
      customerId: 'cust-mail',
      event: {
        type: 'opt-out',
        channel: 'all',
        scope: 'marketing',
        source: 'email-unsubscribe',
        eventId: expect.stringMatching(/^unsubscribe:[0-9a-f]{64}$/),
        at: AT,
      },
    });
    expect(second?.event.eventId).toBe(first?.event.eventId);
  });

  it('the page form (multipart from some mail clients) works too', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-mail');
    const boundary = '----aftercare';
    const res = await app.inject({
      method: 'POST',
      url: `/unsubscribe/${token()}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expect(res.statusCode).toBe(200);
    expect(sink.recorded).toHaveLength(1);
  });

  it('POST with a forged or expired token: 400 and nothing recorded', async () => {
    know(contactKey(KEYS.contacts, 'email', EMAIL), 'cust-mail');
    expect((await oneClick(token('cust-mail', NOW - 1))).statusCode).toBe(400);
    const otherPurpose = signToken(KEYS.links, 'survey', { c: 'cust-mail' }, { expiresAt: NOW + 60_000 });
    expect((await oneClick(otherPurpose)).statusCode).toBe(400);
    expect(sink.recorded).toEqual([]);
  });

  it('an unknown customer still gets the neutral confirmation', async () => {
    const res = await oneClick(token('cust-gone'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('You are unsubscribed from offers');
    expect(sink.recorded).toEqual([]);
  });
});
