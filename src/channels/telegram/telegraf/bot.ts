import { Telegraf } from 'telegraf';
import { callbackQuery, message } from 'telegraf/filters';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { safeEqualText } from '../../../lib/crypto';
import { isValidStartPayload } from '../deep-link';
import { telegramOptions } from './adapter';

/**
 * Telegram's inbound side: the bot that handles /start (deep-link linking), /stop and blocks, what customers write
 * back and the buttons they tap, fed with webhook updates that are authenticated by the secret token given to
 * setWebhook.
 */

/** Whether the X-Telegram-Bot-Api-Secret-Token header carries the secret given to setWebhook. */
export function verifySecretToken(header: string | undefined, webhookSecret: string): boolean {
  return header !== undefined && webhookSecret !== '' && safeEqualText(header, webhookSecret);
}

export interface TelegramBotOptions {
  botToken: string;
  /** Bot API root (TELEGRAM_API_ROOT); replies go through it too. */
  apiRoot?: string;
  /** Skips the getMe call before the first update (needed to match `/cmd@botname`). */
  botInfo?: UserFromGetMe;
  /**
   * `/start` in a private chat. `payload` is the deep-link payload, or undefined when absent or not a valid
   * deep-link payload (someone typed `/start whatever`). Returns the reply text, if any.
   */
  onStart(ctx: { chatId: string; payload: string | undefined }): Promise<string | undefined>;
  /**
   * `/stop` in a private chat, or the user blocked the bot. Returns the reply text for `/stop`; after a block the
   * reply is not sent (Telegram would answer 403).
   */
  onStop(chatId: string): Promise<string | undefined>;
  /**
   * Plain text (not a command) in a private chat: what the customer wrote, and which of our messages they replied
   * to (its message_id, as the adapter's providerMessageId). Returns the reply text, if any (a typed "stop").
   */
  onText?(ctx: {
    chatId: string;
    text: string;
    messageId: string;
    replyToMessageId?: string;
  }): Promise<string | undefined | void>;
  /**
   * A tap on an inline button of ours in a private chat: its callback data, the button's title (read off the
   * message's keyboard) and the language of the customer's Telegram app. Returns the toast to show, if any; the
   * query is answered once this returns, so the button stops spinning (a failure leaves it to the redelivery).
   */
  onButton?(ctx: {
    chatId: string;
    data: string;
    callbackQueryId: string;
    messageId?: string;
    title?: string;
    languageCode?: string;
  }): Promise<string | undefined>;
}

/** A Telegraf instance wired for customer linking; feed it updates with `handleTelegramUpdate`. */
export function createTelegramBot(opts: TelegramBotOptions): Telegraf {
  if (!opts.botToken) throw new Error('createTelegramBot: botToken is required');
  const bot = new Telegraf(opts.botToken, { telegram: telegramOptions(opts.apiRoot) });
  if (opts.botInfo) bot.botInfo = opts.botInfo;
  // The default handler console.errors the whole update (names, chat ids, text) and sets process.exitCode = 1:
  // rethrow instead so the caller's logger and HTTP status decide.
  bot.catch((err) => {
    throw err;
  });
  const noPreview = { link_preview_options: { is_disabled: true } };

  // Linking is per person: group chats are ignored.
  bot.start(async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const payload = ctx.payload.trim();
    const reply = await opts.onStart({
      chatId: String(ctx.chat.id),
      payload: isValidStartPayload(payload) ? payload : undefined,
    });
    if (reply) await ctx.reply(reply, noPreview);
  });

  bot.command('stop', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const reply = await opts.onStop(String(ctx.chat.id));
    if (reply) await ctx.reply(reply, noPreview);
  });

  // In a private chat, "kicked" is how Telegram reports that the user blocked the bot.
  bot.on('my_chat_member', async (ctx) => {
    const update = ctx.myChatMember;
    if (update.chat.type !== 'private' || update.new_chat_member.status !== 'kicked') return;
    await opts.onStop(String(update.chat.id));
  });

  // Registered after the commands, which end the chain: only plain text gets here. Edited messages do not.
  bot.on(message('text'), async (ctx) => {
    const msg = ctx.message;
    if (msg.chat.type !== 'private' || !opts.onText) return;
    // Another command (/help): not an answer.
    if (msg.entities?.some((e) => e.type === 'bot_command' && e.offset === 0)) return;
    const replyTo = msg.reply_to_message?.message_id;
    const reply = await opts.onText({
      chatId: String(msg.chat.id),
      text: msg.text,
      messageId: String(msg.message_id),
      ...(replyTo !== undefined ? { replyToMessageId: String(replyTo) } : {}),
    });
    if (reply) await ctx.reply(reply, noPreview);
  });

  bot.on(callbackQuery('data'), async (ctx) => {
    const query = ctx.callbackQuery;
    // The message is absent when too old to be read; in a private chat the chat id is the user's id.
    const chat = query.message?.chat;
    let toast: string | undefined;
    if (opts.onButton && (!chat || chat.type === 'private')) {
      toast = await opts.onButton({
        chatId: String(chat?.id ?? query.from.id),
        data: query.data,
        callbackQueryId: query.id,
        ...(query.message ? { messageId: String(query.message.message_id) } : {}),
        ...titleOf(query.message, query.data),
        ...(query.from.language_code ? { languageCode: query.from.language_code } : {}),
      });
    }
    await ctx.answerCbQuery(toast);
  });

  return bot;
}

/** The title of the button whose callback data came back, from the keyboard of the message it was on. */
function titleOf(msg: unknown, data: string): { title?: string } {
  const rows = (msg as { reply_markup?: { inline_keyboard?: unknown } } | undefined)?.reply_markup?.inline_keyboard;
  if (!Array.isArray(rows)) return {};
  for (const button of rows.flat() as { text?: unknown; callback_data?: unknown }[]) {
    if (button?.callback_data === data && typeof button.text === 'string') return { title: button.text };
  }
  return {};
}

/**
 * Processes one webhook update; rejects when a handler or a reply fails, so the webhook can answer 5xx and let
 * Telegram redeliver.
 */
export async function handleTelegramUpdate(bot: Telegraf, update: unknown): Promise<void> {
  if (
    typeof update !== 'object' ||
    update === null ||
    typeof (update as { update_id?: unknown }).update_id !== 'number'
  ) {
    throw new TypeError('handleTelegramUpdate: not a Telegram update');
  }
  // telegraf caches its own getMe promise, rejected ones included, which would fail every later update until a
  // restart; fetching botInfo here means a failed getMe only fails this update.
  bot.botInfo ??= await bot.telegram.getMe();
  await bot.handleUpdate(update as Update);
}
