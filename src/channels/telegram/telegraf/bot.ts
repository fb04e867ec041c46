import { Telegraf } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { safeEqualText } from '../../../lib/crypto';
import { isValidStartPayload } from '../deep-link';
import { telegramOptions } from './adapter';

/**
 * Telegram's inbound side: the bot that handles /start (deep-link linking), /stop and blocks, fed
 * with webhook updates that are authenticated by the secret token given to setWebhook.
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

  return bot;
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
