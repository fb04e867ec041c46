import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type FakeResponse, HttpFake, isRecord, parseJson, sleep, writeResponse } from './http-fake';

export type { FakeResponse };

/**
 * A fake of the Telegram Bot API (`/bot<token>/<method>`) on 127.0.0.1, for driving the real `telegraf` client
 * offline (it uses node-fetch v2, so fetch mocks don't see it). Like the real API it takes parameters from the query
 * string, JSON or urlencoded bodies, treats method names case-insensitively, answers HTTP 200 with `{ok:true,result}`
 * or the error status with `{ok:false,error_code,description,parameters?}`, and 401 "Unauthorized" for a wrong token
 * (404 "Not Found" for one that isn't token-shaped or an unknown method).
 */

export const FAKE_TELEGRAM_TOKEN = '123456789:AAFakeTokenForAftercareTests_0123456';
const TOKEN_SHAPE = /^\d+:[A-Za-z0-9_-]+$/;
const MAX_TEXT_LENGTH = 4096;
// `multipart/form-data` (telegraf uses it only for file uploads) is not parsed.
const FORM = 'application/x-www-form-urlencoded';

export interface FakeBotInfo {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
}

export interface RecordedRequest {
  httpMethod: string;
  path: string;
  /** As requested (case preserved); empty when the path didn't match `/bot<token>/<method>`. */
  apiMethod: string;
  headers: IncomingHttpHeaders;
  /** Query string and body parameters merged; JSON-looking form values are parsed like the real API does. */
  params: Record<string, unknown>;
}

export interface SentMessage {
  message_id: number;
  /** As the API echoes it: a number. */
  chat_id: number;
  text: string;
  parse_mode?: string;
  link_preview_options?: unknown;
  reply_markup?: unknown;
  date: number;
}

export interface AnsweredCallback {
  callback_query_id: string;
  text?: string;
  show_alert?: boolean;
}

