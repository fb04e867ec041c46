import { Telegraf, TelegramError } from 'telegraf';
import {
  ChannelUnreachableError,
  type DeliveryError,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../errors';
import type { ChannelAdapter, OutgoingMessage, SendResult, TextContent } from '../../types';

const PROVIDER = 'telegram';
const DEFAULT_API_ROOT = 'https://api.telegram.org';
// Same shape as `telegramChatId` in the contract: private chats are positive, groups negative.
const CHAT_ID = /^-?\d{1,20}$/;
/** Network errors before a connection existed: the request never reached Telegram. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

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
export class ChatUnreachableError extends ChannelUnreachableError {
  constructor(
    message: string,
    readonly reason: ChatUnreachableReason,
    status?: number,
  ) {
    super(message, PROVIDER, status, reason);
  }
}

/**
 * Sends plain-text Telegram messages through telegraf, with one-tap answers as an inline keyboard when given.
 *
 * No idempotency: the Bot API has no idempotency key and no way to look a message up afterwards, so a retry after
 * an unknown outcome (timeout, connection reset, 5xx from a proxy after Telegram accepted it) can send a duplicate.
 * Mitigations: errors where Telegram definitely refused the message (4xx) are never retried blindly; only 429
 * (refused, safe to resend), 5xx/network (usually not delivered) and 401 (refused) are retryable, and the network
 * error code is kept in `code` so callers can tell "never connected" (ECONNREFUSED) from "outcome unknown".
 * `keyless`: the send activity marks each attempt durably before the request; an attempt after a mark whose
 * outcome is unknown (a worker that died mid-send, a timeout, a 5xx) is not resent but fails as OutcomeUnknownError.
 * Errors where Telegram surely refused or never saw the request say so (`surelyNotSent`), so their retry still sends.
 *
 * Privacy: error messages never include the chat id or the token, and telegraf's TelegramError is not attached as
 * `cause` because its `.on.payload` carries the chat id and the message text.
 */
export class TelegramAdapter implements ChannelAdapter<TextContent> {
  readonly channel = 'telegram' as const;
  readonly provider = PROVIDER;
  readonly keyless = true;
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
    const { to, text, buttons } = message.content;
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
        {
          chat_id: to,
          text,
          link_preview_options: { is_disabled: true },
          // One-tap answers: a button per row (titles are short sentences); a tap comes back as a callback_query.
          ...(buttons?.length
            ? { reply_markup: { inline_keyboard: buttons.map((b) => [{ text: b.title, callback_data: b.id }]) } }
            : {}),
        },
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
        return new TransientDeliveryError(
          text,
          PROVIDER,
          status,
          status === 401 ? 'unauthorized' : 'not_found',
        ).surelyNotSent();
      }
      // telegraf turns any HTTP status >= 500 into a TelegramError with the status text as description: maybe a
      // proxy's, after Telegram took the message, so not surely unsent.
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
      const error = new TransientDeliveryError(`telegram: request failed: ${code}`, PROVIDER, undefined, code);
      return NEVER_CONNECTED.has(code) ? error.surelyNotSent() : error;
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
export function telegramOptions(apiRoot: string | undefined): { apiRoot: string; webhookReply: false } {
  const root = apiRoot || DEFAULT_API_ROOT;
  const url = new URL(root); // fails fast on a malformed TELEGRAM_API_ROOT
  return { apiRoot: url.pathname.endsWith('/') ? root : `${root}/`, webhookReply: false };
}
