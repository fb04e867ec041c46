import { createHash } from 'node:crypto';
import { Resend, type ErrorResponse } from 'resend';
import {
  type DeliveryError,
  parseRetryAfter,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../errors';
import type { ChannelAdapter, EmailContent, OutgoingMessage, SendResult } from '../../types';
import { redactEmails } from '../../../lib/redact';

export interface ResendEmailAdapterOptions {
  apiKey: string;
  /** Defaults to https://api.resend.com. Passed explicitly so the SDK never falls back to RESEND_BASE_URL. */
  baseUrl?: string;
  /** Overrides `content.from` when set (one verified sender for the whole deployment). */
  from?: string;
  /** Clock for Retry-After HTTP dates; injectable for tests. */
  now?: () => number;
  /** Aborts a hung request; the retry reuses the idempotency key, so a late success is not sent twice. */
  timeoutMs?: number;
}

const PROVIDER = 'resend';
const DEFAULT_BASE_URL = 'https://api.resend.com';
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const MAX_TAG_LENGTH = 256;
const ONE_MINUTE_MS = 60 * 1000;
const ONE_HOUR_MS = 60 * ONE_MINUTE_MS;

/**
 * Sends email through Resend. The SDK never throws for API or network errors; it resolves to
 * `{ data, error, headers }`, so every failure is classified here from `error.name` and `statusCode`.
 *
 * Logging: resend@6.38 only console.errors API errors when RESEND_DEBUG=true (older 6.x did it whenever
 * NODE_ENV !== 'production'); it is off by default and there is no constructor option for it.
 */
export class ResendEmailAdapter implements ChannelAdapter<EmailContent> {
  readonly channel = 'email' as const;
  readonly provider = PROVIDER;
  private readonly resend: Resend;
  private readonly from: string | undefined;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(opts: ResendEmailAdapterOptions) {
    // An empty key would make the SDK read RESEND_API_KEY from the environment instead.
    if (!opts.apiKey) throw new Error('ResendEmailAdapter: apiKey is required');
    // The SDK builds `${baseUrl}${path}`, so a trailing slash would give `//emails`.
    const baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.resend = new Resend(opts.apiKey, { baseUrl });
    this.from = opts.from || undefined;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async send(message: OutgoingMessage<EmailContent>): Promise<SendResult> {
    const { content, meta } = message;
    let response: Awaited<ReturnType<Resend['emails']['send']>>;
    try {
      response = await this.resend.emails.send(
        {
          from: this.from ?? content.from,
          to: content.to,
          subject: content.subject,
          html: content.html,
          text: content.text,
          ...(content.headers ? { headers: content.headers } : {}),
          tags: [{ name: 'kind', value: toTagValue(meta.kind) }],
        },
        { idempotencyKey: toIdempotencyKey(message.idempotencyKey), signal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (err) {
      // Only reachable on SDK bugs or invalid header values; the outcome is unknown, so retry with the same key.
      const detail = err instanceof Error ? err.message : String(err);
      throw new TransientDeliveryError(`resend: send threw: ${redactEmails(detail)}`, PROVIDER);
    }

    if (response.error) throw this.classify(response.error, response.headers);
    if (!response.data?.id) throw new TransientDeliveryError('resend: success response without an id', PROVIDER);
    return { provider: PROVIDER, providerMessageId: response.data.id };
  }

  /** Maps a Resend error to the DeliveryError class that decides retry behaviour. */
  private classify(error: ErrorResponse, headers: Record<string, string> | null): DeliveryError {
    const status = error.statusCode ?? undefined;
    const code = typeof error.name === 'string' ? error.name : 'unknown_error';
    // Resend echoes addresses in some messages ("…your own email address (x@y.z)"): never let them reach logs.
    const text = `resend: ${code}${status ? ` (${status})` : ''}: ${redactEmails(String(error.message ?? ''))}`;
    // ratelimit-reset (seconds) describes the per-second request window, so it only stands in for a missing
    // retry-after on rate limiting, not on quotas.
    const retryAfter = headers?.['retry-after'];
    const delay = (fallbackMs: number) =>
      parseRetryAfter(retryAfter ?? headers?.['ratelimit-reset'], this.now(), fallbackMs);

    switch (code) {
      case 'daily_quota_exceeded':
        // Resets within 24h and nothing is wrong with the message: wait rather than burn a fallback channel.
        // Floored at a minute so a generic short retry-after can't turn into hours of once-a-second retries.
        return new ThrottledDeliveryError(
          text,
          PROVIDER,
          Math.max(parseRetryAfter(retryAfter, this.now(), ONE_HOUR_MS), ONE_MINUTE_MS),
          status,
          code,
        );
      case 'monthly_quota_exceeded':
        // Could last weeks: a follow-up that late is stale, so let the workflow try another channel now
        // (ops should alert on this code and raise the plan).
        return new PermanentDeliveryError(text, PROVIDER, status, code);
      case 'concurrent_idempotent_requests':
        // The first request with this key is still in flight; asking again shortly returns its result.
        return new ThrottledDeliveryError(text, PROVIDER, delay(1000), status, code);
      case 'invalid_idempotent_request':
        // Same key, different payload: retrying can never succeed and must not send a second email.
        return new PermanentDeliveryError(text, PROVIDER, status, code);
      case 'missing_api_key':
      case 'invalid_api_key':
      case 'restricted_api_key':
        // Operator misconfiguration: not the recipient's fault and fixed by rotating the key, so keep retrying
        // with backoff instead of dropping the message or skipping to another channel.
        return new TransientDeliveryError(text, PROVIDER, status, code);
      case 'validation_error':
        // The docs say a wrong key is 403 invalid_api_key, but the live API answers 400 validation_error
        // "API key is invalid": same operator problem as above.
        if (/\bapi key\b/i.test(String(error.message))) return new TransientDeliveryError(text, PROVIDER, status, code);
        break;
      case 'application_error':
      case 'internal_server_error':
        // Also covers network failures (statusCode null) and non-JSON bodies from proxies (a 429 is caught below).
        if (status !== 429) return new TransientDeliveryError(text, PROVIDER, status, code);
    }

    if (status === 429) return new ThrottledDeliveryError(text, PROVIDER, delay(1000), status, code);
    if (status === undefined || status >= 500 || status === 408) {
      return new TransientDeliveryError(text, PROVIDER, status, code);
    }
    // 400/422 validation, 403 unverified domain / invalid from or to, 404/405: resending the same payload won't help.
    return new PermanentDeliveryError(text, PROVIDER, status, code);
  }
}

/** Resend accepts keys of 1–256 chars; longer or non-ASCII keys (fetch rejects those headers) are hashed. */
export function toIdempotencyKey(key: string): string {
  if (key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && /^[\x21-\x7e]+$/.test(key)) return key;
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Tag values may only contain ASCII letters, digits, `_` and `-`. */
export function toTagValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_TAG_LENGTH);
  return clean || 'unknown';
}
