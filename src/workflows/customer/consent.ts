/**
 * The customer's consent, suppressions and reachability, and the send-permit decision made from
 * them. Pure and deterministic: the customer lifecycle workflow runs it, so every journey of one
 * customer is judged by one serialized owner (two journeys can never both take the last slot
 * under a frequency cap).
 */
import { contactFor, NO_REACHABLE_CHANNEL, type SendPermit, type SendPermitRequest } from '../delivery/contract';
import { type ConsentState, type CustomerEvent, type CustomerRules, type CustomerProfile } from './contract';
import type { Channel } from '../../channels/types';
import { capDecision, pruneOld } from '../../rules/frequency-cap';
import { nextAllowedTime } from '../../rules/quiet-hours';

const MAX_SEEN_EVENTS = 200;
const MAX_PERMITS = 100;
const MAX_LINK_TOKENS = 100;
const MAX_CONSENT_EVENTS = 1000;

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

const keepLast = <T>(list: T[], max: number) => (list.length > max ? list.slice(list.length - max) : list);

export interface EventOutcome {
  applied: boolean;
  /** Why an event changed nothing (replayed, or a used link token). */
  ignored?: string;
  /** Profile fields the event sets (a linked Telegram chat). */
  profilePatch?: Partial<CustomerProfile>;
}

