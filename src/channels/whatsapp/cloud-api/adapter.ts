import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type DeliveryError,
  parseRetryAfter,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../errors';
import type { ChannelAdapter, OutgoingMessage, SendResult, WhatsAppContent, WhatsAppTemplate } from '../../types';
import { parseJson } from '../../../lib/http';
import { redactPhoneNumbers } from '../../../lib/redact';

/**
 * WhatsApp Business Cloud API (Meta Graph API), over plain fetch: text, templates, and one-tap answers as a list.
 *
 * No idempotency: Graph has no idempotency key, so a request that reached Meta but whose answer was lost
 * (timeout, reset connection, a 5xx without Graph's error body) can be delivered and then sent again by a retry.
 * Those errors are Transient, but this adapter is `keyless`: the send activity marks each attempt durably before
 * the request, and the attempt after a mark whose outcome is unknown is not resent but fails as
 * OutcomeUnknownError (Graph cannot list what it sent). Errors where Meta surely did not take the message (Graph
 * answered with its error body, or the connection never opened) say so (`surelyNotSent`): their retry sends. The
 * idempotency key is sent as `biz_opaque_callback_data`, which Meta echoes on status webhooks, so a message can be
 * recognised afterwards.
 *
 * Many rejections are asynchronous: Meta often answers 200 with a wamid and reports 131047/131026 later as a
 * `failed` status on the webhook. `deliveryErrorForStatus` maps those to the same error classes.
 */

export interface WhatsAppCloudAdapterOptions {
  /** System-user access token with whatsapp_business_messaging. */
  token: string;
  /** The business phone number's Graph id (not the phone number itself). */
  phoneNumberId: string;
  /** WHATSAPP_API_BASE_URL; defaults to https://graph.facebook.com. */
  baseUrl?: string;
  /** Graph API version, e.g. "v26.0". */
  graphVersion?: string;
  /** Aborts a hung request. A late success can't be deduplicated (no idempotency key), see above. */
  timeoutMs?: number;
  /** Clock for Retry-After HTTP dates; injectable for tests. */
  now?: () => number;
}

const PROVIDER = 'whatsapp-cloud';
const DEFAULT_BASE_URL = 'https://graph.facebook.com';
// Current Graph version as of 2026-11 (released 2026-07-29); v21.0, often hard-coded, expires 2027-01-21.
const DEFAULT_GRAPH_VERSION = 'v26.0';
const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Network errors before a connection existed: the request never reached Meta. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// Inbound timestamps slightly ahead of our clock are skew, not the future.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_CALLBACK_DATA_LENGTH = 512;

/** The Graph error codes this adapter distinguishes (developers.facebook.com … whatsapp/support/error-codes). */
export const GraphErrorCode = {
  authException: 0,
  apiUnknown: 1,
  apiService: 2,
  tooManyCalls: 4,
  permissionDenied: 10,
  invalidParameter: 100,
  accessTokenExpired: 190,
  wabaRateLimit: 80007,
  throughputRateLimit: 130429,
  somethingWentWrong: 131000,
  serviceUnavailable: 131016,
  messageUndeliverable: 131026,
  recipientNotAllowed: 131030,
  accountLocked: 131031,
  paymentIssue: 131042,
  reEngagement: 131047,
  spamRateLimit: 131048,
  unsupportedMessageType: 131051,
  pairRateLimit: 131056,
} as const;

/** A free-form message outside the 24 h customer-service window (131047): resend it as a template. */
export class OutsideServiceWindowError extends PermanentDeliveryError {}

