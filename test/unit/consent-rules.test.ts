import { describe, expect, it } from 'vitest';
import type { CustomerEvent, CustomerProfile } from '../../src/workflows/customer/contract';
import { applyCustomerEvent, emptyConsent } from '../../src/workflows/customer/consent';
import { channelOrder, decidePermit } from '../../src/workflows/customer/permit';

const rules = {
  consent: { marketingRequiresOptIn: false },
  quietHours: { start: '00:00', end: '00:00', sms: false },
  frequencyCap: { max: 2, per: 7 * 86_400_000, overCap: 'defer' as const },
};
const profile: CustomerProfile = { id: 'c1', name: 'Ada', email: 'ada@example.com', phone: '+447700900123' };
const at = '2026-11-22T10:00:00.000Z';
const now = Date.parse(at);
const ev = (e: Partial<CustomerEvent> & Pick<CustomerEvent, 'type'>): CustomerEvent =>
  ({ source: 'sms', eventId: `e-${Math.random()}`, at, ...e }) as CustomerEvent;
const permit = (
  state = emptyConsent(),
  purpose: 'marketing' | 'transactional' = 'marketing',
  id = `p-${Math.random()}`,
) =>
  decidePermit(
    state,
    profile,
    { permitId: id, kind: purpose === 'marketing' ? 'offer' : 'order_status', purpose, channels: ['sms', 'email'] },
    rules,
    now,
  );

describe('consent rules', () => {
  it("an operator's marketing pause skips marketing until it ends or is resumed; order news still goes", () => {
    const state = emptyConsent();
    const until = new Date(now + 86_400_000).toISOString();
    applyCustomerEvent(state, ev({ type: 'marketing-paused', until, reason: 'complaint', source: 'operator' }));
    expect(permit(state)).toEqual({
      decision: 'skip',
      reason: `marketing paused by an operator until ${until} (complaint)`,
    });
    expect(permit(state, 'transactional')).toMatchObject({ decision: 'send' });
    applyCustomerEvent(state, ev({ type: 'marketing-resumed', reason: 'sorted', source: 'operator' }));
    expect(permit(state)).toMatchObject({ decision: 'send' });
    // A pause that has run out holds nothing.
    applyCustomerEvent(state, ev({ type: 'marketing-paused', until: at, reason: 'a day', source: 'operator' }));
    expect(permit(state)).toMatchObject({ decision: 'send' });
  });

  it('ignores a replayed event id', () => {
    const state = emptyConsent();
    const stop = ev({ type: 'opt-out', channel: 'sms', scope: 'all', eventId: 'SM1' });
    expect(applyCustomerEvent(state, stop).applied).toBe(true);
    applyCustomerEvent(state, ev({ type: 'opt-in', channel: 'sms', scope: 'all', eventId: 'SM2' }));
    expect(applyCustomerEvent(state, stop)).toEqual({ applied: false, ignored: 'replayed event' });
    expect(state.channels.sms?.blocked).toBeUndefined();
  });

  it('STOP blocks the channel and marketing everywhere; START undoes only what STOP did', () => {
    const state = emptyConsent();
    applyCustomerEvent(state, ev({ type: 'opt-out', channel: 'sms', scope: 'all' }));
    expect(permit(state, 'transactional')).toMatchObject({ decision: 'send', channels: [{ channel: 'email' }] });
    expect(permit(state)).toMatchObject({ decision: 'skip', reason: 'opted out of marketing (sms)' });
    applyCustomerEvent(state, ev({ type: 'opt-in', channel: 'sms', scope: 'all' }));
    expect(permit(state)).toMatchObject({ decision: 'send', channels: [{ channel: 'sms' }, { channel: 'email' }] });

    // An unsubscribe by email is not undone by an SMS START.
    applyCustomerEvent(state, ev({ type: 'opt-out', channel: 'all', scope: 'marketing', source: 'email-unsubscribe' }));
    applyCustomerEvent(state, ev({ type: 'opt-in', channel: 'sms', scope: 'all', source: 'sms' }));
    expect(state.marketing.granted).toBe(false);
  });

  it('a hard bounce blocks email; a complaint only marketing email', () => {
    const bounced = emptyConsent();
    applyCustomerEvent(
      bounced,
      ev({ type: 'delivery-problem', channel: 'email', problem: 'hard-bounce', source: 'resend' }),
    );
    expect(permit(bounced, 'transactional')).toMatchObject({ channels: [{ channel: 'sms' }] });
    const complained = emptyConsent();
    applyCustomerEvent(
      complained,
      ev({ type: 'delivery-problem', channel: 'email', problem: 'complaint', source: 'resend' }),
    );
    expect(permit(complained, 'transactional')).toMatchObject({ channels: [{ channel: 'sms' }, { channel: 'email' }] });
    expect(permit(complained, 'marketing')).toMatchObject({ channels: [{ channel: 'sms' }] });
  });

  it('uses a Telegram link token once', () => {
    const state = emptyConsent();
    const link = {
      type: 'telegram-linked' as const,
      chatId: '42',
      linkToken: 'tok',
      contactKey: 'k',
      source: 'telegram',
    };
    expect(applyCustomerEvent(state, ev({ ...link, eventId: 'u1' })).profilePatch).toEqual({ telegramChatId: '42' });
    expect(applyCustomerEvent(state, ev({ ...link, chatId: '43', eventId: 'u2' }))).toEqual({
      applied: false,
      ignored: 'link token already used',
    });
  });

  it('answers a retried permit the same way, and counts a marketing slot once', () => {
    const state = emptyConsent();
    const first = permit(state, 'marketing', 'same');
    expect(permit(state, 'marketing', 'same')).toEqual(first);
    expect(state.marketingSentAt).toHaveLength(1);
    permit(state, 'marketing', 'other');
    expect(permit(state, 'marketing', 'third')).toMatchObject({ decision: 'wait', reason: 'frequency-cap' });
  });

  it('requires explicit consent where the playbook says so', () => {
    const strict = { ...rules, consent: { marketingRequiresOptIn: true } };
    const ask = (p: CustomerProfile) =>
      decidePermit(
        emptyConsent(),
        p,
        { permitId: `x-${Math.random()}`, kind: 'offer', purpose: 'marketing', channels: ['email'] },
        strict,
        now,
      );
    expect(ask(profile)).toMatchObject({ decision: 'skip', reason: expect.stringContaining('requires opt-in') });
    expect(ask({ ...profile, marketingConsent: true })).toMatchObject({ decision: 'send' });
  });

  it("puts the customer's own channel order first", () => {
    expect(
      channelOrder({ ...profile, preferredChannels: ['telegram', 'email'] }, ['sms', 'email', 'telegram']),
    ).toEqual(['telegram', 'email', 'sms']);
  });
});
