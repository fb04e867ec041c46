import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { smsSegments } from '../../src/channels/sms/segments';
import { type FakeResponse, HttpFake, pathOf, sleep, writeResponse } from './http-fake';

export type { FakeResponse };

/**
 * A fake of Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json, GET …/Messages/{sid}.json, and the
 * list, GET …/Messages.json with To, From, DateSent[<>], PageSize and Page, paged by next_page_uri) on 127.0.0.1. Auth, form parsing, validation order, error bodies ({code, message, more_info, status}) and the
 * message resource follow the live API; the magic numbers of Twilio's test credentials trigger their errors too
 * (To +15005550001 invalid, …0002 unroutable, …0003 no permission, …0004 opted out, …0009 not mobile).
 */

export const FAKE_TWILIO_ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
export const FAKE_TWILIO_AUTH_TOKEN = 'twilio_test_auth_token';
/** Twilio's "valid sender" magic number for test credentials. */
export const TWILIO_MAGIC_FROM = '+15005550006';

const E164 = /^\+[1-9]\d{1,14}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/;
const MAX_BODY_CHARS = 1600;

export interface RecordedTwilioRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The form fields (last value wins for repeated keys); empty when the body isn't form-encoded. */
  form: Record<string, string>;
  raw: string;
}

export interface SentSms {
  sid: string;
  to: string;
  /** Null when sent through a Messaging Service (Twilio picks the sender later). */
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  status: 'queued' | 'accepted';
  numSegments: number;
  dateCreated: Date;
}

/** A create request that came while a storm was set (until reset): when, which message, what the storm answered. */
export interface StormEntry {
  at: number;
  /** `<To>\n<Body>`: Twilio has no idempotency key, so a retry of the same SMS is the same recipient and text. */
  message: string;
  /** The storm's answer; undefined once the storm was over and the request was processed as usual. */
  status?: number;
  /** The Retry-After the storm's answer carried, in seconds. */
  retryAfterSeconds?: number;
}

export interface FakeTwilio {
  /** Base URL without a trailing slash (TWILIO_API_BASE_URL). */
  url: string;
  accountSid: string;
  authToken: string;
  requests: RecordedTwilioRequest[];
  /** Messages accepted, in order. */
  sent: SentSms[];
  /** The next `n` POST …/Messages.json requests get `response` instead of being processed. */
  failNext(n: number, response: FakeResponse): void;
  /** Delays the response after a message was accepted: a client timeout then leaves a sent message behind. */
  setLatency(ms: number): void;
  /**
   * Until `untilMs` (the fake's clock) every POST …/Messages.json gets `pick()` (after any queued failNext) instead
   * of being processed: an outage or a throttling storm. Every create request from now on is logged in `stormLog`.
   */
  storm(untilMs: number, pick: () => FakeResponse): void;
  stormLog: StormEntry[];
  reset(): void;
  close(): Promise<void>;
}

/** Twilio's error body. */
export function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** Ready-made failure responses, shaped like Twilio's. */
export const twilioFailures = {
  invalidNumber: (to = '+15005550001'): FakeResponse => ({
    status: 400,
    body: twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  }),
  optedOut: (): FakeResponse => ({
    status: 400,
    body: twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'),
  }),
  throttled: (retryAfterSeconds = 1): FakeResponse => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: twilioError(429, 20429, 'Too Many Requests'),
  }),
  serverError: (): FakeResponse => ({
    status: 500,
    body: twilioError(500, 20500, 'Internal Server Error'),
  }),
};

// Twilio's test-credential magic numbers (twilio.com/docs/iam/test-credentials).
const MAGIC_TO: Record<string, { code: number; message: (to: string) => string }> = {
  '+15005550001': { code: 21211, message: (to) => `The 'To' number ${to} is not a valid phone number.` },
  '+15005550002': { code: 21612, message: (to) => `The 'To' phone number: ${to}, is not currently reachable.` },
  '+15005550003': {
    code: 21408,
    message: (to) =>
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  },
  '+15005550004': { code: 21610, message: () => 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { code: 21614, message: (to) => `'To' number ${to} is not a valid mobile number` },
};

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  now?: () => number;
}

