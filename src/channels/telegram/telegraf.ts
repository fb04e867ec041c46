import { Telegraf, TelegramError } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import {
  type ChannelAdapter,
  type DeliveryError,
  type OutgoingMessage,
  type SendResult,
  type TextContent,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../types';

const PROVIDER = 'telegram';
const DEFAULT_API_ROOT = 'https://api.telegram.org';
// Same shape as `telegramChatId` in the contract: private chats are positive, groups negative.
const CHAT_ID = /^-?\d{1,20}$/;
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;
// Telegram usernames: 5–32 chars of [A-Za-z0-9_]; bot usernames must end in "bot".
const BOT_USERNAME = /^(?=.{5,32}$)[A-Za-z][A-Za-z0-9_]*bot$/i;

export interface TelegramAdapterOptions {
  botToken: string;
  /** Bot API root (TELEGRAM_API_ROOT); defaults to https://api.telegram.org. A path prefix is kept. */
  apiRoot?: string;
  /**
   * Aborts a hung request (telegraf's own timeout is 500 s). An abort after the request went out leaves the outcome
   * unknown, and Telegram has no idempotency key, so the retry may deliver the message twice.
   */
  timeoutMs?: number;
}

export type ChatUnreachableReason =
  'blocked' | 'deactivated' | 'not_started' | 'chat_not_found' | 'invalid_chat_id' | 'forbidden';

/**
 * The chat can't receive messages from this bot (blocked, deleted account, never started, unknown id): retrying or
 * re-rendering won't help, so callers should mark the customer's Telegram channel unreachable until they re-link.
 */
export class ChatUnreachableError extends PermanentDeliveryError {
  constructor(
    message: string,
    readonly reason: ChatUnreachableReason,
    status?: number,
  ) {
    super(message, PROVIDER, status, reason);
  }
}

/**
 * Sends plain-text Telegram messages through telegraf.
 *
 * No idempotency: the Bot API has no idempotency key and no way to look a message up afterwards, so a retry after
 * an unknown outcome (timeout, connection reset, 5xx from a proxy after Telegram accepted it) can send a duplicate.
 * Mitigations: errors where Telegram definitely refused the message (4xx) are never retried blindly; only 429
 * (refused, safe to resend), 5xx/network (usually not delivered) and 401 (refused) are retryable, and the network
 * error code is kept in `code` so callers can tell "never connected" (ECONNREFUSED) from "outcome unknown".
 *
 * Privacy: error messages never include the chat id or the token, and telegraf's TelegramError is not attached as
 * `cause` because its `.on.payload` carries the chat id and the message text.
 */
export class TelegramAdapter implements ChannelAdapter<TextContent> {
  readonly channel = 'telegram' as const;
  readonly provider = PROVIDER;
  private readonly bot: Telegraf;
  private readonly botToken: string;
  private readonly timeoutMs: number;

  constructor(opts: TelegramAdapterOptions) {
    if (!opts.botToken) throw new Error('TelegramAdapter: botToken is required');
    this.botToken = opts.botToken;
    this.bot = new Telegraf(opts.botToken, { telegram: telegramOptions(opts.apiRoot) });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async send(message: OutgoingMessage<TextContent>): Promise<SendResult> {
    const { to, text } = message.content;
    if (!CHAT_ID.test(to)) {
      // Usually a phone number or username stored in the chat id field: it will never work.
      throw new ChatUnreachableError('telegram: invalid_chat_id: not a numeric chat id', 'invalid_chat_id');
    }

    let result: { message_id: number };
    try {
      // callApi instead of telegram.sendMessage() only to pass an abort signal; the payload is the same.
      // Plain text on purpose (no parse_mode): rendered content may contain <, & or * that would break HTML/Markdown.
      result = await this.bot.telegram.callApi(
        'sendMessage',
        { chat_id: to, text, link_preview_options: { is_disabled: true } },
        // telegraf types this as the `abort-controller` shim; node-fetch v2 accepts any AbortSignal at runtime.
        { signal: AbortSignal.timeout(this.timeoutMs) as never },
      );
    } catch (err) {
      throw this.classify(err, to);
    }
    // message_id is only unique within its chat, but the chat id is PII, so it stays out of the provider id.
    return { provider: PROVIDER, providerMessageId: String(result.message_id) };
  }

  /** Maps a telegraf/node-fetch failure to the DeliveryError class that decides retry behaviour. */
  private classify(err: unknown, chatId: string): DeliveryError {
    if (err instanceof TelegramError) {
      const status = err.code;
      const description = this.redact(String(err.description ?? ''), chatId);
      const text = `telegram: ${status}: ${description}`;

      if (status === 429) {
        const retryAfter = err.parameters?.retry_after ?? retryAfterFromDescription(String(err.description ?? ''));
        return new ThrottledDeliveryError(
          text,
          PROVIDER,
          Math.max(0, retryAfter ?? 1) * 1000,
          status,
          'too_many_requests',
        );
      }
      if (status === 403) return new ChatUnreachableError(text, forbiddenReason(description), status);
      if (status === 400 && /chat not found/i.test(description)) {
        return new ChatUnreachableError(text, 'chat_not_found', status);
      }
      if (status === 401 || status === 404) {
        // 401 is a revoked/wrong token and 404 a malformed token or apiRoot path: the operator fixes these, so keep
        // retrying with backoff instead of dropping the message or burning a fallback channel.
        return new TransientDeliveryError(text, PROVIDER, status, status === 401 ? 'unauthorized' : 'not_found');
      }
      // telegraf turns any HTTP status >= 500 into a TelegramError with the status text as description.
      if (status >= 500) return new TransientDeliveryError(text, PROVIDER, status, 'server_error');
      // 400 (text empty or too long, bad parameters), 409, 413…: resending the same payload won't help.
      return new PermanentDeliveryError(text, PROVIDER, status, 'bad_request');
    }

    // node-fetch v2: FetchError (type 'system' with .code, or 'invalid-json' for a non-JSON 4xx from a proxy) and
    // AbortError. Their messages contain the request URL, token included, so only structured fields are used.
    const e = (typeof err === 'object' && err !== null ? err : {}) as {
      name?: unknown;
      type?: unknown;
      code?: unknown;
    };
    if (e.name === 'AbortError') {
      return new TransientDeliveryError(
        `telegram: request timed out after ${this.timeoutMs} ms`,
        PROVIDER,
        undefined,
        'timeout',
      );
    }
    if (e.name === 'FetchError') {
      const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : 'fetch_error';
      return new TransientDeliveryError(`telegram: request failed: ${code}`, PROVIDER, undefined, code);
    }
    // Anything else is unexpected (a telegraf bug, an invalid URL); the outcome is unknown, so retry.
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return new TransientDeliveryError(
      `telegram: send threw: ${this.redact(detail, chatId)}`,
      PROVIDER,
      undefined,
      'unknown_error',
    );
  }

  private redact(text: string, chatId: string): string {
    // Whole numbers only, so chat id "1" doesn't mangle "retry after 10".
    const id = new RegExp(`(?<!\\d)${chatId.replace('-', '\\-')}(?!\\d)`, 'g');
    return text.split(this.botToken).join('[token]').replace(id, '[chat]');
  }
}

function forbiddenReason(description: string): ChatUnreachableReason {
  if (/blocked by the user/i.test(description)) return 'blocked';
  if (/user is deactivated/i.test(description)) return 'deactivated';
  if (/can't initiate conversation/i.test(description)) return 'not_started';
  // "bot was kicked from the group chat", "bot is not a member of the channel chat", …
  return 'forbidden';
}

function retryAfterFromDescription(description: string): number | undefined {
  const match = /retry after (\d+)/i.exec(description);
  return match?.[1] ? Number(match[1]) : undefined;
}

/**
 * webhookReply off: otherwise the first eligible call inside a webhook is answered in the HTTP response, with no
 * result and no error. telegraf resolves `./bot<token>/<method>` against apiRoot, so a path needs a trailing slash.
 */
function telegramOptions(apiRoot: string | undefined): { apiRoot: string; webhookReply: false } {
  const root = apiRoot || DEFAULT_API_ROOT;
  const url = new URL(root); // fails fast on a malformed TELEGRAM_API_ROOT
  return { apiRoot: url.pathname.endsWith('/') ? root : `${root}/`, webhookReply: false };
}

/** Whether `payload` can be carried in a `?start=` deep link (1–64 chars of [A-Za-z0-9_-]). */
export function isValidStartPayload(payload: string): boolean {
  return START_PAYLOAD.test(payload);
}

/**
 * `https://t.me/<bot>?start=<payload>`: opening it and pressing Start sends `/start <payload>` to the bot, which
 * links the chat to whoever the payload identifies. Use a random one-time token, never a customer id.
 */
export function telegramDeepLink(botUsername: string, payload: string): string {
  const username = botUsername.replace(/^@/, '');
  if (!BOT_USERNAME.test(username)) throw new RangeError('telegramDeepLink: not a valid bot username');
  if (!isValidStartPayload(payload)) {
    throw new RangeError('telegramDeepLink: payload must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
  }
  return `https://t.me/${username}?start=${payload}`;
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
