import { describe, expect, it } from 'vitest';
import { contactKey } from '../../src/channels/contact-keys';
import { deriveKeys } from '../../src/lib/keys';
import { signToken } from '../../src/lib/tokens';
import { readUnsubscribeLink, unsubscribeLink } from '../../src/messages/links';

const SECRET = 'the-master-secret-of-this-shop-0123456789';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const YEAR = 365 * 86_400_000;

describe('keys derived from AFTERCARE_SECRET', () => {
  it('are a separate subkey per use, none of them the secret itself', () => {
    const keys = deriveKeys(SECRET);
    const all = [keys.links, keys.contacts, keys.payloads.current.key.toString('base64url'), SECRET];
    expect(new Set(all).size).toBe(4);
    expect(keys.payloads.current.key).toHaveLength(32);
    // Deterministic: every instance with the same secret derives the same keys.
    expect(deriveKeys(SECRET).links).toBe(keys.links);
    expect(deriveKeys(`${SECRET}x`).links).not.toBe(keys.links);
  });

  it('sign links with the link subkey, and still accept links minted with the secret before subkeys', () => {
    const keys = deriveKeys(SECRET);
    const fresh = unsubscribeLink('https://shop.example', keys.links, {
      customerId: 'c-1',
      channel: 'email',
      expiresAt: NOW + YEAR,
    });
    const token = fresh.split('/unsubscribe/')[1]!;
    expect(readUnsubscribeLink(keys, token, NOW)).toMatchObject({ ok: true, value: { customerId: 'c-1' } });
    // A link from a mailbox, signed with the master secret by the release before subkeys.
    const old = signToken(SECRET, 'unsubscribe', { c: 'c-2', ch: 'email' }, { expiresAt: NOW + YEAR });
    expect(readUnsubscribeLink(keys, old, NOW)).toMatchObject({ ok: true, value: { customerId: 'c-2' } });
    // Another subkey (or another secret) signs nothing a link check accepts.
    const foreign = signToken(keys.contacts, 'unsubscribe', { c: 'c-3', ch: 'email' }, { expiresAt: NOW + YEAR });
    expect(readUnsubscribeLink(keys, foreign, NOW).ok).toBe(false);
  });

  it('key contacts with the contact subkey: a leaked link key says nothing about whose phone a key is', () => {
    const keys = deriveKeys(SECRET);
    const phone = '+447700900123';
    expect(contactKey(keys.contacts, 'sms', phone)).not.toBe(contactKey(SECRET, 'sms', phone));
    expect(contactKey(keys.contacts, 'sms', phone)).not.toBe(contactKey(keys.links, 'sms', phone));
  });
});
