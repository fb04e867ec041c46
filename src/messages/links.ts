/**
 * The links messages carry, in one place: what each signed token holds, minted by the send activity
 * and read back by the pages they lead to (survey, review redirect, unsubscribe) and by the Telegram
 * bot (deep links). Tokens are signed and expiring (src/lib/tokens.ts): what a link is about comes only
 * from its signature, never from the request.
 */
import type { Channel } from '../channels/types';
import { telegramDeepLink } from '../channels/telegram/deep-link';
import { telegramLinkId } from '../channels/contact-keys';
import type { Keys } from '../lib/keys';
import {
  signShortToken,
  signToken,
  verifyShortToken,
  verifyToken,
  type TokenFailureReason,
  type TokenPurpose,
} from '../lib/tokens';

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, '');

/**
 * A link for a customer of a tenant other than the default one names the tenant (signed with the rest), so the
 * page acts on that tenant's order or customer; links without it (all links before tenants) are the default's.
 * Callers give the tenant only for tenants other than the default one.
 */
const tenantField = (tenant: string | undefined): Record<string, string> => (tenant ? { t: tenant } : {});
/** The tenant a link names; absent for the default tenant's. */
const tenantIn = (payload: Record<string, unknown>): { tenant?: string } =>
  typeof payload.t === 'string' && payload.t !== '' ? { tenant: payload.t } : {};

/** The unsubscribe page (and RFC 8058 one-click POST) for one customer and channel. */
export function unsubscribeLink(
  publicUrl: string,
  linkKey: string,
  p: { customerId: string; channel: Channel; expiresAt: number; tenant?: string },
): string {
  const token = signToken(
    linkKey,
    'unsubscribe',
    { c: p.customerId, ch: p.channel, ...tenantField(p.tenant) },
    { expiresAt: p.expiresAt },
  );
  return `${base(publicUrl)}/unsubscribe/${token}`;
}

/**
 * The customer's own page (preferences, and the questionnaire under it): every message to a customer carries it.
 * The token names the customer and the language to show; it expires (PREFERENCES_LINK_DAYS), a newer message has a
 * newer one.
 */
export function preferencesLink(
  publicUrl: string,
  linkKey: string,
  p: { customerId: string; locale: string; expiresAt: number; tenant?: string; page?: 'questionnaire' },
): string {
  const token = signToken(
    linkKey,
    'preferences',
    { c: p.customerId, l: p.locale, ...tenantField(p.tenant) },
    { expiresAt: p.expiresAt },
  );
  return `${base(publicUrl)}/${p.page === 'questionnaire' ? 'questionnaire' : 'preferences'}/${token}`;
}

/** How long a preferences link works. */
export const PREFERENCES_LINK_DAYS = 90;

/** The customer (and language) a preferences or questionnaire link was minted for. */
export function readPreferencesLink(
  keys: LinkKeys,
  token: string,
  nowMs: number,
): LinkCheck<{ customerId: string; locale: string | undefined; tenant?: string }> {
  const verified = verifyLink(keys, 'preferences', token, nowMs);
  if (!verified.ok) return verified;
  const { c, l } = verified.payload;
  if (typeof c !== 'string' || c === '') return { ok: false, reason: 'empty' };
  return {
    ok: true,
    token,
    value: { customerId: c, locale: typeof l === 'string' && l !== '' ? l : undefined, ...tenantIn(verified.payload) },
  };
}

/** The link to the customer's rating page, for survey and survey_reminder messages. */
export function surveyLink(
  publicUrl: string,
  linkKey: string,
  p: { orderId: string; locale: string; expiresAt: number; tenant?: string },
): string {
  const token = signToken(
    linkKey,
    'survey',
    { o: p.orderId, l: p.locale, ...tenantField(p.tenant) },
    { expiresAt: p.expiresAt },
  );
  return `${base(publicUrl)}/survey/${token}`;
}

/** The counted redirect to the business's review page, for review_request messages. */
export function reviewLink(
  publicUrl: string,
  linkKey: string,
  p: { orderId: string; reviewUrl: string; messageKey: string; expiresAt: number; variant?: string; tenant?: string },
): string {
  // The redirect refuses anything but http(s); fail at send time rather than mail a link that cannot work.
  if (!safeHttpUrl(p.reviewUrl)) throw new Error('reviewLink: reviewUrl must be an http(s) URL');
  const token = signToken(
    linkKey,
    'review-click',
    // The message's A/B variant rides along, so the click counts for it.
    { o: p.orderId, u: p.reviewUrl, k: p.messageKey, ...(p.variant ? { v: p.variant } : {}), ...tenantField(p.tenant) },
    { expiresAt: p.expiresAt },
  );
  return `${base(publicUrl)}/r/${token}`;
}

