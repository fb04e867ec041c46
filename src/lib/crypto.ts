/** The few crypto operations Aftercare uses, on node:crypto: keyed hashes and constant-time comparison. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function hmacSha256(key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Hashing first gives equal lengths, so neither the content nor the length of a secret leaks through timing. */
export function safeEqualText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Constant-time comparison of two byte strings of possibly different length. */
export function safeEqualBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
