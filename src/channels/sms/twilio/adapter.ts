/**
 * SMS through Twilio's Messages API, with a small node:http(s) client instead of the `twilio` SDK.
 *
 * SDK or not: measured in fresh `node --expose-gc` processes (Node 20.20, twilio 6.2.0, 2-core box, 7–9 runs each;
 * hrtime around the require, RSS/heap delta after gc()), median [range]:
 *   require('twilio')                          ~300 ms [230–450]   RSS +24.5 MB   heap +5.9 MB
 *   require('twilio') + client.messages ready  ~300 ms [260–650]   RSS +30 MB     heap +7.7 MB
 *   this module (incl. node:http/https)          ~37 ms [25–65]    RSS +4.5 MB    heap +0.7 MB
 *     of which node:http+https alone             ~35 ms            RSS +4.3 MB;   the module itself ~1.5 ms
 *   (first global fetch() call, for comparison:  ~85 ms, RSS +10.7 MB: undici is loaded lazily)
 * node_modules/twilio is 21 MB on disk (plus axios 2.5 MB).
 * We only need one endpoint (POST /2010-04-01/Accounts/{sid}/Messages.json, form-urlencoded, Basic auth). The SDK
 * has no base-URL option (a fake server needs a RequestClient subclass that rewrites URLs), pulls in axios, and
 * throws one RestException shape we would still have to classify. Owning the HTTP call also lets us see whether
 * the request body was fully written before a failure, which the retry policy below depends on and neither the
 * SDK nor fetch exposes.
 *
 * Retries without an idempotency key: Twilio's Messages API has none. twilio-node 6.2.0 sends no idempotency header
 * for Messages (`IdempotencyKey` exists only for call payments/user-defined messages, `Idempotency-Key` only for
 * Conversations v2); `I-Twilio-Idempotency-Token` is a header Twilio puts on the webhooks it sends us, not one its
 * REST API documents accepting, so we don't send it rather than pretend it dedupes. Every create that reaches
 * Twilio may become a billed SMS, so errors are split by whether the message was surely NOT accepted:
 * - surely not accepted → retry: connection refused, DNS failure, a timeout or reset before the request body was
 *   written (Twilio can't create a message from a partial form), 429/20429, 5xx answered by Twilio's API itself,
 *   and 401 (nothing was created; see classify()).
 * - ambiguous → SmsOutcomeUnknownError (permanent, not retried): a timeout or reset after the body was written,
 *   a 502/504 from a gateway, or a 2xx we couldn't read. Policy: at most one SMS per message. Retrying could put a
 *   second copy on the customer's phone; giving up lets the workflow record "maybe sent" (DeliveryOutcomeUnknown:
 *   no other channel is tried, an operator checks).
 *   (Twilio's logs show whether it went out; its StatusCallback would too, but carries only a sid we never got.)
 * Each send uses a fresh connection (agent: false): a reused keep-alive socket that the server closed while idle
 * fails with ECONNRESET after our write, which would turn a harmless race into an ambiguous outcome.
 * A worker that dies mid-send leaves no error at all: the send activity marks each attempt durably before the
 * request (`keyless`), and a retry after a mark calls `findSent` (./lookup.ts), which lists what Twilio sent to the
 * number, instead of sending blindly.
 */
