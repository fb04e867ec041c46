/**
 * Twilio's inbound side: form posts (incoming SMS, status callbacks) signed with X-Twilio-Signature
 * over the full URL and the sorted parameters, and what a callback's error code says about the number.
 */
import { createHmac } from 'node:crypto';
import { safeEqualText } from '../../../lib/crypto';
import type { DeliveryProblem } from '../../errors';
import { twilioErrorKind } from './adapter';

/** Form fields, repeated names kept in order. */
export type TwilioParams = Map<string, string[]>;

export function formParams(body: unknown): TwilioParams {
  const params: TwilioParams = new Map();
  for (const [k, v] of new URLSearchParams(typeof body === 'string' ? body : '')) {
    params.set(k, [...(params.get(k) ?? []), v]);
  }
  return params;
}

export function first(params: TwilioParams, name: string): string | undefined {
  return params.get(name)?.[0];
}

/** base64(HMAC-SHA1(authToken, url + each name+value, names sorted; repeated values deduplicated, sorted)). */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** The parameters when the signature matches the URL Twilio called (our public URL + path) and the body. */
export function verifyTwilioRequest(
  authToken: string,
  url: string,
  body: unknown,
  signature: string | undefined,
): TwilioParams | undefined {
  const params = formParams(body);
  return signature !== undefined && safeEqualText(signature, twilioSignature(authToken, url, params))
    ? params
    : undefined;
}

// Codes Twilio's classifier calls "undeliverable" that say nothing about the customer's number (our content, our
// account, carrier filtering): blocking the customer's SMS for them would punish the wrong party.
const NOT_ABOUT_THE_NUMBER = new Set([21408, 21602, 21608, 21617, 30007, 30008]);

/** What an undelivered or failed status callback says about the customer's number. */
export function problemOfStatus(errorCode: number | undefined): DeliveryProblem {
  const kind = twilioErrorKind(errorCode);
  if (kind === 'opted-out') return 'opted-out';
  return kind === 'undeliverable' && !NOT_ABOUT_THE_NUMBER.has(errorCode ?? 0) ? 'invalid-address' : 'undelivered';
}
