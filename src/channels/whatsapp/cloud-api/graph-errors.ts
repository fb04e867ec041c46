import { z } from 'zod';
import {
  type DeliveryError,
  parseRetryAfter,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../errors';
import { redactPhoneNumbers } from '../../../lib/redact';

/**
 * Graph's failures as the project's DeliveryError kinds: an error answer (classifyGraphError, also used for the
 * `failed` statuses on the webhook) and a request that got no answer at all. Which of them are `surelyNotSent` is
 * explained in ./adapter.ts.
 */

export const PROVIDER = 'whatsapp-cloud';
/** Network errors before a connection existed: the request never reached Meta. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

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

/** The request got no answer (timeout, reset, refused connection): see the adapter for what that means. */
export function requestFailedError(err: unknown, to: string): TransientDeliveryError {
  // Unknown outcome: Meta may have accepted it. Retrying risks a duplicate, not retrying risks silence.
  const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
  const code = timedOut ? 'timeout' : 'network';
  const error = new TransientDeliveryError(
    `whatsapp-cloud: ${code}: ${redact(describe(err), to)}`,
    PROVIDER,
    undefined,
    code,
  );
  return NEVER_CONNECTED.has(causeCode(err)) ? error.surelyNotSent() : error;
}

/** A non-2xx answer from Graph (its JSON already parsed) as the DeliveryError to throw. */
export function graphResponseError(response: Response, json: unknown, to: string, now: () => number): DeliveryError {
  const graph = graphErrorSchema.safeParse(json).data?.error;
  const retryAfter = response.headers.get('retry-after');
  const error = classifyGraphError({
    status: response.status,
    code: graph?.code,
    text: describeGraphError(response.status, graph, to),
    delay: (fallbackMs) => parseRetryAfter(retryAfter, now(), fallbackMs),
  });
  // Graph's own error body (or a 401) is Meta refusing the message; a bare 5xx may be a proxy after Meta took it.
  return graph || response.status === 401 ? error.surelyNotSent() : error;
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