export interface FakeTelegram {
  /** For `new Telegraf(token, { telegram: { apiRoot } })`. */
  apiRoot: string;
  token: string;
  botInfo: FakeBotInfo;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Messages accepted by sendMessage. */
  sent: SentMessage[];
  /** Callback queries answered (answerCallbackQuery), in order. */
  answered: AnsweredCallback[];
  /** The last setWebhook parameters; undefined after deleteWebhook. */
  webhook: { url: string; secret_token?: string } | undefined;
  /** Sends to this chat get 403 "Forbidden: bot was blocked by the user" until unblocked. */
  blockChat(chatId: number | string): void;
  unblockChat(chatId: number | string): void;
  /** The next `n` calls (of `method`, case-insensitive, when given) get `response` instead of being processed. */
  failNext(n: number, response: FakeResponse, opts?: { method?: string }): void;
  /** Delays every response, e.g. to make a client time out. */
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeTelegramOptions {
  token?: string;
  botUsername?: string;
  /** Clock for `date` fields (ms). */
  now?: () => number;
}

/** Ready-made failure responses, shaped like the Bot API's. */
export const telegramFailures = {
  tooManyRequests: (retryAfterSeconds = 1): FakeResponse => ({
    status: 429,
    body: {
      ...errorBody(429, `Too Many Requests: retry after ${retryAfterSeconds}`),
      parameters: { retry_after: retryAfterSeconds },
    },
  }),
  /** nginx in front of the Bot API answers outages with an HTML page, not JSON. */
  serverError: (): FakeResponse => ({
    status: 502,
    body:
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
      '</body>\r\n</html>\r\n',
    headers: { 'content-type': 'text/html' },
  }),
  chatNotFound: (): FakeResponse => ({ status: 400, body: errorBody(400, 'Bad Request: chat not found') }),
  userDeactivated: (): FakeResponse => ({ status: 403, body: errorBody(403, 'Forbidden: user is deactivated') }),
  cantInitiate: (): FakeResponse => ({
    status: 403,
    body: errorBody(403, "Forbidden: bot can't initiate conversation with a user"),
  }),
  messageTooLong: (): FakeResponse => ({ status: 400, body: errorBody(400, 'Bad Request: message is too long') }),
};

interface QueuedFailure {
  method: string | undefined;
  response: FakeResponse;
}

export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = opts.token ?? FAKE_TELEGRAM_TOKEN;
  const now = opts.now ?? Date.now;
  const botInfo: FakeBotInfo = {
    id: Number(token.split(':')[0]),
    is_bot: true,
    first_name: 'Aftercare',
    username: opts.botUsername ?? 'aftercare_test_bot',
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
  const http = new HttpFake<RecordedRequest, QueuedFailure>();
  const sent: SentMessage[] = [];
  const answered: AnsweredCallback[] = [];
  const blocked = new Set<string>();
  const lastMessageId = new Map<number, number>();
  const state: { webhook: FakeTelegram['webhook'] } = { webhook: undefined };

  function call(apiMethod: string, params: Record<string, unknown>): FakeResponse {
    switch (apiMethod) {
      case 'getme':
        return ok(botInfo);
      case 'sendmessage':
        return sendMessage(params);
      case 'answercallbackquery': {
        const id = params.callback_query_id;
        if (typeof id !== 'string' || id === '') return fail(400, 'Bad Request: QUERY_ID_INVALID');
        const text = params.text === undefined ? undefined : String(params.text);
        // The toast holds 0-200 characters.
        if (text !== undefined && text.length > 200) return fail(400, 'Bad Request: MESSAGE_TOO_LONG');
        answered.push({
          callback_query_id: id,
          ...(text !== undefined ? { text } : {}),
          ...(params.show_alert !== undefined
            ? { show_alert: params.show_alert === true || params.show_alert === 'true' }
            : {}),
        });
        return ok(true);
      }
      case 'setwebhook': {
        const url = typeof params.url === 'string' ? params.url : '';
        if (url === '') {
          // An empty url removes the webhook, as in the real API.
          state.webhook = undefined;
          return ok(true, 'Webhook is already deleted');
        }
        if (!url.startsWith('https://'))
          return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        const secret = typeof params.secret_token === 'string' ? params.secret_token : undefined;
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
          return fail(400, 'Bad Request: secret token contains unallowed characters');
        }
        state.webhook = { url, ...(secret !== undefined ? { secret_token: secret } : {}) };
        return ok(true, 'Webhook was set');
      }
      case 'deletewebhook': {
        const had = state.webhook !== undefined;
        state.webhook = undefined;
        return ok(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
      }
      case 'getwebhookinfo':
        return ok({ url: state.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
      default:
        return fail(404, 'Not Found');
    }
  }

  function sendMessage(params: Record<string, unknown>): FakeResponse {
    const rawChat = params.chat_id;
    const chatKey = typeof rawChat === 'number' || typeof rawChat === 'string' ? String(rawChat).trim() : '';
    if (chatKey === '') return fail(400, 'Bad Request: chat_id is empty');
    // Unknown @usernames and anything non-numeric don't resolve to a chat.
    if (!/^-?\d{1,20}$/.test(chatKey)) return fail(400, 'Bad Request: chat not found');
    const text = typeof params.text === 'string' ? params.text : params.text === undefined ? '' : String(params.text);
    if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT_LENGTH) return fail(400, 'Bad Request: message is too long');
    if (params.parse_mode !== undefined && !['HTML', 'Markdown', 'MarkdownV2'].includes(String(params.parse_mode))) {
      return fail(400, `Bad Request: unsupported parse_mode`);
    }
    const markupError = params.reply_markup === undefined ? undefined : checkReplyMarkup(params.reply_markup);
    if (markupError) return fail(400, markupError);
    if (blocked.has(chatKey)) return fail(403, 'Forbidden: bot was blocked by the user');

    const chatId = Number(chatKey);
    // Message ids count up per chat, as in the real API.
    const messageId = (lastMessageId.get(chatId) ?? 0) + 1;
    lastMessageId.set(chatId, messageId);
    const date = Math.floor(now() / 1000);
    sent.push({
      message_id: messageId,
      chat_id: chatId,
      text,
      ...(params.parse_mode !== undefined ? { parse_mode: String(params.parse_mode) } : {}),
      ...(params.link_preview_options !== undefined ? { link_preview_options: params.link_preview_options } : {}),
      ...(params.reply_markup !== undefined ? { reply_markup: params.reply_markup } : {}),
      date,
    });
    return ok({
      message_id: messageId,
      from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
      chat: chatOf(chatId),
      date,
      text,
      // The Message the API returns carries its inline keyboard.
      ...(isRecord(params.reply_markup) && params.reply_markup.inline_keyboard !== undefined
        ? { reply_markup: { inline_keyboard: params.reply_markup.inline_keyboard } }
        : {}),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const match = /^\/bot([^/]*)\/([^/]+)$/.exec(url.pathname);
    const params: Record<string, unknown> = Object.fromEntries(
      [...url.searchParams].map(([k, v]) => [k, coerceFormValue(v)]),
    );
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    let badJson = false;
    if (raw !== '' && contentType === 'application/json') {
      const parsed = parseJson(raw);
      if (parsed.ok && isRecord(parsed.value)) Object.assign(params, parsed.value);
      else badJson = true;
    } else if (raw !== '' && contentType === FORM) {
      for (const [k, v] of new URLSearchParams(raw)) params[k] = coerceFormValue(v);
    }
    http.requests.push({
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      apiMethod: match?.[2] ?? '',
      headers: req.headers,
      params,
    });
    if (http.latencyMs > 0) await sleep(http.latencyMs);

    if (!match) return send(res, fail(404, 'Not Found'));
    const [, requestToken = '', apiMethodRaw = ''] = match;
    if (!TOKEN_SHAPE.test(requestToken)) return send(res, fail(404, 'Not Found'));
    if (requestToken !== token) return send(res, fail(401, 'Unauthorized'));
    const apiMethod = apiMethodRaw.toLowerCase();

    const index = http.failures.findIndex((f) => f.method === undefined || f.method === apiMethod);
    if (index >= 0) {
      const [failure] = http.failures.splice(index, 1);
      if (failure) return send(res, failure.response);
    }
    if (badJson) return send(res, fail(400, "Bad Request: can't parse JSON object"));
    return send(res, call(apiMethod, params));
  }

  const apiRoot = await http.listen(handle, (res, err) =>
    send(res, fail(500, `Internal Server Error: ${String(err)}`)),
  );

  return {
    apiRoot,
    token,
    botInfo,
    sent,
    answered,
    get webhook() {
      return state.webhook;
    },
    blockChat(chatId) {
      blocked.add(String(chatId));
    },
    unblockChat(chatId) {
      blocked.delete(String(chatId));
    },
    ...http.controls(() => {
      sent.length = 0;
      answered.length = 0;
      blocked.clear();
      lastMessageId.clear();
      state.webhook = undefined;
    }),
    failNext(n, response, failOpts = {}) {
      http.failNext(n, { method: failOpts.method?.toLowerCase(), response });
    },
  };
}

function chatOf(chatId: number) {
  if (chatId > 0) return { id: chatId, first_name: 'Customer', type: 'private' as const };
  // -100… ids are supergroups and channels; other negative ids are basic groups.
  return String(chatId).startsWith('-100')
    ? { id: chatId, title: 'Group', type: 'supergroup' as const }
    : { id: chatId, title: 'Group', type: 'group' as const };
}

/**
 * The inline keyboard checks the Bot API makes: rows of buttons, each with a text and one action; callback_data
 * holds 1-64 bytes. Returns the API's description of the first problem, if any.
 */
function checkReplyMarkup(markup: unknown): string | undefined {
  if (!isRecord(markup)) return "Bad Request: can't parse reply keyboard markup JSON object";
  const rows = markup.inline_keyboard;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    return "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object";
  }
  for (const button of (rows as unknown[][]).flat()) {
    if (!isRecord(button) || typeof button.text !== 'string' || button.text === '') {
      return 'Bad Request: inline keyboard button text must be non-empty';
    }
    const data = button.callback_data;
    if (data === undefined && button.url === undefined) {
      return 'Bad Request: text buttons are unallowed in the inline keyboard';
    }
    if (data !== undefined && (typeof data !== 'string' || data === '' || Buffer.byteLength(data) > 64)) {
      return 'Bad Request: BUTTON_DATA_INVALID';
    }
  }
  return undefined;
}

function ok(result: unknown, description?: string): FakeResponse {
  return { status: 200, body: { ok: true, result, ...(description ? { description } : {}) } };
}

function fail(status: number, description: string): FakeResponse {
  return { status, body: errorBody(status, description) };
}

function errorBody(errorCode: number, description: string) {
  return { ok: false as const, error_code: errorCode, description };
}

function send(res: ServerResponse, response: FakeResponse): void {
  writeResponse(res, response.status, response.body, response.headers ?? {}, 'application/json');
}

/** Form fields are strings; the real API parses objects such as `link_preview_options` from JSON. */
function coerceFormValue(value: string): unknown {
  if (/^\s*[{[]/.test(value)) {
    const parsed = parseJson(value);
    if (parsed.ok) return parsed.value;
  }
  return value;
}
