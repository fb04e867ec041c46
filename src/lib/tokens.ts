/**
 * Signed, expiring, purpose-bound tokens for links we put in messages (surveys, unsubscribe,
 * Telegram deep links, review clicks, status callbacks). The purpose is part of the signed input,
 * so a token minted for one link can never be replayed against another endpoint.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose =
  'unsubscribe' | 'survey' | 'telegram-link' | 'review-click' | 'status-callback' | 'preferences';
export const TOKEN_PURPOSES: readonly TokenPurpose[] = [
  'preferences',
  'unsubscribe',
  'survey',
  'telegram-link',
  'review-click',
  'status-callback',
];

export type TokenPayload = Record<string, string | number>;
export type TokenFailureReason = 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired';

export type TokenVerification =
  { ok: true; payload: TokenPayload; nonce?: string } | { ok: false; reason: TokenFailureReason };

/** Short tokens carry no purpose to compare, so a wrong purpose reads as a bad signature. */
export type ShortTokenVerification =
  { ok: true; id: string; expiresAt: number } | { ok: false; reason: Exclude<TokenFailureReason, 'wrong-purpose'> };

// Links live in emails and SMS for weeks; anything longer than this is not one of ours.
const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SHORT_ID = /^[A-Za-z0-9_-]{1,16}$/;
/** 128 bits of HMAC as unpadded base64url. */
const SHORT_MAC_CHARS = 22;
/** Base36 Unix seconds; 8 digits reach past the year 90000 and stay exact as ms. */
const SHORT_EXP_CHARS = 8;
const SHORT_EXP = new RegExp(`^[0-9a-z]{1,${SHORT_EXP_CHARS}}$`);

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('token secret must be a non-empty string');
}

function mac(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input, 'utf8').digest('base64url');
}

/** Constant-time comparison of two signature strings (compared as text, so no base64 malleability). */
function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function isPurpose(value: unknown): value is TokenPurpose {
  return typeof value === 'string' && (TOKEN_PURPOSES as readonly string[]).includes(value);
}

function isPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)));
}

/** Unix seconds, rounded down: a token may expire up to a second early, never late. */
function expirySeconds(expiresAt: number): number {
  if (!Number.isFinite(expiresAt)) throw new RangeError('token expiresAt must be a finite ms timestamp');
  return Math.floor(expiresAt / 1000);
}

/**
 * `base64url(JSON{p, d, e, n?}).base64url(HMAC-SHA256(secret, purpose + "." + body))`, URL-safe.
 * `e` is the expiry in Unix seconds.
 */
export function signToken(
  secret: string,
  purpose: TokenPurpose,
  payload: TokenPayload,
  opts: { expiresAt: number; nonce?: string },
): string {
  checkSecret(secret);
  if (!isPurpose(purpose)) throw new Error(`unknown token purpose "${String(purpose)}"`);
  // JSON would turn NaN/Infinity into null and break the round trip.
  if (!isPayload(payload)) throw new Error('token payload values must be strings or finite numbers');
  const claims: { p: TokenPurpose; d: TokenPayload; e: number; n?: string } = {
    p: purpose,
    d: payload,
    e: expirySeconds(opts.expiresAt),
  };
  if (opts.nonce !== undefined) claims.n = opts.nonce;
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${body}.${mac(secret, `${purpose}.${body}`)}`;
}

export function verifyToken(secret: string, purpose: TokenPurpose, token: string, nowMs: number): TokenVerification {
  checkSecret(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  const [body, signature] = parts;
  if (parts.length !== 2 || !body || !signature || !BASE64URL.test(body) || !BASE64URL.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }

  let claims: { p?: unknown; d?: unknown; e?: unknown; n?: unknown };
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'malformed' };
    claims = parsed;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const { p, d, e, n } = claims;
  if (!isPurpose(p) || !isPayload(d) || !Number.isSafeInteger(e) || (n !== undefined && typeof n !== 'string')) {
    return { ok: false, reason: 'malformed' };
  }

  // Check the signature under the purpose the token claims, so "wrong-purpose" is only ever
  // reported for a genuine token of ours, never for a forgery.
  if (!sameSignature(signature, mac(secret, `${p}.${body}`))) return { ok: false, reason: 'bad-signature' };
  if (p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (nowMs >= (e as number) * 1000) return { ok: false, reason: 'expired' };
  return n === undefined ? { ok: true, payload: d } : { ok: true, payload: d, nonce: n };
}

function shortMacInput(purpose: TokenPurpose, id: string, exp: string): string {
  // "short." keeps this domain apart from long tokens, whose input starts with a purpose.
  return `short.${purpose}.${id}.${exp}`;
}

/**
 * A token of at most 64 characters from [A-Za-z0-9_-], for Telegram deep links (`?start=`):
 * `<id>_<expiry in Unix seconds, base36>_<first 128 bits of the HMAC, base64url>`.
 */
export function signShortToken(secret: string, purpose: TokenPurpose, id: string, expiresAt: number): string {
  checkSecret(secret);
  if (!isPurpose(purpose)) throw new Error(`unknown token purpose "${String(purpose)}"`);
  if (!SHORT_ID.test(id)) throw new Error('short token id must be 1-16 characters of [A-Za-z0-9_-]');
  const seconds = expirySeconds(expiresAt);
  if (seconds < 0) throw new RangeError('short token expiresAt must not be before 1970');
  const exp = seconds.toString(36);
  if (exp.length > SHORT_EXP_CHARS) throw new RangeError('short token expiresAt is too far in the future');
  const signature = mac(secret, shortMacInput(purpose, id, exp)).slice(0, SHORT_MAC_CHARS);
  return `${id}_${exp}_${signature}`;
}

export function verifyShortToken(
  secret: string,
  purpose: TokenPurpose,
  token: string,
  nowMs: number,
): ShortTokenVerification {
  checkSecret(secret);
  // The id may itself contain "_", so parse from the right: the MAC has a fixed length and the
  // base36 expiry never contains "_".
  if (typeof token !== 'string' || token.length > 64 || !BASE64URL.test(token)) {
    return { ok: false, reason: 'malformed' };
  }
  const signature = token.slice(-SHORT_MAC_CHARS);
  const rest = token.slice(0, -SHORT_MAC_CHARS);
  if (signature.length !== SHORT_MAC_CHARS || !rest.endsWith('_')) return { ok: false, reason: 'malformed' };
  const idAndExp = rest.slice(0, -1);
  const cut = idAndExp.lastIndexOf('_');
  const id = idAndExp.slice(0, cut);
  const exp = idAndExp.slice(cut + 1);
  if (cut < 0 || !SHORT_ID.test(id) || !SHORT_EXP.test(exp)) return { ok: false, reason: 'malformed' };

  if (!sameSignature(signature, mac(secret, shortMacInput(purpose, id, exp)).slice(0, SHORT_MAC_CHARS))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expiresAt = parseInt(exp, 36) * 1000;
  if (nowMs >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, id, expiresAt };
}
