import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatUnreachableError, TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import { createTelegramBot, handleTelegramUpdate } from '../../src/channels/telegram/telegraf/bot';
import { isValidStartPayload, telegramDeepLink } from '../../src/channels/telegram/deep-link';
import { ratingButtons } from '../../src/channels/replies';
import { type OutgoingMessage, type TextContent } from '../../src/channels/types';
import {
  DeliveryError,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../src/channels/errors';
import { type FakeTelegram, startFakeTelegram, telegramFailures } from '../fakes/telegram-server';

const CHAT_ID = '987654321';

function message(overrides: Partial<TextContent> = {}): OutgoingMessage<TextContent> {
  return {
    idempotencyKey: 'wf-order-123/shipped/telegram',
    content: { channel: 'telegram', to: CHAT_ID, text: 'Your order <#123> has shipped & is on its way', ...overrides },
    meta: { kind: 'order.shipped', workflowId: 'wf-order-123', messageKey: 'shipped', locale: 'en' },
  };
}

async function sendError(adapter: TelegramAdapter, msg = message()): Promise<DeliveryError> {
  const err = await adapter.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  const delivery = err as DeliveryError;
  // The chat id is PII and the token a secret: neither may reach logs.
  expect(delivery.message).not.toContain(CHAT_ID);
  expect(delivery.message).not.toContain(':AAFake');
  expect(delivery.cause).toBeUndefined();
  return delivery;
}

/** A port that was just free: nothing listens there, so connecting fails. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('TelegramAdapter against a fake Bot API', () => {
  let fake: FakeTelegram;
  let adapter: TelegramAdapter;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    adapter = new TelegramAdapter({ botToken: fake.token, apiRoot: fake.apiRoot });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('sends plain text with link previews off and returns the message id', async () => {
    const result = await adapter.send(message());

    expect(adapter.channel).toBe('telegram');
    expect(adapter.provider).toBe('telegram');
    expect(result).toEqual({ provider: 'telegram', providerMessageId: '1' });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.httpMethod).toBe('POST');
    expect(req.path).toBe(`/bot${fake.token}/sendMessage`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.params).toEqual({
      chat_id: CHAT_ID,
      text: 'Your order <#123> has shipped & is on its way',
      link_preview_options: { is_disabled: true },
    });

    expect(fake.sent).toEqual([
      {
        message_id: 1,
        chat_id: Number(CHAT_ID),
        text: 'Your order <#123> has shipped & is on its way',
        link_preview_options: { is_disabled: true },
        date: expect.any(Number),
      },
    ]);
    // No idempotency: a second send is a second message.
    await expect(adapter.send(message())).resolves.toEqual({ provider: 'telegram', providerMessageId: '2' });
    expect(fake.sent).toHaveLength(2);
  });

  it('one-tap answers go as an inline keyboard, a button per row, the id as callback_data', async () => {
    const buttons = ratingButtons('en', 'abcdefghijkl');
    await expect(adapter.send(message({ text: 'How did we do? Reply 1-5', buttons }))).resolves.toEqual({
      provider: 'telegram',
      providerMessageId: '1',
    });
    const keyboard = buttons.map((b) => [{ text: b.title, callback_data: b.id }]);
    expect(fake.requests[0]?.params).toEqual({
      chat_id: CHAT_ID,
      text: 'How did we do? Reply 1-5',
      link_preview_options: { is_disabled: true },
      reply_markup: { inline_keyboard: keyboard },
    });
    expect(fake.sent[0]?.reply_markup).toEqual({ inline_keyboard: keyboard });
    expect(keyboard[0]).toEqual([{ text: '5 stars: excellent', callback_data: 'rate:5:abcdefghijkl' }]);
    // No buttons, no keyboard.
    await adapter.send(message({ buttons: [] }));
    expect(fake.requests[1]?.params).not.toHaveProperty('reply_markup');
  });

  it('callback data over 64 bytes is refused like the Bot API does (permanent)', async () => {
    const err = await sendError(adapter, message({ buttons: [{ id: 'x'.repeat(65), title: 'X' }] }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toContain('BUTTON_DATA_INVALID');
    expect(fake.sent).toEqual([]);
  });

  it('keeps a path prefix in apiRoot', async () => {
    const prefixed = new TelegramAdapter({ botToken: fake.token, apiRoot: `${fake.apiRoot}/tg` });
    await sendError(prefixed);
    expect(fake.requests[0]?.path).toBe(`/tg/bot${fake.token}/sendMessage`);
  });

  it('a blocked chat is ChatUnreachableError (permanent)', async () => {
    fake.blockChat(CHAT_ID);
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ChatUnreachableError);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.retry).toBe('never');
    expect(err.status).toBe(403);
    expect((err as ChatUnreachableError).reason).toBe('blocked');
    expect(err.message).toBe('telegram: 403: Forbidden: bot was blocked by the user');
    expect(fake.sent).toHaveLength(0);
  });

  it('other 403s (deactivated, never started) are ChatUnreachableError too', async () => {
    fake.failNext(1, telegramFailures.userDeactivated());
    fake.failNext(1, telegramFailures.cantInitiate());
    expect(await sendError(adapter)).toMatchObject({ reason: 'deactivated', status: 403 });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ChatUnreachableError);
    expect((err as ChatUnreachableError).reason).toBe('not_started');
  });

  it('chat not found is ChatUnreachableError', async () => {
    fake.failNext(1, telegramFailures.chatNotFound());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ChatUnreachableError);
    expect(err.status).toBe(400);
    expect((err as ChatUnreachableError).reason).toBe('chat_not_found');
  });

  it('a chat id that is not numeric is unreachable without calling the API', async () => {
    const err = await sendError(adapter, message({ to: '+491701234567' }));
    expect(err).toBeInstanceOf(ChatUnreachableError);
    expect((err as ChatUnreachableError).reason).toBe('invalid_chat_id');
    expect(err.message).not.toContain('491701234567');
    expect(fake.requests).toHaveLength(0);
  });

  it('other 400s are permanent but not unreachable', async () => {
    const err = await sendError(adapter, message({ text: 'x'.repeat(4097) }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err).not.toBeInstanceOf(ChatUnreachableError);
    expect(err.status).toBe(400);
    expect(err.message).toContain('message is too long');

    // sendError also asserts the chat id never reaches the message.
    fake.failNext(1, {
      status: 400,
      body: { ok: false, error_code: 400, description: `Bad Request: peer ${CHAT_ID}` },
    });
    expect((await sendError(adapter)).message).toBe('telegram: 400: Bad Request: peer [chat]');
  });

  it('429 with retry_after 2 is throttled for 2000 ms, and the retry succeeds', async () => {
    fake.failNext(1, telegramFailures.tooManyRequests(2));
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.retry).toBe('after-delay');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(2000);
    expect(err.status).toBe(429);

    await adapter.send(message());
    expect(fake.sent).toHaveLength(1);
  });

  it('a 502 from the proxy is transient', async () => {
    fake.failNext(1, telegramFailures.serverError());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retry).toBe('backoff');
    expect(err.status).toBe(502);
    expect(err.message).toBe('telegram: 502: Bad Gateway');
  });

  it('a wrong token (401) is transient: an operator fix, not the recipient', async () => {
    const wrong = new TelegramAdapter({ botToken: '42:wrong-token', apiRoot: fake.apiRoot });
    const err = await sendError(wrong);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBe(401);
    expect(err.message).not.toContain('wrong-token');
  });

  it('a refused connection is transient and keeps the system error code', async () => {
    const port = await closedPort();
    const offline = new TelegramAdapter({ botToken: fake.token, apiRoot: `http://127.0.0.1:${port}` });
    const err = await sendError(offline);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).not.toContain(fake.token);
  });

  it('a hung request times out as transient', async () => {
    fake.setLatency(300);
    const impatient = new TelegramAdapter({ botToken: fake.token, apiRoot: fake.apiRoot, timeoutMs: 50 });
    const err = await sendError(impatient);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.code).toBe('timeout');
  });

  it('a non-JSON 4xx (misrouted apiRoot) is transient without leaking the token', async () => {
    fake.failNext(1, { status: 404, body: '<html>not here</html>' });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.code).toBe('invalid-json');
    expect(err.message).not.toContain(fake.token);
  });

  it('rejects an empty token and a malformed apiRoot up front', () => {
    expect(() => new TelegramAdapter({ botToken: '' })).toThrow(/botToken/);
    expect(() => new TelegramAdapter({ botToken: fake.token, apiRoot: 'not a url' })).toThrow();
  });
});

describe('telegramDeepLink', () => {
  it('builds a t.me start link', () => {
    expect(telegramDeepLink('aftercare_bot', 'abc-DEF_123')).toBe('https://t.me/aftercare_bot?start=abc-DEF_123');
    expect(telegramDeepLink('@AftercareBot', 'x')).toBe('https://t.me/AftercareBot?start=x');
    expect(telegramDeepLink('a_bot', 'p'.repeat(64))).toBe(`https://t.me/a_bot?start=${'p'.repeat(64)}`);
  });

  it('rejects payloads that Telegram would not carry', () => {
    for (const bad of ['', 'p'.repeat(65), 'has space', 'a+b', 'a=b', 'a/b', 'ü', 'a.b']) {
      expect(isValidStartPayload(bad)).toBe(false);
      expect(() => telegramDeepLink('aftercare_bot', bad)).toThrow(RangeError);
    }
  });

  it('rejects usernames that are not bot usernames', () => {
    expect(() => telegramDeepLink('aftercare', 'x')).toThrow(RangeError);
    expect(() => telegramDeepLink('bot', 'x')).toThrow(RangeError);
    expect(() => telegramDeepLink('evil/bot?x=', 'x')).toThrow(RangeError);
  });
});

describe('createTelegramBot + handleTelegramUpdate', () => {
  let fake: FakeTelegram;
  let updateId = 0;
  const CUSTOMER_CHAT = 555_000_111;

  beforeAll(async () => {
    fake = await startFakeTelegram();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  function handlers() {
    return {
      onStart: vi.fn(
        async (_ctx: { chatId: string; payload: string | undefined }) =>
          'Linked: you will get order updates here.' as string | undefined,
      ),
      onStop: vi.fn(async (_chatId: string) => 'Stopped. Send /start to resume.' as string | undefined),
    };
  }

  function makeBot(h: ReturnType<typeof handlers>, withBotInfo = true) {
    return createTelegramBot({
      botToken: fake.token,
      apiRoot: fake.apiRoot,
      ...(withBotInfo ? { botInfo: fake.botInfo } : {}),
      ...h,
    });
  }

  function commandUpdate(text: string, chatId = CUSTOMER_CHAT, chatType: 'private' | 'group' = 'private') {
    const command = text.split(' ')[0] ?? text;
    const chat =
      chatType === 'private'
        ? { id: chatId, type: 'private', first_name: 'Ana' }
        : { id: chatId, type: 'group', title: 'G' };
    return {
      update_id: ++updateId,
      message: {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: { id: Math.abs(chatId), is_bot: false, first_name: 'Ana' },
        text,
        entities: [{ offset: 0, length: command.length, type: 'bot_command' }],
      },
    };
  }

  function myChatMemberUpdate(status: 'kicked' | 'member', chatId = CUSTOMER_CHAT) {
    const bot = {
      id: fake.botInfo.id,
      is_bot: true,
      first_name: fake.botInfo.first_name,
      username: fake.botInfo.username,
    };
    return {
      update_id: ++updateId,
      my_chat_member: {
        chat: { id: chatId, type: 'private', first_name: 'Ana' },
        from: { id: chatId, is_bot: false, first_name: 'Ana' },
        date: Math.floor(Date.now() / 1000),
        old_chat_member: {
          user: bot,
          status: status === 'kicked' ? 'member' : 'kicked',
          ...(status === 'member' ? { until_date: 0 } : {}),
        },
        new_chat_member: { user: bot, status, ...(status === 'kicked' ? { until_date: 0 } : {}) },
      },
    };
  }

  it('/start <payload> calls onStart with chat id and payload and replies through the fake API', async () => {
    const h = handlers();
    const bot = makeBot(h);
    await handleTelegramUpdate(bot, commandUpdate('/start link_Tok-123'));

    expect(h.onStart).toHaveBeenCalledWith({ chatId: String(CUSTOMER_CHAT), payload: 'link_Tok-123' });
    expect(h.onStop).not.toHaveBeenCalled();
    // botInfo was given, so no getMe: the only call is the reply.
    expect(fake.requests.map((r) => r.apiMethod)).toEqual(['sendMessage']);
    expect(fake.sent).toEqual([
      expect.objectContaining({
        chat_id: CUSTOMER_CHAT,
        text: 'Linked: you will get order updates here.',
        link_preview_options: { is_disabled: true },
      }),
    ]);
  });

  it('/start without or with an invalid payload passes undefined; no reply when onStart returns none', async () => {
    const h = handlers();
    h.onStart.mockResolvedValue(undefined);
    const bot = makeBot(h);
    await handleTelegramUpdate(bot, commandUpdate('/start'));
    await handleTelegramUpdate(bot, commandUpdate('/start not a token!'));
    await handleTelegramUpdate(bot, commandUpdate(`/start@${fake.botInfo.username} tok`));

    expect(h.onStart.mock.calls.map(([ctx]) => ctx.payload)).toEqual([undefined, undefined, 'tok']);
    expect(fake.sent).toHaveLength(0);
  });

  it('/stop calls onStop with the chat id and replies', async () => {
    const h = handlers();
    await handleTelegramUpdate(makeBot(h), commandUpdate('/stop'));

    expect(h.onStop).toHaveBeenCalledWith(String(CUSTOMER_CHAT));
    expect(fake.sent).toEqual([
      expect.objectContaining({ chat_id: CUSTOMER_CHAT, text: 'Stopped. Send /start to resume.' }),
    ]);
  });

  it('a my_chat_member "kicked" update (user blocked the bot) calls onStop without replying', async () => {
    const h = handlers();
    const bot = makeBot(h);
    await handleTelegramUpdate(bot, myChatMemberUpdate('kicked'));
    expect(h.onStop).toHaveBeenCalledWith(String(CUSTOMER_CHAT));
    expect(fake.requests).toHaveLength(0);

    await handleTelegramUpdate(bot, myChatMemberUpdate('member'));
    expect(h.onStop).toHaveBeenCalledTimes(1);
  });

  it('ignores commands in group chats and other commands', async () => {
    const h = handlers();
    const bot = makeBot(h);
    await handleTelegramUpdate(bot, commandUpdate('/start tok', -4242, 'group'));
    await handleTelegramUpdate(bot, commandUpdate('/stop', -4242, 'group'));
    await handleTelegramUpdate(bot, commandUpdate('/help'));
    await handleTelegramUpdate(bot, commandUpdate(`/start@someone_elses_bot tok`));
    expect(h.onStart).not.toHaveBeenCalled();
    expect(h.onStop).not.toHaveBeenCalled();
    expect(fake.requests).toHaveLength(0);
  });

  it('without botInfo, getMe is called once; a failed getMe only fails that update', async () => {
    const h = handlers();
    const bot = makeBot(h, false);
    fake.failNext(1, telegramFailures.serverError(), { method: 'getMe' });
    await expect(handleTelegramUpdate(bot, commandUpdate('/start tok'))).rejects.toThrow(/502/);
    expect(h.onStart).not.toHaveBeenCalled();

    await handleTelegramUpdate(bot, commandUpdate('/start tok'));
    await handleTelegramUpdate(bot, commandUpdate('/stop'));
    expect(h.onStart).toHaveBeenCalledTimes(1);
    expect(fake.requests.map((r) => r.apiMethod)).toEqual(['getMe', 'getMe', 'sendMessage', 'sendMessage']);
  });

  it('rejects when the reply fails or a handler throws, and never console.errors the update', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const h = handlers();
      const bot = makeBot(h);
      fake.blockChat(CUSTOMER_CHAT);
      await expect(handleTelegramUpdate(bot, commandUpdate('/start tok'))).rejects.toThrow(/blocked/);

      h.onStop.mockRejectedValue(new Error('db down'));
      await expect(handleTelegramUpdate(bot, myChatMemberUpdate('kicked'))).rejects.toThrow('db down');
      expect(consoleError).not.toHaveBeenCalled();
      expect(process.exitCode).not.toBe(1);
    } finally {
      consoleError.mockRestore();
    }
  });

  it('rejects things that are not updates', async () => {
    const bot = makeBot(handlers());
    await expect(handleTelegramUpdate(bot, null)).rejects.toThrow(TypeError);
    await expect(handleTelegramUpdate(bot, { message: {} })).rejects.toThrow(TypeError);
  });
});

describe('fake Bot API protocol', () => {
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await startFakeTelegram();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('accepts form bodies and query strings, and rejects a wrong token with 401', async () => {
    const base = `${fake.apiRoot}/bot${fake.token}`;
    const form = await fetch(`${base}/sendmessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: '7', text: 'hi', link_preview_options: '{"is_disabled":true}' }),
    });
    expect(await form.json()).toMatchObject({
      ok: true,
      result: { message_id: 1, chat: { id: 7, type: 'private' }, text: 'hi' },
    });
    expect(fake.sent.at(-1)?.link_preview_options).toEqual({ is_disabled: true });

    const query = await fetch(`${base}/getMe`);
    expect(await query.json()).toEqual({ ok: true, result: fake.botInfo });

    const empty = await fetch(`${base}/sendMessage?chat_id=7`);
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: message text is empty',
    });

    const unauthorized = await fetch(`${fake.apiRoot}/bot1:nope/getMe`);
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });

    const webhook = await fetch(`${base}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.org/tg', secret_token: 's3cret' }),
    });
    expect(await webhook.json()).toEqual({ ok: true, result: true, description: 'Webhook was set' });
    expect(fake.webhook).toEqual({ url: 'https://example.org/tg', secret_token: 's3cret' });
    await fetch(`${base}/deleteWebhook`, { method: 'POST' });
    expect(fake.webhook).toBeUndefined();
  });
});
