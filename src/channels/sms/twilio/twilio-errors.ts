import type http from 'node:http';
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
import { isRecord } from '../../../lib/http';

/**
 * Twilio's error answers as the project's DeliveryError kinds. Which of them are surely not sent, and why an
 * ambiguous one is not retried, is explained in ./adapter.ts.
 */

export const PROVIDER = 'twilio';

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

/** Maps a Twilio error response ({code, message, more_info, status}) to the DeliveryError that decides retries. */
export function classifyTwilioError(
  status: number,
  headers: http.IncomingHttpHeaders,
  body: unknown,
  redact: (text: string) => string,
  now: () => number,
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
      return new ThrottledDeliveryError(text, PROVIDER, parseRetryAfter(retryAfter, now(), 1000), status, code);
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
    return new ThrottledDeliveryError(text, PROVIDER, parseRetryAfter(retryAfter, now(), 1000), status, code);
  }
  // A 401 means nothing was created; it is the same operator problem as 20003 whatever the code.
  if (status === 401) return new TransientDeliveryError(text, PROVIDER, status, code).surelyNotSent();
  // A gateway error without Twilio's JSON body may come after the API created the message.
  if ((status === 502 || status === 504) && twilioCode === undefined) {
    return new SmsOutcomeUnknownError(text, PROVIDER, status, code);
  }
  // Answered by Twilio's API itself (a 5xx with its JSON, or any other 5xx/408): nothing was created (see adapter.ts).
  if (status >= 500 || status === 408) return new TransientDeliveryError(text, PROVIDER, status, code).surelyNotSent();
  // Other 4xx: validation, an invalid or unowned From (21212/21606), permissions. Resending the same form won't help.
  return new PermanentDeliveryError(text, PROVIDER, status, code);
}
