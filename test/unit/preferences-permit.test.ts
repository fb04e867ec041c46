import { describe, expect, it } from 'vitest';
import type { Channel } from '../../src/channels/types';
import type { MessageKind, Purpose } from '../../src/messages/kinds';
import type {
  CustomerLifecycleState,
  CustomerPreferences,
  CustomerProfile,
} from '../../src/workflows/customer/contract';
import { applyCustomerEvent, emptyConsent } from '../../src/workflows/customer/consent';
import { decidePermit } from '../../src/workflows/customer/permit';
import { consentOf, snapshotFor } from '../../src/workflows/customer/snapshot';

/** What the customer chose on their preferences page, applied by the permit (src/workflows/customer/permit.ts). */
const rules = {
  consent: { marketingRequiresOptIn: false },
  quietHours: { start: '00:00', end: '00:00', sms: false },
  frequencyCap: { max: 20, per: 7 * 86_400_000, overCap: 'defer' as const },
};
const profile: CustomerProfile = {
  id: 'c1',
  name: 'Ada',
  email: 'ada@example.com',
  phone: '+447700900123',
  locale: 'en',
};
const at = '2026-11-22T10:00:00.000Z';
const now = Date.parse(at);
let n = 0;

function withPreferences(p: Omit<CustomerPreferences, 'source' | 'at'>) {
  const state = emptyConsent();
  state.preferences = { ...p, source: 'preferences-page', at };
  return state;
}
const ask = (
  state: ReturnType<typeof emptyConsent>,
  kind: MessageKind,
  purpose: Purpose,
  channels: Channel[] = ['email', 'sms'],
) => decidePermit(state, profile, { permitId: `p-${n++}`, kind, purpose, channels }, rules, now);

describe('the permit with the customer preferences', () => {
  it('skips a kind whose topic the customer switched off, with the reason; other topics still go', () => {
    const state = withPreferences({ topicsOff: ['reviews'] });
    expect(ask(state, 'survey', 'transactional')).toEqual({
      decision: 'skip',
      reason: 'the customer switched off reviews and surveys on their preferences page',
    });
    expect(ask(state, 'review_request', 'marketing')).toMatchObject({ decision: 'skip' });
    expect(ask(state, 'offer', 'marketing')).toMatchObject({ decision: 'send' });
    expect(ask(state, 'order_status', 'transactional')).toMatchObject({ decision: 'send' });
    const winback = withPreferences({ topicsOff: ['winback', 'offers'] });
    expect(ask(winback, 'winback', 'marketing')).toEqual({
      decision: 'skip',
      reason: 'the customer switched off win-back messages on their preferences page',
    });
    expect(ask(winback, 'tier_upgrade', 'marketing')).toEqual({
      decision: 'skip',
      reason: 'the customer switched off offers on their preferences page',
    });
  });

  it('never switches order news off, even if a stored preference says so', () => {
    const state = withPreferences({ topicsOff: ['order' as never, 'offers'] });
    expect(ask(state, 'order_status', 'transactional')).toMatchObject({ decision: 'send' });
  });

  it("puts the customer's channels first and leaves out those switched off", () => {
    const ordered = withPreferences({ channels: ['sms', 'email'] });
    expect(ask(ordered, 'order_status', 'transactional')).toMatchObject({
      channels: [{ channel: 'sms' }, { channel: 'email' }],
    });
    const off = withPreferences({ channels: ['email', 'sms'], off: ['sms'] });
    const permit = ask(off, 'order_status', 'transactional', ['sms', 'email']);
    expect(permit).toMatchObject({ decision: 'send', channels: [{ channel: 'email' }] });
    expect(permit.decision === 'send' && permit.channels).toHaveLength(1);
  });

  it('says so when the only channels left are switched off', () => {
    const state = withPreferences({ off: ['sms'] });
    const permit = ask(state, 'order_status', 'transactional', ['sms']);
    expect(permit).toEqual({
      decision: 'skip',
      reason: 'no channel can reach the customer (sms: switched off by the customer on their preferences page)',
    });
  });

  it("sends in the customer's chosen language", () => {
    expect(ask(withPreferences({ locale: 'bn' }), 'order_status', 'transactional')).toMatchObject({ locale: 'bn' });
  });

  it("the customer's own pause says so, and ends with a resume", () => {
    const state = emptyConsent();
    const until = new Date(now + 30 * 86_400_000).toISOString();
    const page = { source: 'preferences-page', at };
    applyCustomerEvent(state, { type: 'marketing-paused', until, reason: 'asked', eventId: 'e1', ...page });
    expect(ask(state, 'offer', 'marketing')).toEqual({
      decision: 'skip',
      reason: `the customer paused marketing on their preferences page until ${until}`,
    });
    expect(ask(state, 'order_status', 'transactional')).toMatchObject({ decision: 'send' });
    applyCustomerEvent(state, { type: 'marketing-resumed', reason: 'asked', eventId: 'e2', ...page });
    expect(ask(state, 'offer', 'marketing')).toMatchObject({ decision: 'send' });
  });

  it("the customer's own pause (in their preferences) and an operator's both hold marketing", () => {
    const until = new Date(now + 30 * 86_400_000).toISOString();
    const state = withPreferences({ pausedUntil: until });
    expect(ask(state, 'offer', 'marketing')).toEqual({
      decision: 'skip',
      reason: `the customer paused marketing on their preferences page until ${until}`,
    });
    const hold = { reason: 'legal hold', source: 'operator', at };
    applyCustomerEvent(state, { type: 'marketing-paused', eventId: 'op1', ...hold });
    expect(ask(state, 'offer', 'marketing')).toEqual({
      decision: 'skip',
      reason: 'marketing paused by an operator (legal hold)',
    });
    // Their pause over, the operator's still holds; transactional messages go throughout.
    state.preferences = { ...state.preferences!, pausedUntil: at };
    expect(ask(state, 'offer', 'marketing')).toMatchObject({ reason: 'marketing paused by an operator (legal hold)' });
    expect(ask(state, 'order_status', 'transactional')).toMatchObject({ decision: 'send' });
  });

  it('with no preferences everything is decided as before', () => {
    const state = emptyConsent();
    expect(ask(state, 'survey', 'transactional')).toEqual({
      decision: 'send',
      channels: [
        { channel: 'email', to: 'ada@example.com' },
        { channel: 'sms', to: '+447700900123' },
      ],
      whatsappWindowOpen: false,
      name: 'Ada',
      locale: 'en',
    });
  });

  it("a journey's snapshot carries the preferences (and nothing new without them)", () => {
    const state = {
      customerId: 'c1',
      profile,
      orders: [{ orderId: 'o1', contactKeys: [] }],
      consent: withPreferences({ topicsOff: ['reviews'] }),
      snapshotVersion: 3,
    } as unknown as CustomerLifecycleState;
    const snapshot = snapshotFor(state, 'o1');
    expect(snapshot.consent.preferences?.topicsOff).toEqual(['reviews']);
    expect(
      decidePermit(
        consentOf(snapshot),
        profile,
        { permitId: 'x', kind: 'survey', purpose: 'transactional', channels: ['email'] },
        rules,
        now,
      ),
    ).toMatchObject({ decision: 'skip' });
    state.consent = emptyConsent();
    expect(Object.keys(snapshotFor(state, 'o1').consent)).not.toContain('preferences');
  });
});
