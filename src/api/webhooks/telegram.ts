import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TelegramError } from 'telegraf';
import type { UserFromGetMe } from 'telegraf/types';
import { createTelegramBot, handleTelegramUpdate, verifySecretToken } from '../../channels/telegram/telegraf/bot';
import { telegramUpdateSchema } from '../../channels/telegram/telegraf/update';
import { contactKey, splitTelegramLinkId } from '../../channels/contact-keys';
import { keywordOf, OPT_OUT_KEYWORDS } from '../../channels/keywords';
import { ratingThanks, readRatingButton } from '../../channels/replies';
import { parseJson } from '../../lib/http';
import { describeError } from '../../lib/redact';
import { readTelegramLink } from '../../messages/links';
import type { CustomerEvent } from '../../workflows/customer/contract';
import { badRequest, headerOf, type InboundContext, rawOf, keysOfContact } from './context';
import type { InboundReply } from '../../gateway/inbound-reply';
import { recordForContact } from './sink';

export interface TelegramWebhookOptions {
  botToken: string;
  apiRoot?: string;
  webhookSecret: string;
  botInfo?: UserFromGetMe;
}

const CONNECTED = "You're connected: order updates will arrive here. Send /stop to stop.";
const EXPIRED = 'This link has expired. Ask for a new one.';
const STOPPED = 'You will get no more messages here. Send /start to resume.';
const NOT_LINKED = 'To get order updates here, open the Telegram link from your order confirmation.';

/**
 * Bot updates: /start (with a deep-link token: link the chat; bare: resubscribe), /stop and blocks; and what the
 * customer writes back or taps (a rating button), handed to the reply router, which records it on their lifecycle.
 */