export class WhatsAppCloudAdapter implements ChannelAdapter<WhatsAppContent> {
  readonly channel = 'whatsapp' as const;
  readonly provider = PROVIDER;
  readonly keyless = true;
  private readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(opts: WhatsAppCloudAdapterOptions) {
    if (!opts.token) throw new Error('WhatsAppCloudAdapter: token is required');
    if (!opts.phoneNumberId) throw new Error('WhatsAppCloudAdapter: phoneNumberId is required');
    const version = opts.graphVersion ?? DEFAULT_GRAPH_VERSION;
    if (!/^v\d+\.\d+$/.test(version)) throw new Error(`WhatsAppCloudAdapter: graphVersion must look like v26.0`);
    const baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.url = `${baseUrl}/${version}/${encodeURIComponent(opts.phoneNumberId)}/messages`;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  async send(message: OutgoingMessage<WhatsAppContent>): Promise<SendResult> {
    const { content } = message;
    const to = toWhatsAppNumber(content.to);
    if (!to) throw new PermanentDeliveryError('whatsapp-cloud: recipient is not a phone number', PROVIDER);

    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      ...(content.template
        ? { type: 'template', template: templatePayload(content.template) }
        : content.buttons?.length && content.buttonsLabel
          ? { type: 'interactive', interactive: listPayload(content.text, content.buttonsLabel, content.buttons) }
          : { type: 'text', text: { body: content.text, preview_url: false } }),
      biz_opaque_callback_data: toCallbackData(message.idempotencyKey),
    };

    let response: Response;
    let raw: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      raw = await response.text();
    } catch (err) {
      // Unknown outcome: Meta may have accepted it. Retrying risks a duplicate, not retrying risks silence.
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const code = timedOut ? 'timeout' : 'network';
      const error = new TransientDeliveryError(
        `whatsapp-cloud: ${code}: ${redact(describe(err), to)}`,
        PROVIDER,
        undefined,
        code,
      );
      throw NEVER_CONNECTED.has(causeCode(err)) ? error.surelyNotSent() : error;
    }

    const json = parseJson(raw);
    if (response.ok) {
      const id = successSchema.safeParse(json).data?.messages[0]?.id;
      // Accepted but unreadable (a proxy?): retry like an outage, accepting the duplicate risk above.
      if (!id) throw new TransientDeliveryError('whatsapp-cloud: success response without a message id', PROVIDER);
      return { provider: PROVIDER, providerMessageId: id };
    }

    const graph = graphErrorSchema.safeParse(json).data?.error;
    const retryAfter = response.headers.get('retry-after');
    const error = classifyGraphError({
      status: response.status,
      code: graph?.code,
      text: describeGraphError(response.status, graph, to),
      delay: (fallbackMs) => parseRetryAfter(retryAfter, this.now(), fallbackMs),
    });
    // Graph's own error body (or a 401) is Meta refusing the message; a bare 5xx may be a proxy after Meta took it.
    throw graph || response.status === 401 ? error.surelyNotSent() : error;
  }
}

export interface GraphFailure {
  status: number | undefined;
  code: number | undefined;
  /** Already redacted. */
  text: string;
  delay: (fallbackMs: number) => number;
}

/** Maps a Graph error code (and HTTP status) to the DeliveryError class that decides retry behaviour. */
export function classifyGraphError({ status, code, text, delay }: GraphFailure): DeliveryError {
  const codeText = code === undefined ? undefined : String(code);
  const permanent = () => new PermanentDeliveryError(text, PROVIDER, status, codeText);
  const transient = () => new TransientDeliveryError(text, PROVIDER, status, codeText);
  const throttled = (fallbackMs: number) =>
    new ThrottledDeliveryError(text, PROVIDER, delay(fallbackMs), status, codeText);

  switch (code) {
    case GraphErrorCode.reEngagement:
      return new OutsideServiceWindowError(text, PROVIDER, status, codeText);
    case GraphErrorCode.messageUndeliverable:
    case GraphErrorCode.recipientNotAllowed:
    case GraphErrorCode.unsupportedMessageType:
    case GraphErrorCode.invalidParameter:
      return permanent();
    // Graph sends no Retry-After; the defaults follow each limit's window.
    case GraphErrorCode.throughputRateLimit:
      // Per-second throughput of the business number.
      return throttled(1000);
    case GraphErrorCode.pairRateLimit:
      // About one message per 6 s to the same customer.
      return throttled(6000);
    case GraphErrorCode.tooManyCalls:
    case GraphErrorCode.wabaRateLimit:
      // App and WABA call limits are rolling-hour windows: asking again in a second just burns calls.
      return throttled(60_000);
    case GraphErrorCode.spamRateLimit:
      // Quality-based restriction on the number: lifts slowly, and hammering it hurts the rating further.
      return throttled(15 * 60_000);
    case GraphErrorCode.authException:
    case GraphErrorCode.permissionDenied:
    case GraphErrorCode.accessTokenExpired:
    case GraphErrorCode.accountLocked:
    case GraphErrorCode.paymentIssue:
      // Operator misconfiguration (expired token, revoked permission, billing): not the recipient's fault and fixed
      // by ops, so keep retrying with backoff rather than dropping the message or skipping to another channel.
      return transient();
    case GraphErrorCode.apiUnknown:
    case GraphErrorCode.apiService:
    case GraphErrorCode.somethingWentWrong:
    case GraphErrorCode.serviceUnavailable:
      return transient();
  }
  // Template problems: missing/invalid parameters, unapproved, paused or unknown template/language.
  if (code !== undefined && code >= 132000 && code <= 132069) return permanent();
  // 200–299: API permission errors, same operator problem as above.
  if (code !== undefined && code >= 200 && code <= 299) return transient();

  if (status === 429) return throttled(1000);
  if (status === 401) return transient();
  if (status === undefined || status >= 500 || status === 408) return transient();
  // Other 4xx: resending the same payload won't help.
  return permanent();
}

