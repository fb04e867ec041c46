/**
 * The customer's consent, suppressions and reachability: what each event (webhook, API call,
 * delivery report) changes. Pure and deterministic: the customer lifecycle runs it, one serialized
 * owner for all of a customer's journeys. The send-permit decision made from it is in ./permit.
 *
 * What is about an address stays with that address: a STOP from one phone, or a bounce of an old
 * email, blocks that address ("<channel>/<contact key>"), and also the channel while it is the
 * customer's current address there. What the customer decides about a channel (the consent API)
 * holds for every address on it.
 */
import type { Channel } from '../../channels/types';
import type {
  ChannelConsent,
  ConsentMark,
  ConsentState,
  CustomerEvent,
  CustomerProfile,
  CustomerRules,
  ProfileKeys,
} from './contract';

const MAX_SEEN_EVENTS = 200;
const MAX_LINK_TOKENS = 100;
const MAX_CONSENT_EVENTS = 1000;
const MAX_ADDRESSES = 100;

export function emptyConsent(): ConsentState {
  return {
    marketing: { granted: null },
    channels: {},
    lastInboundAt: {},
    marketingSentAt: [],
    seenEvents: [],
    permits: [],
    usedLinkTokens: [],
  };
}

export const keepLast = <T>(list: T[], max: number) => (list.length > max ? list.slice(list.length - max) : list);

/** The key of the customer's current address on a channel (SMS and WhatsApp share the phone). */
export function currentKey(keys: ProfileKeys | undefined, channel: Channel): string | undefined {
  if (!keys) return undefined;
  return channel === 'email' ? keys.email : channel === 'telegram' ? keys.telegram : keys.phone;
}

export const addressId = (channel: Channel, key: string) => `${channel}/${key}`;

export interface EventOutcome {
  applied: boolean;
  /** Why an event changed nothing (replayed, older than the last change, a used link token). */
  ignored?: string;
  /** Profile fields the event sets (a linked Telegram chat). */
  profilePatch?: Partial<CustomerProfile>;
}

/** Applies one event. Replays (same eventId) and events older than the last consent change change nothing. */
export function applyCustomerEvent(state: ConsentState, e: CustomerEvent, keys?: ProfileKeys): EventOutcome {
  if (state.seenEvents.includes(e.eventId) || state.consentEvents?.includes(e.eventId)) {
    return { applied: false, ignored: 'replayed event' };
  }
  if (e.type === 'opt-in' || e.type === 'opt-out' || e.type === 'telegram-linked') {
    // What the customer said last wins, by when they said it (the provider's time where it has one).
    const channel = e.type === 'telegram-linked' ? 'telegram' : e.channel;
    const changed = state.consentChangedAt ?? {};
    const last = [changed[channel], channel === 'all' ? undefined : changed.all].filter((t) => t !== undefined);
    if (last.some((t) => e.at < t!)) {
      state.seenEvents = keepLast([...state.seenEvents, e.eventId], MAX_SEEN_EVENTS);
      return { applied: false, ignored: 'older than the last consent change' };
    }
    state.consentChangedAt = { ...changed, [channel]: e.at };
    state.consentEvents = keepLast([...(state.consentEvents ?? []), e.eventId], MAX_CONSENT_EVENTS);
  }
  const at = { source: e.source, at: e.at };
  let outcome: EventOutcome = { applied: true };

  switch (e.type) {
    case 'opt-out': {
      if (e.channel !== 'all') {
        for (const c of targets(state, e.channel, e.contactKey, keys)) {
          if (e.scope === 'all') c.blocked = mark('opted-out', at, e.contactKey);
          else c.marketingSuppressed = mark('opted-out', at, e.contactKey);
        }
      }
      if (e.scope === 'all' && e.channel === 'all') state.stopped = at;
      // Opting out anywhere stops marketing everywhere: the customer said "stop", not "stop here".
      if (state.marketing.granted !== false) {
        state.marketing = { granted: false, source: e.source, at: e.at, previous: state.marketing.granted };
      }
      break;
    }
    case 'opt-in': {
      optIn(state, e.channel === 'all' ? [] : targets(state, e.channel, e.contactKey, keys), e.channel, e.scope, e);
      break;
    }
    case 'delivery-problem': {
      for (const c of targets(state, e.channel, e.contactKey, keys)) {
        c.lastProblem = mark(e.problem, at, e.contactKey);
        if (e.problem === 'hard-bounce' || e.problem === 'invalid-address' || e.problem === 'blocked') {
          c.blocked = mark(e.problem, at, e.contactKey);
        } else if (e.problem === 'complaint' || e.problem === 'soft-bounce') {
          c.marketingSuppressed = mark(e.problem, at, e.contactKey);
        } else if (e.problem === 'opted-out') {
          c.blocked = mark('opted-out', at, e.contactKey);
        }
      }
      if (e.problem === 'opted-out' && state.marketing.granted !== false) {
        state.marketing = { granted: false, source: e.source, at: e.at, previous: state.marketing.granted };
      }
      break;
    }
    case 'telegram-linked': {
      if (state.usedLinkTokens.includes(e.linkToken)) {
        outcome = { applied: false, ignored: 'link token already used' };
        break;
      }
      state.usedLinkTokens = keepLast([...state.usedLinkTokens, e.linkToken], MAX_LINK_TOKENS);
      const chat = targets(state, 'telegram', e.contactKey, { ...keys, telegram: e.contactKey });
      for (const c of chat) delete c.blocked;
      // Pressing Start on a fresh link is the customer's own opt-in on Telegram; a used link is nobody's.
      optIn(state, chat, 'telegram', 'all', e);
      outcome = { applied: true, profilePatch: { telegramChatId: e.chatId } };
      break;
    }
    case 'inbound': {
      state.lastInboundAt[e.channel] = e.at;
      break;
    }
    case 'marketing-paused': {
      state.marketingPaused = { ...(e.until ? { until: e.until } : {}), reason: e.reason, ...at };
      break;
    }
    case 'marketing-resumed': {
      if (!state.marketingPaused) outcome = { applied: false, ignored: 'marketing was not paused' };
      delete state.marketingPaused;
      break;
    }
    case 'offer-issued':
    case 'feedback':
      // Not consent: the lifecycle records these itself; here they only count as seen (replays ignored).
      break;
  }
  state.seenEvents = keepLast([...state.seenEvents, e.eventId], MAX_SEEN_EVENTS);
  return outcome;
}