export function telegramWebhooks(app: FastifyInstance, ctx: InboundContext, tg: TelegramWebhookOptions): void {
  if (!tg.webhookSecret) throw new Error('webhookRoutes: telegram.webhookSecret is required');
  const { sink, keys } = ctx;
  // The bot is shared; the update being handled travels with the async context.
  const current = new AsyncLocalStorage<{ request: FastifyRequest; eventId: string; at: string }>();
  const context = () => {
    const store = current.getStore();
    if (!store) throw new Error('telegram handler ran outside a webhook request');
    return store;
  };

  const bot = createTelegramBot({
    botToken: tg.botToken,
    apiRoot: tg.apiRoot,
    botInfo: tg.botInfo,
    async onStart({ chatId, payload }) {
      const { request, eventId, at } = context();
      if (payload === undefined) {
        // A bare /start from a linked chat: resubscribe after /stop.
        const optIn: CustomerEvent = {
          type: 'opt-in',
          channel: 'telegram',
          scope: 'all',
          source: 'telegram',
          eventId,
          at,
        };
        const ok = await recordForContact(sink, request, keysOfContact(ctx.keys, 'telegram', chatId), [optIn]);
        return ok ? CONNECTED : NOT_LINKED;
      }
      const link = readTelegramLink(keys, payload, ctx.now());
      if (!link.ok) return EXPIRED;
      const linked: CustomerEvent = {
        type: 'telegram-linked',
        chatId,
        linkToken: payload,
        contactKey: contactKey(keys.contacts, 'telegram', chatId),
        linkId: link.id,
        source: 'telegram',
        eventId: `${eventId}:linked`,
        at,
      };
      // Linking opts the chat in, inside the one event: the lifecycle applies neither for a used link.
      const ok = await recordForContact(
        sink,
        request,
        keysOfContact(ctx.keys, 'telegram-link', splitTelegramLinkId(link.id).customerPart),
        [linked],
      );
      return ok ? CONNECTED : EXPIRED;
    },
    onStop: (chatId) => stop(chatId),
    // The journey answers a text through the normal send path; nothing is said from here but to a typed "stop".
    async onText({ chatId, text, replyToMessageId }) {
      const word = keywordOf(text);
      if (word && OPT_OUT_KEYWORDS.has(word)) return stop(chatId);
      if (!ctx.replies) return;
      const { request, eventId, at } = context();
      await routeReply(request, {
        channel: 'telegram',
        contactKeys: keysOfContact(ctx.keys, 'telegram', chatId),
        text,
        eventId,
        at,
        // The adapter's providerMessageId is the message_id too: the router compares the two.
        ...(replyToMessageId !== undefined ? { replyTo: replyToMessageId } : {}),
      });
    },
    // A rating tap: the toast thanks them; any other button (none today) only stops spinning.
    async onButton({ chatId, data, callbackQueryId, title, languageCode }) {
      const button = readRatingButton(data);
      if (!button || !ctx.replies) return undefined;
      const { request, at } = context();
      await routeReply(request, {
        channel: 'telegram',
        contactKeys: keysOfContact(ctx.keys, 'telegram', chatId),
        text: title ?? String(button.rating),
        eventId: `telegram-cb:${callbackQueryId}`,
        at,
        button,
      });
      return ratingThanks(languageCode);
    },
  });

  /** /stop, "stop" typed, or a block: the chat opts out of every message. */
  async function stop(chatId: string): Promise<string> {
    const { request, eventId, at } = context();
    await recordForContact(sink, request, keysOfContact(ctx.keys, 'telegram', chatId), [
      { type: 'opt-out', channel: 'telegram', scope: 'all', source: 'telegram', eventId, at },
    ]);
    return STOPPED;
  }

  /** Hands a reply to the router; the log says where it went (ids and outcome only, never the text). */
  async function routeReply(request: FastifyRequest, reply: InboundReply): Promise<void> {
    const result = await ctx.replies!.route(reply);
    request.log.info(
      { eventId: reply.eventId, outcome: result.outcome, ...('orderId' in result ? { orderId: result.orderId } : {}) },
      'telegram reply routed',
    );
  }

  app.post('/webhooks/telegram', ctx.routeOpts, async (request, reply) => {
    if (!verifySecretToken(headerOf(request, 'x-telegram-bot-api-secret-token'), tg.webhookSecret)) {
      return reply
        .status(403)
        .send({ error: { code: 'forbidden', message: 'missing or invalid X-Telegram-Bot-Api-Secret-Token' } });
    }
    const parsed = telegramUpdateSchema.safeParse(parseJson(rawOf(request.body)));
    if (!parsed.success) return reply.status(400).send(badRequest('not a Telegram update'));
    const update = parsed.data;
    const eventId = eventIdOf(update) ?? `telegram:${update.update_id}`;
    try {
      await current.run({ request, eventId, at: sentAt(update) ?? ctx.at() }, () => handleTelegramUpdate(bot, update));
    } catch (err) {
      // The events are recorded before the reply; a reply Telegram refuses (bot blocked, chat gone, a callback
      // query too old to answer on a redelivery) won't succeed on redelivery either. Anything else (sink, router,
      // getMe, 429, 5xx) is retried by Telegram.
      const refused =
        err instanceof TelegramError &&
        ['sendMessage', 'answerCallbackQuery'].includes(String((err.on as { method?: unknown }).method)) &&
        err.code >= 400 &&
        err.code < 500 &&
        err.code !== 429;
      if (!refused) throw err;
      request.log.warn({ error: describeError(err) }, 'telegram reply refused');
    }
    return { ok: true };
  });
}

/**
 * The update's event id, from what Telegram never reuses: the chat and its message's id (a message or a command),
 * or the chat and the time of a membership change (a block). Not update_id: it restarts after a week without
 * updates, and consent remembers event ids far longer. A tap's id is its callback query's (onButton).
 */
function eventIdOf(update: unknown): string | undefined {
  const u = update as
    | {
        message?: { message_id?: unknown; chat?: { id?: unknown } };
        my_chat_member?: { date?: unknown; chat?: { id?: unknown } };
      }
    | undefined;
  const chat = u?.message?.chat?.id;
  if (typeof chat === 'number' && typeof u?.message?.message_id === 'number') {
    return `telegram:${chat}:${u.message.message_id}`;
  }
  const member = u?.my_chat_member;
  if (typeof member?.chat?.id === 'number' && typeof member.date === 'number') {
    return `telegram-member:${member.chat.id}:${member.date}`;
  }
  return undefined;
}

/** When the customer sent it, by Telegram's clock (what orders a START against a STOP); undefined if absent. */
function sentAt(update: unknown): string | undefined {
  const u = update as { message?: { date?: unknown }; my_chat_member?: { date?: unknown } } | undefined;
  const seconds = u?.message?.date ?? u?.my_chat_member?.date;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}
