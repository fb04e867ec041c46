/**
 * Keeping contacts out of logs and errors: provider messages sometimes quote the address they were
 * given ("The 'To' number +15551234567 is not a valid phone number", "…your own email address (x@y.z)").
 */

/** Replaces anything shaped like an email address. */
export function redactEmails(text: string): string {
  return text.replace(/[^\s@<>()[\]"'`,;:]+@[^\s@<>()[\]"'`,;:]+/g, '[email]');
}

/** Replaces anything shaped like a phone number, plus the exact recipient string when given. */
export function redactPhoneNumbers(text: string, recipient?: string): string {
  let out = recipient && recipient.length >= 3 ? text.split(recipient).join('[phone]') : text;
  // `+` and at least 3 digits, or 7+ digits with common separators; not inside SIDs/words (lookbehind).
  out = out.replace(/(?<![\w+])(?:\+\d(?:[ ().-]{0,2}\d){2,}|\d(?:[ ().-]{0,2}\d){6,})/g, '[phone]');
  return out;
}

/**
 * What of an error may be logged: its type, code and message with anything phone- or email-shaped masked.
 * Not `name`: the logger redacts that key as PII.
 */
export function describeError(err: unknown): { type: string; message: string; code?: unknown; grpcCode?: number } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown } | null)?.code;
  // The gRPC status under a client's ServiceError (its own message names only the call): which failure it was.
  let grpcCode: number | undefined;
  for (let c: unknown = e.cause, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const cause = (c as { code?: unknown }).code;
    if (typeof cause === 'number') grpcCode = cause;
  }
  return {
    type: e.name,
    message: redactPhoneNumbers(redactEmails(e.message)),
    ...(code !== undefined ? { code } : {}),
    ...(grpcCode !== undefined ? { grpcCode } : {}),
  };
}
