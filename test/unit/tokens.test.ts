import { describe, expect, it } from 'vitest';
import { signShortToken, signToken, verifyShortToken, verifyToken } from '../../src/lib/tokens';

const secret = 'test-secret-0123456789';
const now = Date.parse('2026-05-01T12:00:00Z');
const inAWeek = now + 7 * 86_400_000;

/** Re-encodes a token's body as if someone edited it, keeping the original signature. */
function withBody(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [body, signature] = token.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(claims);
  return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('signed tokens', () => {
  it('round-trips payload and nonce', () => {
    const token = signToken(secret, 'survey', { orderId: 'A-1001', score: 5 }, { expiresAt: inAWeek, nonce: 'n1' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyToken(secret, 'survey', token, now)).toEqual({
      ok: true,
      payload: { orderId: 'A-1001', score: 5 },
      nonce: 'n1',
    });
    const plain = signToken(secret, 'unsubscribe', { c: 'cust-1' }, { expiresAt: inAWeek });
    expect(verifyToken(secret, 'unsubscribe', plain, now)).toEqual({ ok: true, payload: { c: 'cust-1' } });
  });

  it('rejects a tampered payload', () => {
    const token = signToken(secret, 'unsubscribe', { c: 'cust-1' }, { expiresAt: inAWeek });
    const forged = withBody(token, (claims) => {
      claims.d = { c: 'cust-2' };
    });
    expect(verifyToken(secret, 'unsubscribe', forged, now)).toEqual({ ok: false, reason: 'bad-signature' });
    const extended = withBody(token, (claims) => {
      claims.e = Math.floor(inAWeek / 1000) + 86_400 * 365;
    });
    expect(verifyToken(secret, 'unsubscribe', extended, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a tampered signature, including a change to its final character', () => {
    const token = signToken(secret, 'survey', { o: 'A-1' }, { expiresAt: inAWeek });
    const [body, signature] = token.split('.') as [string, string];
    for (let i = 0; i < signature.length; i++) {
      const flipped = signature[i] === 'A' ? 'B' : 'A';
      const tampered = `${body}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
      expect(verifyToken(secret, 'survey', tampered, now)).toEqual({ ok: false, reason: 'bad-signature' });
    }
    expect(verifyToken(secret, 'survey', `${body}.${signature.slice(0, -1)}`, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a token signed with another secret', () => {
    const token = signToken('another-secret', 'survey', { o: 'A-1' }, { expiresAt: inAWeek });
    expect(verifyToken(secret, 'survey', token, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('never verifies a token for another purpose', () => {
    const token = signToken(secret, 'survey', { o: 'A-1' }, { expiresAt: inAWeek });
    expect(verifyToken(secret, 'unsubscribe', token, now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    // Relabelling the purpose inside the body breaks the signature.
    const relabelled = withBody(token, (claims) => {
      claims.p = 'unsubscribe';
    });
    expect(verifyToken(secret, 'unsubscribe', relabelled, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('expires', () => {
    const token = signToken(secret, 'review-click', { o: 'A-1' }, { expiresAt: now + 60_000 });
    expect(verifyToken(secret, 'review-click', token, now + 59_999).ok).toBe(true);
    expect(verifyToken(secret, 'review-click', token, now + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    '',
    'abc',
    'a.b.c',
    '.sig',
    'body.',
    'bad body.sig',
    'Zm9v.sig', // "foo" is not JSON
    `${Buffer.from('[1,2]').toString('base64url')}.sig`,
    `${Buffer.from('{"p":"survey","d":{},"e":"soon"}').toString('base64url')}.sig`,
    `${Buffer.from('{"p":"admin","d":{},"e":1}').toString('base64url')}.sig`,
    `${Buffer.from('{"p":"survey","d":{"x":null},"e":1}').toString('base64url')}.sig`,
  ])('reports %j as malformed', (token) => {
    expect(verifyToken(secret, 'survey', token, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reports an oversized token as malformed without decoding it', () => {
    expect(verifyToken(secret, 'survey', `${'x'.repeat(5000)}.sig`, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to sign what it could not verify', () => {
    expect(() => signToken('', 'survey', {}, { expiresAt: inAWeek })).toThrow();
    expect(() => signToken(secret, 'survey', { n: Number.NaN }, { expiresAt: inAWeek })).toThrow();
    expect(() => signToken(secret, 'survey', {}, { expiresAt: Number.NaN })).toThrow();
  });
});

describe('short tokens', () => {
  it('fit a Telegram deep link and round-trip', () => {
    const token = signShortToken(secret, 'telegram-link', 'cust_012345678-x', inAWeek);
    expect(token.length).toBeLessThanOrEqual(64);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyShortToken(secret, 'telegram-link', token, now)).toEqual({
      ok: true,
      id: 'cust_012345678-x',
      expiresAt: Math.floor(inAWeek / 1000) * 1000,
    });
  });

  it('stays within 64 characters for the longest id and a far expiry', () => {
    const token = signShortToken(secret, 'telegram-link', 'Z'.repeat(16), Date.parse('9999-12-31T23:59:59Z'));
    expect(token.length).toBeLessThanOrEqual(64);
  });

  it('rejects the wrong purpose, secret, id or expiry', () => {
    const token = signShortToken(secret, 'telegram-link', 'cust-1', inAWeek);
    expect(verifyShortToken(secret, 'survey', token, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyShortToken('another-secret', 'telegram-link', token, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyShortToken(secret, 'telegram-link', token.replace('cust-1', 'cust-2'), now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const [id, exp, mac] = [token.slice(0, 6), token.split('_')[1]!, token.slice(-22)];
    const later = (parseInt(exp, 36) + 86_400).toString(36);
    expect(verifyShortToken(secret, 'telegram-link', `${id}_${later}_${mac}`, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('expires', () => {
    const token = signShortToken(secret, 'telegram-link', 'cust-1', now + 60_000);
    expect(verifyShortToken(secret, 'telegram-link', token, now + 59_999).ok).toBe(true);
    expect(verifyShortToken(secret, 'telegram-link', token, now + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    '',
    'cust-1',
    'cust-1_abc',
    `_abc_${'A'.repeat(22)}`,
    `id_ABC_${'A'.repeat(22)}`,
    'a.b_c_d',
    'x'.repeat(65),
  ])('reports %j as malformed', (token) => {
    expect(verifyShortToken(secret, 'telegram-link', token, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses ids a deep link cannot carry', () => {
    expect(() => signShortToken(secret, 'telegram-link', '', inAWeek)).toThrow();
    expect(() => signShortToken(secret, 'telegram-link', 'x'.repeat(17), inAWeek)).toThrow();
    expect(() => signShortToken(secret, 'telegram-link', 'a.b', inAWeek)).toThrow();
  });
});