export async function startFakeTwilio(opts: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
  const authToken = opts.authToken ?? FAKE_TWILIO_AUTH_TOKEN;
  const now = opts.now ?? Date.now;
  const http = new HttpFake<RecordedTwilioRequest>();
  const sent: SentSms[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const base = `/2010-04-01/Accounts/${accountSid}`;
  let storm: { untilMs: number; pick: () => FakeResponse } | undefined;
  const stormLog: StormEntry[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = pathOf(req);
    const method = req.method ?? 'GET';
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const form = isForm ? Object.fromEntries(new URLSearchParams(raw)) : {};
    http.requests.push({ method, path, headers: req.headers, form, raw });

    const accountMatch = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/]+))?\.json$/.exec(path);
    const isCreate = accountMatch !== null && accountMatch[2] === undefined;
    if (isCreate && method === 'POST') {
      const failure = http.failures.shift() ?? (storm && now() < storm.untilMs ? storm.pick() : undefined);
      if (storm) {
        const retryAfter = failure?.headers?.['retry-after'];
        stormLog.push({
          at: now(),
          message: `${form.To ?? ''}\n${form.Body ?? ''}`,
          ...(failure ? { status: failure.status } : {}),
          ...(retryAfter && Number.isFinite(Number(retryAfter)) ? { retryAfterSeconds: Number(retryAfter) } : {}),
        });
      }
      if (failure) return reply(res, failure.status, failure.body, failure.headers);
    }

    if (req.headers.authorization !== expectedAuth) {
      return reply(
        res,
        401,
        {
          ...twilioError(401, 20003, 'Authenticate'),
          detail: 'Your AccountSid or AuthToken was incorrect.',
        },
        { 'www-authenticate': 'Basic realm="Twilio API"' },
      );
    }
    if (!accountMatch || accountMatch[1] !== accountSid) {
      return reply(res, 404, twilioError(404, 20404, `The requested resource ${path} was not found`));
    }

    if (!isCreate) {
      if (method !== 'GET') return reply(res, 405, twilioError(405, 20004, 'Method not allowed'));
      const message = sent.find((m) => m.sid === accountMatch[2]);
      if (!message) return reply(res, 404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      return reply(res, 200, toResource(message));
    }
    if (method === 'GET') return reply(res, 200, listPage(new URL(req.url ?? '/', 'http://fake.invalid').searchParams));
    if (method !== 'POST') return reply(res, 405, twilioError(405, 20004, 'Method not allowed'));

    const invalid = validate(form);
    if (invalid) return reply(res, invalid.status, invalid.body);

    const message: SentSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      to: form.To ?? '',
      from: form.MessagingServiceSid ? null : (form.From ?? null),
      messagingServiceSid: form.MessagingServiceSid ?? null,
      body: form.Body ?? '',
      statusCallback: form.StatusCallback ?? null,
      // A Messaging Service answers `accepted` while it picks a sender; a plain From answers `queued`.
      status: form.MessagingServiceSid ? 'accepted' : 'queued',
      numSegments: Math.max(1, smsSegments(form.Body ?? '').segments),
      dateCreated: new Date(now()),
    };
    sent.push(message);
    if (http.latencyMs > 0) await sleep(http.latencyMs);
    return reply(res, 201, toResource(message));
  }

  /** Twilio's order: To, then the sender, then the content; then formats and magic numbers. */
  function validate(form: Record<string, string>): FakeResponse | undefined {
    const error = (code: number, message: string) => ({ status: 400, body: twilioError(400, code, message) });
    const to = form.To;
    if (!to) return error(21604, "A 'To' phone number is required.");
    if (!form.From && !form.MessagingServiceSid) return error(21603, "A 'From' phone number is required.");
    if (!form.Body && !form.MediaUrl && !form.ContentSid) return error(21602, 'Message body is required.');
    if (!E164.test(to)) return error(21211, `The 'To' number ${to} is not a valid phone number.`);
    if (form.MessagingServiceSid && !MESSAGING_SERVICE_SID.test(form.MessagingServiceSid)) {
      return error(21701, `The Messaging Service Sid ${form.MessagingServiceSid} is invalid.`);
    }
    if (form.From && !form.MessagingServiceSid && !E164.test(form.From) && !/^[A-Za-z0-9 ]{1,11}$/.test(form.From)) {
      return error(
        21212,
        `The 'From' number ${form.From} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
    if ((form.Body ?? '').length > MAX_BODY_CHARS) {
      return error(21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    if (form.StatusCallback !== undefined && !/^https?:\/\/\S+$/.test(form.StatusCallback)) {
      return error(21609, 'Invalid StatusCallback url');
    }
    const magic = MAGIC_TO[to];
    if (magic) return error(magic.code, magic.message(to));
    return undefined;
  }

  /**
   * One page of the list, as Twilio answers it: most recent first (Twilio sorts by DateSent; this fake's messages
   * are never sent, so by creation), filtered by To and From; the DateSent filters match only messages that have
   * a date_sent (none here: a queued message has none yet).
   */
  function listPage(query: URLSearchParams) {
    const pageSize = Math.min(1000, Math.max(1, Number(query.get('PageSize') ?? 50) || 50));
    const page = Math.max(0, Number(query.get('Page') ?? 0) || 0);
    const to = query.get('To');
    const from = query.get('From');
    const byDate = ['DateSent', 'DateSent<', 'DateSent>'].some((k) => query.has(k));
    const matching = sent
      .filter((m) => (to === null || m.to === to) && (from === null || m.from === from) && !byDate)
      .reverse();
    const messages = matching.slice(page * pageSize, (page + 1) * pageSize);
    const uriFor = (p: number) => {
      const q = new URLSearchParams(query);
      q.set('PageSize', String(pageSize));
      q.set('Page', String(p));
      if (p > 0) q.set('PageToken', `PA${matching[p * pageSize - 1]?.sid ?? ''}`);
      else q.delete('PageToken');
      return `${base}/Messages.json?${q.toString()}`;
    };
    const hasNext = (page + 1) * pageSize < matching.length;
    return {
      end: page * pageSize + Math.max(0, messages.length - 1),
      first_page_uri: uriFor(0),
      messages: messages.map(toResource),
      next_page_uri: hasNext ? uriFor(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? uriFor(page - 1) : null,
      start: page * pageSize,
      uri: `${base}/Messages.json?${query.toString()}`,
    };
  }

  function toResource(m: SentSms) {
    const date = m.dateCreated.toUTCString().replace('GMT', '+0000');
    return {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${base}/Messages/${m.sid}/Media.json` },
      to: m.to,
      uri: `${base}/Messages/${m.sid}.json`,
    };
  }

  const url = await http.listen(handle, (res, err) => reply(res, 500, twilioError(500, 20500, String(err))));

  return {
    url,
    accountSid,
    authToken,
    sent,
    stormLog,
    storm(untilMs, pick) {
      storm = { untilMs, pick };
    },
    ...http.controls(() => {
      sent.length = 0;
      storm = undefined;
      stormLog.length = 0;
    }),
  };
}

/**
 * The X-Twilio-Signature Twilio sends on webhooks: base64 HMAC-SHA1, keyed by the auth token, of the full URL
 * followed by each POST parameter's name and value, sorted by name (repeated values deduplicated and sorted),
 * as twilio-node's getExpectedTwilioSignature computes it.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]> = {},
): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key] ?? '';
      const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
      return acc + values.map((v) => key + v).join('');
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeResponse(res, status, body, headers, 'application/json; charset=utf-8', {
    'twilio-request-id': `RQ${randomBytes(16).toString('hex')}`,
  });
}