/** "Get updates on Telegram": a deep link whose short token names the customer (by a keyed id, not their id). */
export function telegramLink(
  botUsername: string,
  keys: Pick<Keys, 'links' | 'contacts'>,
  p: { customerId: string; orderId?: string; expiresAt: number; tenant?: string },
) {
  // Minted for one order's message, the link binds the chat for that order (and the customer, of its tenant).
  const id = telegramLinkId(keys.contacts, p.customerId, p.orderId, p.tenant);
  const token = signShortToken(keys.links, 'telegram-link', id, p.expiresAt);
  return telegramDeepLink(botUsername, token);
}

/** The key links are signed with, and the master secret links were signed with before subkeys (still verified). */
export type LinkKeys = Pick<Keys, 'links'> & Partial<Pick<Keys, 'legacy'>>;

/** Verifies with the link-signing key, then with the legacy key for links minted before it existed. */
export function verifyLink(keys: LinkKeys, purpose: TokenPurpose, token: string, nowMs: number) {
  const verified = verifyToken(keys.links, purpose, token, nowMs);
  if (verified.ok || verified.reason !== 'bad-signature' || !keys.legacy) return verified;
  return verifyToken(keys.legacy, purpose, token, nowMs);
}

/** The keyed customer id a Telegram deep link carries (links minted before subkeys verify with the legacy key). */
export function readTelegramLink(keys: LinkKeys, payload: string, nowMs: number) {
  const verified = verifyShortToken(keys.links, 'telegram-link', payload, nowMs);
  if (verified.ok || verified.reason !== 'bad-signature' || !keys.legacy) return verified;
  return verifyShortToken(keys.legacy, 'telegram-link', payload, nowMs);
}

export type LinkCheck<T> = { ok: true; token: string; value: T } | { ok: false; reason: TokenFailureReason | 'empty' };

/** The customer an unsubscribe link was minted for. */
export function readUnsubscribeLink(
  keys: LinkKeys,
  token: string,
  nowMs: number,
): LinkCheck<{ customerId: string; tenant?: string }> {
  const verified = verifyLink(keys, 'unsubscribe', token, nowMs);
  if (!verified.ok) return verified;
  const customerId = verified.payload.c;
  return typeof customerId === 'string' && customerId !== ''
    ? { ok: true, token, value: { customerId, ...tenantIn(verified.payload) } }
    : { ok: false, reason: 'empty' };
}

/** The order and language of a survey link; the first name too, when the link carries one. */
export function readSurveyLink(
  keys: LinkKeys,
  token: string,
  nowMs: number,
): LinkCheck<{ orderId: string; locale: string | undefined; name: string; tenant?: string }> {
  const verified = verifyLink(keys, 'survey', token, nowMs);
  if (!verified.ok) return verified;
  const { o, l, n } = verified.payload;
  if (typeof o !== 'string' || o === '') return { ok: false, reason: 'empty' };
  return {
    ok: true,
    token,
    value: {
      orderId: o,
      locale: typeof l === 'string' && l !== '' ? l : undefined,
      name: typeof n === 'string' ? n.trim().slice(0, 60) : '',
      ...tenantIn(verified.payload),
    },
  };
}

/** The order and the business's review page behind a review link, and the A/B variant of its message, if any. */
export function readReviewLink(
  keys: LinkKeys,
  token: string,
  nowMs: number,
): LinkCheck<{ orderId: string; target: string; variant?: string; tenant?: string }> {
  const verified = verifyLink(keys, 'review-click', token, nowMs);
  if (!verified.ok) return verified;
  const orderId = verified.payload.o;
  const target = safeHttpUrl(verified.payload.u);
  const variant = verified.payload.v;
  return typeof orderId === 'string' && orderId !== '' && target
    ? {
        ok: true,
        token,
        value: {
          orderId,
          target,
          ...(typeof variant === 'string' && variant ? { variant } : {}),
          ...tenantIn(verified.payload),
        },
      }
    : { ok: false, reason: 'empty' };
}

/** The URL, normalized, when it is an absolute http(s) URL; undefined for anything else (javascript:, data:, …). */
export function safeHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