/**
 * True when the customer wrote within the last 24 h, so a free-form message is allowed. Accepts ISO dates and
 * Unix seconds (the webhook `timestamp`). `marginMs` shortens the window, for sends that may be retried later.
 */
export function withinServiceWindow(lastInboundAt: string | undefined, now: number, marginMs = 0): boolean {
  if (!lastInboundAt) return false;
  const at = /^\d+$/.test(lastInboundAt) ? Number(lastInboundAt) * 1000 : Date.parse(lastInboundAt);
  if (!Number.isFinite(at)) return false;
  const age = now - at;
  return age >= -CLOCK_SKEW_MS && age < SERVICE_WINDOW_MS - marginMs;
}

/** E.164 ("+49 151 2345-678") to the digits Graph expects ("491512345678"); undefined if it isn't a number. */
export function toWhatsAppNumber(to: string): string | undefined {
  const digits = to
    .trim()
    .replace(/^\+/, '')
    .replace(/[\s().-]/g, '');
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : undefined;
}

function templatePayload(template: WhatsAppTemplate) {
  return {
    name: template.name,
    language: { code: template.language },
    // An empty parameters array is itself a template parameter mismatch, so no components at all then.
    ...(template.bodyParameters.length > 0
      ? { components: [{ type: 'body', parameters: template.bodyParameters.map((text) => ({ type: 'text', text })) }] }
      : {}),
  };
}

/**
 * One-tap answers as an interactive list: reply buttons allow only 3, a list up to 10 rows (a title of 24
 * characters, an id of 200 that comes back as list_reply.id). Free-form only, so inside the 24 h window; the body
 * is the message text (4096 characters, like a text message), the label opens the list (20 characters).
 */
function listPayload(text: string, label: string, buttons: { id: string; title: string }[]) {
  return {
    type: 'list',
    body: { text },
    action: { button: label, sections: [{ rows: buttons.map((b) => ({ id: b.id, title: b.title })) }] },
  };
}

/** biz_opaque_callback_data allows 512 chars; longer keys are hashed, deterministically. */
function toCallbackData(key: string): string {
  if (key.length <= MAX_CALLBACK_DATA_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Graph responses

const successSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });

const graphErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});
type GraphError = z.infer<typeof graphErrorSchema>['error'];

function describeGraphError(status: number, error: GraphError | undefined, to: string): string {
  if (!error) return `whatsapp-cloud: HTTP ${status} without a Graph error body`;
  const parts = [error.message, error.error_data?.details].filter((p): p is string => !!p);
  const trace = error.fbtrace_id ? ` (fbtrace_id ${error.fbtrace_id})` : '';
  return `whatsapp-cloud: ${error.code ?? 'unknown'} (${status}): ${redact(parts.join(': '), to)}${trace}`;
}

/** Graph details sometimes quote the recipient: drop the exact number and anything phone-shaped. */
export const redact = (text: string, digits: string) => redactPhoneNumbers(text, digits);

/** undici's "fetch failed" keeps the system error (ECONNREFUSED, …) in `cause`. */
function causeCode(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici's "fetch failed" hides the reason (ECONNREFUSED, …) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