const mark = (reason: string, at: { source: string; at: string }, key: string | undefined): ConsentMark => ({
  reason,
  ...at,
  ...(key ? { key } : {}),
});

/**
 * What an event about a channel changes: the address it came from (and the channel too while that is the
 * customer's current address there), or, with no address (the consent API, older events), the channel.
 */
function targets(state: ConsentState, channel: Channel, key: string | undefined, keys: ProfileKeys | undefined) {
  const channelState = () => (state.channels[channel] ??= {});
  if (!key) return [channelState()];
  const addresses = (state.addresses ??= {});
  const id = addressId(channel, key);
  if (!addresses[id]) {
    addresses[id] = {};
    // Bounded: the oldest addresses (a customer's long-gone numbers) are forgotten first.
    const ids = Object.keys(addresses);
    for (const old of ids.slice(0, Math.max(0, ids.length - MAX_ADDRESSES))) delete addresses[old];
  }
  const list: ChannelConsent[] = [addresses[id]!];
  // A lifecycle from before keyed profiles can't tell its addresses apart: the channel, as it did then.
  if (!keys || currentKey(keys, channel) === key) list.push(channelState());
  return list;
}

/** Undoes what an opt-out did there (or everywhere), no more: consent given elsewhere stays as it was. */
function optIn(
  state: ConsentState,
  where: ChannelConsent[],
  channel: Channel | 'all',
  scope: 'all' | 'marketing',
  e: { source: string; at: string },
) {
  for (const c of where) {
    if (c.blocked?.reason === 'opted-out') delete c.blocked;
    if (c.marketingSuppressed?.reason === 'opted-out') delete c.marketingSuppressed;
  }
  if (channel === 'all' && scope === 'all') delete state.stopped;
  if (scope === 'marketing') {
    state.marketing = { granted: true, source: e.source, at: e.at };
  } else if (state.marketing.granted === false && state.marketing.source === e.source) {
    // START undoes what STOP did on the same channel, no more.
    state.marketing = { granted: state.marketing.previous ?? null, source: e.source, at: e.at };
  }
}

/**
 * The customer's current address changed on some channels: what the channel carried about the old address
 * goes (it stays with that address), and what is known about the new one comes.
 */
export function retarget(state: ConsentState, before: ProfileKeys | undefined, after: ProfileKeys): void {
  for (const channel of ['email', 'sms', 'whatsapp', 'telegram'] as const) {
    const old = currentKey(before, channel);
    const now = currentKey(after, channel);
    if (!now || old === now) continue;
    const c = state.channels[channel];
    if (c) {
      for (const field of ['blocked', 'marketingSuppressed', 'lastProblem'] as const) {
        // Only what came from an address moves; what the customer decided about the channel stays.
        if (c[field]?.key && c[field]!.key !== now) delete c[field];
      }
    }
    const known = state.addresses?.[addressId(channel, now)];
    if (known) state.channels[channel] = { ...state.channels[channel], ...known };
  }
}

/** Whether marketing may be sent at all: explicit consent, or the playbook's default. */
export function marketingAllowed(state: ConsentState, profile: CustomerProfile, rules: CustomerRules): boolean {
  if (state.stopped) return false;
  const stated = state.marketing.granted ?? profile.marketingConsent ?? null;
  return stated ?? !rules.consent.marketingRequiresOptIn;
}
