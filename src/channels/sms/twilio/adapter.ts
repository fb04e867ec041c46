/**
 * SMS through Twilio's Messages API, with a small node:http(s) client (./post-form.ts) instead of the `twilio` SDK.
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
 *   and 401 (nothing was created; see classifyTwilioError() in ./twilio-errors.ts).
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
import { PermanentDeliveryError, TransientDeliveryError } from '../../errors';
import type { ChannelAdapter, OutgoingMessage, SendResult, TextContent } from '../../types';
import { findSentSms } from './lookup';
import { postForm } from './post-form';
import { classifyTwilioError, PROVIDER, SmsOutcomeUnknownError } from './twilio-errors';
import { isRecord, parseJson } from '../../../lib/http';
import { redactPhoneNumbers } from '../../../lib/redact';

// Split by concern; everything is still importable from here.
export { SmsOutcomeUnknownError, twilioErrorKind } from './twilio-errors';

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

const DEFAULT_BASE_URL = 'https://api.twilio.com';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Twilio caps Body at 1600 characters; a longer one is rejected with 21617. */
export const TWILIO_MAX_BODY_CHARS = 1600;

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
    throw classifyTwilioError(outcome.status, outcome.headers, body, redact, this.now);
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
}