import http from 'node:http';
import https from 'node:https';
import {
  type DeliveryError,
  InvalidAddressError,
  OutcomeUnknownError,
  parseRetryAfter,
  PermanentDeliveryError,
  RecipientOptedOutError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../errors';
import type { ChannelAdapter, OutgoingMessage, SendResult, TextContent } from '../../types';
import { findSentSms } from './lookup';
import { isRecord, parseJson } from '../../../lib/http';
import { redactPhoneNumbers } from '../../../lib/redact';

export interface TwilioSmsAdapterOptions {
  accountSid: string;
  authToken: string;
  /** E.164 sender. Ignored when `messagingServiceSid` is set. */
  from?: string;
  /** MG…: the service picks the sender and manages STOP lists; preferred over `from`. */
  messagingServiceSid?: string;
  /** TWILIO_API_BASE_URL; defaults to https://api.twilio.com. A path prefix is kept. */
  baseUrl?: string;
  /** Sent as StatusCallback so delivery receipts (sent/delivered/undelivered/failed) reach us. */
  statusCallbackUrl?: string;
  /** Whole-request deadline. Generous on purpose: a timeout after the body was sent is an unknown outcome. */
  timeoutMs?: number;
  /** Clock for Retry-After HTTP dates; injectable for tests. */
  now?: () => number;
}

const PROVIDER = 'twilio';
const DEFAULT_BASE_URL = 'https://api.twilio.com';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Twilio caps Body at 1600 characters; a longer one is rejected with 21617. */
export const TWILIO_MAX_BODY_CHARS = 1600;

/**
 * Twilio may or may not have accepted the message (timeout after sending, gateway 502/504, unreadable 2xx).
 * Permanent so it is never retried blindly; check the StatusCallback or the Twilio console before resending.
 */
export class SmsOutcomeUnknownError extends OutcomeUnknownError {}

export type TwilioErrorKind = 'opted-out' | 'undeliverable' | 'throttled' | 'operator';

// https://www.twilio.com/docs/api/errors. 30003–30008 normally arrive in StatusCallback's ErrorCode, not on create.
const UNDELIVERABLE_CODES = new Set([
  21211, // invalid To
  21214, // To cannot be reached (not a valid number)
  21408, // no permission to send to this region
  21602, // Body required
  21608, // trial account: unverified To
  21612, // To is not reachable via SMS (carrier/route)
  21614, // To is not a mobile number
  21617, // Body over 1600 characters
  30003, // handset unreachable
  30004, // message blocked
  30005, // unknown destination handset
  30006, // landline or unreachable carrier
  30007, // carrier filtering
  30008, // unknown error
]);

/** Codes that mean "this number will never work" (invalid, or not a mobile number). */
const INVALID_ADDRESS_CODES = new Set([21211, 21614]);

/** Maps a Twilio error code (from a create response or a StatusCallback ErrorCode) to what it means for us. */
export function twilioErrorKind(code: number | undefined): TwilioErrorKind | undefined {
  if (code === undefined) return undefined;
  if (code === 21610) return 'opted-out';
  if (code === 20429) return 'throttled';
  if (code === 20003) return 'operator';
  if (UNDELIVERABLE_CODES.has(code)) return 'undeliverable';
  return undefined;
}

export class TwilioSmsAdapter implements ChannelAdapter<TextContent> {
  readonly channel = 'sms' as const;
  readonly provider = PROVIDER;
  readonly keyless = true;
  private readonly url: URL;
  private readonly authorization: string;
  private readonly sender: { From: string } | { MessagingServiceSid: string };
  private readonly statusCallbackUrl: string | undefined;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(opts: TwilioSmsAdapterOptions) {
    if (!opts.accountSid || !opts.authToken) throw new Error('TwilioSmsAdapter: accountSid and authToken are required');
    if (opts.messagingServiceSid) this.sender = { MessagingServiceSid: opts.messagingServiceSid };
    else if (opts.from) this.sender = { From: opts.from };
    else throw new Error('TwilioSmsAdapter: from or messagingServiceSid is required');
    // Keep any path prefix of the base URL (a proxy); `new URL('/2010…', base)` would drop it.
    const base = (opts.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.url = new URL(`${base}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') {
      throw new Error('TwilioSmsAdapter: baseUrl must be http(s)');
    }
    this.authorization = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`, 'utf8').toString('base64')}`;
    this.statusCallbackUrl = opts.statusCallbackUrl || undefined;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  async send(message: OutgoingMessage<TextContent>): Promise<SendResult> {
    const { content } = message;
    if (content.channel !== 'sms') {
      throw new PermanentDeliveryError(`twilio: cannot send ${content.channel} content as SMS`, PROVIDER);
    }
    const form = new URLSearchParams({
      To: content.to,
      ...this.sender,
      Body: content.text,
      ...(this.statusCallbackUrl ? { StatusCallback: this.statusCallbackUrl } : {}),
    });

    const outcome = await postForm(this.url, this.authorization, form.toString(), this.timeoutMs);
    const redact = (text: string) => redactPhoneNumbers(text, content.to);

    if (outcome.kind === 'not-sent') {
      throw new TransientDeliveryError(
        `twilio: request not sent (${redact(outcome.reason)})`,
        PROVIDER,
        undefined,
        outcome.code,
      ).surelyNotSent();
    }
    if (outcome.kind === 'unknown') {
      throw new SmsOutcomeUnknownError(
        `twilio: outcome unknown, not retried (${redact(outcome.reason)})`,
        PROVIDER,
        outcome.status,
        outcome.code,
      );
    }

    const body = parseJson(outcome.text);
    if (outcome.status >= 200 && outcome.status < 300) {
      const sid = isRecord(body) && typeof body.sid === 'string' ? body.sid : undefined;
      // Accepted (probably billed) but no id to track: resending would duplicate it.
      if (!sid) {
        throw new SmsOutcomeUnknownError(
          'twilio: success response without a sid',
          PROVIDER,
          outcome.status,
          'missing_sid',
        );
      }
      return { provider: PROVIDER, providerMessageId: sid };
    }
    throw this.classify(outcome.status, outcome.headers, body, redact);
  }

  /** The SMS an earlier attempt of this message created at or after `sinceMs`, from Twilio's list of messages. */
  findSent(message: OutgoingMessage<TextContent>, sinceMs: number): Promise<SendResult | undefined> {
    const { content } = message;
    return findSentSms({
      listUrl: this.url,
      authorization: this.authorization,
      to: content.to,
      body: content.text,
      sender: this.sender,
      sinceMs,
      timeoutMs: this.timeoutMs,
      now: this.now,
    });
  }

  /** Maps a Twilio error response ({code, message, more_info, status}) to the DeliveryError that decides retries. */
  private classify(
    status: number,
    headers: http.IncomingHttpHeaders,
    body: unknown,
    redact: (text: string) => string,
  ): DeliveryError {
    const twilioCode = isRecord(body) && typeof body.code === 'number' ? body.code : undefined;
    const detail = isRecord(body) && typeof body.message === 'string' ? body.message : '';
    const code = twilioCode !== undefined ? String(twilioCode) : `http_${status}`;
    const text = `twilio: ${code} (${status})${detail ? `: ${redact(detail)}` : ''}`;
    const retryAfter = headers['retry-after'];

    switch (twilioErrorKind(twilioCode)) {
      case 'opted-out':
        return new RecipientOptedOutError(text, PROVIDER, status, code);
      case 'throttled':
        return new ThrottledDeliveryError(text, PROVIDER, parseRetryAfter(retryAfter, this.now(), 1000), status, code);
      case 'operator':
        // Wrong SID/token or a suspended account: the recipient is fine and rotating the credentials fixes it,
        // so keep retrying with backoff rather than dropping the message or skipping to another channel.
        return new TransientDeliveryError(text, PROVIDER, status, code).surelyNotSent();
      case 'undeliverable':
        // Only these say the number itself will never work; the others are about route, content or account.
        return INVALID_ADDRESS_CODES.has(twilioCode!)
          ? new InvalidAddressError(text, PROVIDER, status, code)
          : new PermanentDeliveryError(text, PROVIDER, status, code);
    }

    if (status === 429) {
      return new ThrottledDeliveryError(text, PROVIDER, parseRetryAfter(retryAfter, this.now(), 1000), status, code);
    }
    // A 401 means nothing was created; it is the same operator problem as 20003 whatever the code.
    if (status === 401) return new TransientDeliveryError(text, PROVIDER, status, code).surelyNotSent();
    // A gateway error without Twilio's JSON body may come after the API created the message.
    if ((status === 502 || status === 504) && twilioCode === undefined) {
      return new SmsOutcomeUnknownError(text, PROVIDER, status, code);
    }
    // Answered by Twilio's API itself (a 5xx with its JSON, or any other 5xx/408): nothing was created (see above).
    if (status >= 500 || status === 408)
      return new TransientDeliveryError(text, PROVIDER, status, code).surelyNotSent();
    // Other 4xx: validation, an invalid or unowned From (21212/21606), permissions. Resending the same form won't help.
    return new PermanentDeliveryError(text, PROVIDER, status, code);
  }
}

type PostOutcome =
  | { kind: 'response'; status: number; headers: http.IncomingHttpHeaders; text: string }
  /** Failed before the whole body was written: Twilio cannot have created a message. */
  | { kind: 'not-sent'; reason: string; code: string }
  /** Failed after the body was written: Twilio may have created the message. */
  | { kind: 'unknown'; reason: string; code: string; status?: number };

/** One POST on a fresh connection; resolves (never rejects) with how far the request got. */
function postForm(url: URL, authorization: string, body: string, timeoutMs: number): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let bodyWritten = false;
    let status: number | undefined;
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (err: unknown) => {
      const code = errorCode(err);
      const reason = err instanceof Error ? err.message : String(err);
      if (!bodyWritten) settle({ kind: 'not-sent', reason, code });
      else settle({ kind: 'unknown', reason, code, ...(status !== undefined ? { status } : {}) });
    };

    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: false,
      headers: {
        authorization,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body, 'utf8'),
        'user-agent': 'aftercare-sms',
      },
    });
    const timer = setTimeout(() => {
      const err = new Error(`timed out after ${timeoutMs} ms`);
      fail(Object.assign(err, { code: 'timeout' }));
      request.destroy(err);
    }, timeoutMs);

    // 'finish' = the whole body was handed to the socket; before it, Twilio has at most a partial form.
    request.on('finish', () => (bodyWritten = true));
    request.on('error', fail);
    request.on('response', (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      // Connection dropped mid-body: the status is known, the outcome (for a 2xx) is not.
      res.on('close', () => {
        if (!res.complete) fail(Object.assign(new Error('response cut off'), { code: 'ECONNRESET' }));
      });
      res.on('end', () =>
        settle({ kind: 'response', status: status ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    request.end(body);
  });
}

function errorCode(err: unknown): string {
  const code = isRecord(err) ? err.code : undefined;
  return typeof code === 'string' ? code : 'network_error';
}
