/** Field schemas every /v1 body shares; each message says what to send instead. */
import { z } from 'zod';

export const businessKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
    'use 1-100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  );

/**
 * Headers every mutating /v1 route accepts: the caller's own id for the request. A retry with the same key
 * (and body) is answered without being applied again; any printable ASCII, up to 255 characters (a UUID fits).
 */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'use 1-255 printable ASCII characters without spaces, e.g. a UUID')
    .optional(),
});

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +447700900123');

export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as "Europe/London" or "Asia/Dhaka"' },
);

export const localeTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "bn"');

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"')
  .refine((c) => {
    try {
      new Intl.NumberFormat('en', { style: 'currency', currency: c });
      return true;
    } catch {
      return false;
    }
  }, 'is not a currency this server knows');

export const money = z.number().nonnegative().max(1e12);

/** The body of every error response: what went wrong and, for a bad body, which field. */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
