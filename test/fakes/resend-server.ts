import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeResponse,
  HttpFake,
  isRecord,
  type RecordedJsonRequest,
  recordJson,
  sleep,
  writeResponse,
} from './http-fake';

export type { FakeResponse };

/**
 * A fake of the Resend HTTP API (POST /emails, GET /emails/:id) on 127.0.0.1, for driving the real `resend` SDK
 * offline. Status codes, error names and messages follow what the live API returns, which is not always what the
 * docs say (e.g. a wrong API key is a 400 `validation_error`, missing fields are 422 `missing_required_field`).
 */

export const FAKE_RESEND_API_KEY = 're_test_aftercare';
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_RECIPIENTS = 50;
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;
// `email@example.com` or `Name <email@example.com>`, as Resend's error message describes.
const ADDRESS = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

export type RecordedRequest = RecordedJsonRequest;

export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
  tags?: { name: string; value: string }[];
  idempotencyKey?: string;
  createdAt: string;
}

/** A send request that came while a storm was set (until reset): when, which message, what the storm answered. */
export interface StormEntry {
  at: number;
  /** The request's Idempotency-Key ('' without one): a retry of the same email carries the same key. */
  message: string;
  /** The storm's answer; undefined once the storm was over and the request was processed as usual. */
  status?: number;
  /** The Retry-After the storm's answer carried, in seconds. */
  retryAfterSeconds?: number;
}

export interface FakeResend {
  /** Base URL without a trailing slash, for `new Resend(key, { baseUrl })`. */
  url: string;
  apiKey: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Emails accepted (idempotent replays are not added again). */
  sent: SentEmail[];
  /** The next `n` POST /emails requests get `response` instead of being processed. */
  failNext(n: number, response: FakeResponse): void;
  /** Delays POST /emails processing, so a second request with the same key sees the first in flight. */
  setLatency(ms: number): void;
  /**
   * Until `untilMs` (the fake's clock) every POST /emails gets `pick()` (after any queued failNext) instead of being
   * processed: a provider outage or a rate-limit storm. Every send request from now on is logged in `stormLog`.
   */
  storm(untilMs: number, pick: () => FakeResponse): void;
  stormLog: StormEntry[];
  reset(): void;
  close(): Promise<void>;
}

/** Ready-made failure responses, shaped like Resend's. */
export const resendFailures = {
  rateLimited: (retryAfterSeconds = 1): FakeResponse => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds), 'ratelimit-reset': String(retryAfterSeconds) },
    body: errorBody(429, 'rate_limit_exceeded', 'Too many requests. Please limit the number of requests per second.'),
  }),
  dailyQuota: (): FakeResponse => ({
    status: 429,
    body: errorBody(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.'),
  }),
  validation: (message = 'Invalid `to` field.'): FakeResponse => ({
    status: 422,
    body: errorBody(422, 'validation_error', message),
  }),
  serverError: (): FakeResponse => ({
    status: 500,
    body: errorBody(500, 'application_error', 'Internal server error.'),
  }),
};

export interface FakeResendOptions {
  apiKey?: string;
  /** Clock for the 24h idempotency window. */
  now?: () => number;
}

interface IdempotencyRecord {
  fingerprint: string;
  expiresAt: number;
  status: number;
  body: unknown;
}