/** Applies one event (webhook, API call or delivery report). Replays (same eventId) change nothing. */
export function applyCustomerEvent(state: ConsentState, e: CustomerEvent): EventOutcome {
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
  const mark = { source: e.source, at: e.at };
  const channelState = (c: Channel) => (state.channels[c] ??= {});
  let outcome: EventOutcome = { applied: true };

  switch (e.type) {
    case 'opt-out': {
      if (e.scope === 'all' && e.channel !== 'all') channelState(e.channel).blocked = { reason: 'opted-out', ...mark };
      if (e.scope === 'marketing' && e.channel !== 'all') {
        channelState(e.channel).marketingSuppressed = { reason: 'opted-out', ...mark };
      }
      if (e.scope === 'all' && e.channel === 'all') state.stopped = mark;
      // Opting out anywhere stops marketing everywhere: the customer said "stop", not "stop here".
      if (state.marketing.granted !== false) {
        state.marketing = { granted: false, source: e.source, at: e.at, previous: state.marketing.granted };
      }
      break;
    }
    case 'opt-in': {
      optIn(state, e.channel, e.scope, e);
      break;
    }
    case 'delivery-problem': {
      const c = channelState(e.channel);
      c.lastProblem = { reason: e.problem, ...mark };
      if (e.problem === 'hard-bounce' || e.problem === 'invalid-address' || e.problem === 'blocked') {
        c.blocked = { reason: e.problem, ...mark };
      } else if (e.problem === 'complaint' || e.problem === 'soft-bounce') {
        c.marketingSuppressed = { reason: e.problem, ...mark };
      } else if (e.problem === 'opted-out') {
        c.blocked = { reason: 'opted-out', ...mark };
        if (state.marketing.granted !== false) {
          state.marketing = { granted: false, source: e.source, at: e.at, previous: state.marketing.granted };
        }
      }
      break;
    }
    case 'telegram-linked': {
      if (state.usedLinkTokens.includes(e.linkToken)) {
        outcome = { applied: false, ignored: 'link token already used' };
        break;
      }
      state.usedLinkTokens = keepLast([...state.usedLinkTokens, e.linkToken], MAX_LINK_TOKENS);
      const c = channelState('telegram');
      if (c.blocked) delete c.blocked;
      // Pressing Start on a fresh link is the customer's own opt-in on Telegram; a used link is nobody's.
      optIn(state, 'telegram', 'all', e);
      outcome = { applied: true, profilePatch: { telegramChatId: e.chatId } };
      break;
    }
    case 'inbound': {
      state.lastInboundAt[e.channel] = e.at;
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

/** Undoes what an opt-out did on the channel (or everywhere), no more: consent given elsewhere stays as it was. */
function optIn(
  state: ConsentState,
  channel: Channel | 'all',
  scope: 'all' | 'marketing',
  e: { source: string; at: string },
) {
  if (channel !== 'all') {
    const c = state.channels[channel];
    if (c?.blocked?.reason === 'opted-out') delete c.blocked;
    if (c?.marketingSuppressed?.reason === 'opted-out') delete c.marketingSuppressed;
  }
  if (channel === 'all' && scope === 'all') delete state.stopped;
  if (scope === 'marketing') {
    state.marketing = { granted: true, source: e.source, at: e.at };
  } else if (state.marketing.granted === false && state.marketing.source === e.source) {
    // START undoes what STOP did on the same channel, no more.
    state.marketing = { granted: state.marketing.previous ?? null, source: e.source, at: e.at };
  }
}

/** Whether marketing may be sent at all: explicit consent, or the playbook's default. */
export function marketingAllowed(state: ConsentState, profile: CustomerProfile, rules: CustomerRules): boolean {
  if (state.stopped) return false;
  const stated = state.marketing.granted ?? profile.marketingConsent ?? null;
  return stated ?? !rules.consent.marketingRequiresOptIn;
}

/** Channels in the customer's order: their own preference first, then the playbook's. */
export function channelOrder(profile: CustomerProfile, playbookOrder: readonly Channel[]): Channel[] {
  const preferred = (profile.preferredChannels ?? []).filter((c) => playbookOrder.includes(c));
  return [...preferred, ...playbookOrder.filter((c) => !preferred.includes(c))];
}

/**
 * Decides whether, when and where a message may go. Marketing needs consent, obeys the frequency
 * cap and quiet hours, and takes a slot under the cap when granted; transactional messages only
 * need a reachable channel (and wait out quiet hours on SMS when the playbook says so).
 */
export function decidePermit(
  state: ConsentState,
  profile: CustomerProfile | null,
  request: SendPermitRequest,
  rules: CustomerRules,
  nowMs: number,
): SendPermit {
  const cached = state.permits.find((p) => p.id === request.permitId);
  if (cached) return cached.decision;
  const decision = decide(state, profile, request, rules, nowMs);
  state.permits = keepLast([...state.permits, { id: request.permitId, decision }], MAX_PERMITS);
  return decision;
}

function decide(
  state: ConsentState,
  profile: CustomerProfile | null,
  request: SendPermitRequest,
  rules: CustomerRules,
  nowMs: number,
): SendPermit {
  if (!profile) return { decision: 'skip', reason: 'the customer is not known yet' };
  if (state.stopped) return { decision: 'skip', reason: `opted out of every message (${state.stopped.source})` };
  const marketing = request.purpose === 'marketing';
  if (marketing && !marketingAllowed(state, profile, rules)) {
    return {
      decision: 'skip',
      reason:
        state.marketing.granted === false
          ? `opted out of marketing (${state.marketing.source ?? 'unknown source'})`
          : 'no marketing consent (the playbook requires opt-in)',
    };
  }
  const excluded: string[] = [];
  const channels = channelOrder(profile, request.channels).flatMap((channel) => {
    const to = contactFor(channel, profile);
    const c = state.channels[channel];
    if (!to) return [];
    if (c?.blocked) {
      excluded.push(`${channel}: ${c.blocked.reason}`);
      return [];
    }
    if (marketing && c?.marketingSuppressed) {
      excluded.push(`${channel}: ${c.marketingSuppressed.reason}`);
      return [];
    }
    return [{ channel, to }];
  });
  if (channels.length === 0) {
    return {
      decision: 'skip',
      reason: `${NO_REACHABLE_CHANNEL}${excluded.length ? ` (${excluded.join(', ')})` : ''}`,
    };
  }

  if (marketing) {
    const windowMs = rules.frequencyCap.per;
    state.marketingSentAt = pruneOld(state.marketingSentAt, nowMs, windowMs);
    const cap = capDecision(state.marketingSentAt, nowMs, { max: rules.frequencyCap.max, windowMs });
    if (!cap.allowed) {
      if (rules.frequencyCap.overCap === 'drop') {
        return { decision: 'skip', reason: `frequency cap: ${rules.frequencyCap.max} marketing messages per window` };
      }
      return { decision: 'wait', until: new Date(cap.nextSlotMs).toISOString(), reason: 'frequency-cap' };
    }
    const allowedAt = nextAllowedTime(nowMs, profile.timeZone, rules.quietHours);
    if (allowedAt > nowMs) return { decision: 'wait', until: new Date(allowedAt).toISOString(), reason: 'quiet-hours' };
    state.marketingSentAt = [...state.marketingSentAt, nowMs];
  }

  const smsAllowedAt = rules.quietHours.sms ? nextAllowedTime(nowMs, profile.timeZone, rules.quietHours) : nowMs;
  const whatsappInbound = state.lastInboundAt.whatsapp ? Date.parse(state.lastInboundAt.whatsapp) : undefined;
  return {
    decision: 'send',
    channels: channels.map((c) =>
      c.channel === 'sms' && smsAllowedAt > nowMs ? { ...c, notBefore: new Date(smsAllowedAt).toISOString() } : c,
    ),
    whatsappWindowOpen: whatsappInbound !== undefined && nowMs - whatsappInbound < 24 * 3_600_000,
    name: profile.name,
    ...(profile.locale ? { locale: profile.locale } : {}),
    ...(profile.timeZone ? { timeZone: profile.timeZone } : {}),
  };
}