export async function startFakeResend(opts: FakeResendOptions = {}): Promise<FakeResend> {
  const apiKey = opts.apiKey ?? FAKE_RESEND_API_KEY;
  const now = opts.now ?? Date.now;
  const http = new HttpFake<RecordedRequest>();
  const sent: SentEmail[] = [];
  const byKey = new Map<string, IdempotencyRecord>();
  const inFlight = new Map<string, string>();
  let storm: { untilMs: number; pick: () => FakeResponse } | undefined;
  const stormLog: StormEntry[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const { path, method, parsed } = recordJson(http, req, raw);

    const isSend = path === '/emails';
    const getMatch = /^\/emails\/([^/]+)$/.exec(path);
    if (!isSend && !getMatch)
      return reply(res, 404, errorBody(404, 'not_found', 'The requested endpoint does not exist.'));
    if ((isSend && method !== 'POST') || (getMatch && method !== 'GET')) {
      return reply(res, 405, errorBody(405, 'method_not_allowed', 'Method is not allowed for the requested path.'));
    }

    if (isSend) {
      const failure = http.failures.shift() ?? (storm && now() < storm.untilMs ? storm.pick() : undefined);
      if (storm) stormLog.push(stormEntry(now(), req.headers['idempotency-key'], failure));
      if (failure) return reply(res, failure.status, failure.body, failure.headers);
    }

    const auth = req.headers.authorization;
    if (!auth)
      return reply(res, 401, errorBody(401, 'missing_api_key', 'Missing API key in the authorization header.'));
    if (auth !== `Bearer ${apiKey}`) return reply(res, 400, errorBody(400, 'validation_error', 'API key is invalid'));

    if (getMatch) {
      const email = sent.find((e) => e.id === getMatch[1]);
      if (!email) return reply(res, 404, errorBody(404, 'not_found', 'Email not found'));
      return reply(res, 200, toApiEmail(email));
    }

    if (!parsed.ok || !isRecord(parsed.value)) {
      return reply(res, 400, errorBody(400, 'validation_error', 'Invalid JSON body.'));
    }
    const body = parsed.value;

    const keyHeader = req.headers['idempotency-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    if (key !== undefined) {
      if (key.length < 1 || key.length > 256) {
        return reply(res, 400, errorBody(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'));
      }
      const fingerprint = fingerprintOf(body);
      const previous = byKey.get(key);
      if (previous && previous.expiresAt > now()) {
        if (previous.fingerprint !== fingerprint) {
          return reply(
            res,
            409,
            errorBody(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.'),
          );
        }
        return reply(res, previous.status, previous.body);
      }
      if (inFlight.has(key)) {
        return reply(
          res,
          409,
          errorBody(
            409,
            'concurrent_idempotent_requests',
            'Same idempotency key used while original request is still in progress.',
          ),
        );
      }
      inFlight.set(key, fingerprint);
    }

    try {
      if (http.latencyMs > 0) await sleep(http.latencyMs);
      const invalid = validateEmail(body);
      if (invalid) return reply(res, invalid.status, invalid.body);

      const email: SentEmail = {
        id: randomUUID(),
        from: body.from as string,
        to: toList(body.to),
        subject: body.subject as string,
        ...(typeof body.html === 'string' ? { html: body.html } : {}),
        ...(typeof body.text === 'string' ? { text: body.text } : {}),
        ...(isRecord(body.headers) ? { headers: body.headers as Record<string, string> } : {}),
        ...(Array.isArray(body.tags) ? { tags: body.tags as SentEmail['tags'] } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
        createdAt: new Date(now()).toISOString(),
      };
      sent.push(email);
      const response = { id: email.id };
      // Only accepted sends are remembered, so a retry after a failed attempt is processed afresh.
      if (key !== undefined) {
        byKey.set(key, {
          fingerprint: fingerprintOf(body),
          expiresAt: now() + IDEMPOTENCY_TTL_MS,
          status: 200,
          body: response,
        });
      }
      return reply(res, 200, response);
    } finally {
      if (key !== undefined) inFlight.delete(key);
    }
  }

  const url = await http.listen(handle, (res, err) =>
    reply(res, 500, errorBody(500, 'application_error', String(err))),
  );

  return {
    url,
    apiKey,
    sent,
    stormLog,
    storm(untilMs, pick) {
      storm = { untilMs, pick };
    },
    ...http.controls(() => {
      sent.length = 0;
      byKey.clear();
      inFlight.clear();
      storm = undefined;
      stormLog.length = 0;
    }),
  };
}

function stormEntry(at: number, key: string | string[] | undefined, answer: FakeResponse | undefined): StormEntry {
  const retryAfter = Number(answer?.headers?.['retry-after']);
  return {
    at,
    message: (Array.isArray(key) ? key[0] : key) ?? '',
    ...(answer ? { status: answer.status } : {}),
    ...(Number.isFinite(retryAfter) && answer?.headers?.['retry-after'] ? { retryAfterSeconds: retryAfter } : {}),
  };
}

/** Resend's order: `to`, then `html`/`text`, then `subject`, then `from`; then formats. */
function validateEmail(body: Record<string, unknown>): FakeResponse | undefined {
  const missing = (field: string) => ({
    status: 422,
    body: errorBody(422, 'missing_required_field', `Missing \`${field}\` field.`),
  });
  const invalid = (message: string) => ({ status: 422, body: errorBody(422, 'validation_error', message) });

  const to = toList(body.to);
  if (to.length === 0) return missing('to');
  const hasBody =
    (typeof body.html === 'string' && body.html !== '') || (typeof body.text === 'string' && body.text !== '');
  if (!hasBody && !isRecord(body.template)) return missing('html` or `text');
  if (typeof body.subject !== 'string' || body.subject === '') return missing('subject');
  if (typeof body.from !== 'string' || body.from === '') return missing('from');

  const format = 'The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.';
  if (to.length > MAX_RECIPIENTS) return invalid(`Too many recipients in \`to\` field. Maximum is ${MAX_RECIPIENTS}.`);
  if (!to.every((a) => ADDRESS.test(a.trim()))) return invalid(`Invalid \`to\` field. ${format}`);
  if (!ADDRESS.test(body.from.trim())) return invalid(`Invalid \`from\` field. ${format}`);
  if (body.tags !== undefined) {
    const ok =
      Array.isArray(body.tags) &&
      body.tags.every(
        (t) =>
          isRecord(t) &&
          typeof t.name === 'string' &&
          typeof t.value === 'string' &&
          TAG_PART.test(t.name) &&
          TAG_PART.test(t.value),
      );
    if (!ok) return invalid('Tags should only contain ASCII letters, numbers, underscores, or dashes.');
  }
  if (
    body.headers !== undefined &&
    (!isRecord(body.headers) || !Object.values(body.headers).every((v) => typeof v === 'string'))
  ) {
    return invalid('Invalid `headers` field.');
  }
  return undefined;
}

function toApiEmail(email: SentEmail) {
  return {
    object: 'email',
    id: email.id,
    to: email.to,
    from: email.from,
    created_at: email.createdAt,
    subject: email.subject,
    html: email.html ?? null,
    text: email.text ?? null,
    bcc: null,
    cc: null,
    reply_to: null,
    last_event: 'delivered',
    scheduled_at: null,
    tags: email.tags ?? [],
  };
}

function errorBody(statusCode: number, name: string, message: string) {
  return { statusCode, name, message };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeResponse(res, status, body, headers, 'application/json', {
    'ratelimit-limit': '5',
    'ratelimit-remaining': status === 429 ? '0' : '4',
    'ratelimit-reset': '1',
  });
}

function toList(v: unknown): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return [];
}

/** Key order must not matter when comparing payloads. */
function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
