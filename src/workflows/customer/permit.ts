/**
 * The send permit: whether, when and where a message may go. Pure and deterministic; the customer's
 * lifecycle decides for every journey of the customer. A journey's message goes to its own order's
 * contacts (the request's recipient), filtered by consent; never to whoever last used the customer id.
 */
import type { Channel } from '../../channels/types';
import { capDecision, pruneOld } from '../../rules/frequency-cap';
import { nextAllowedTime } from '../../rules/quiet-hours';
import {
  contactFor,
  NO_REACHABLE_CHANNEL,
  type Address,
  type Recipient,
  type SendPermit,
  type SendPermitRequest,
} from '../delivery/contract';
import { addressId, currentKey, keepLast, marketingAllowed } from './consent';
import type {
  ChannelConsent,
  ConsentMark,
  ConsentState,
  CustomerProfile,
  CustomerRules,
  ProfileKeys,
} from './contract';
import { switchedOff, offChannelReason, ownPauseReason, pauseReason, preferredOrder } from './preferences-rules';

const MAX_PERMITS = 100;

/** Channels in the customer's order: their own preference first, then the playbook's. */
export function channelOrder(who: { preferredChannels?: Channel[] }, playbookOrder: readonly Channel[]): Channel[] {
  const preferred = (who.preferredChannels ?? []).filter((c) => playbookOrder.includes(c));
  return [...preferred, ...playbookOrder.filter((c) => !preferred.includes(c))];
}

/** Where the lifecycle's profile lives: its keys, and a chat linked through the order a message is about. */
export interface PermitContext {
  profileKeys?: ProfileKeys;
  linkedChat?: { to: string; key: string };
}

/**
 * Decides whether, when and where a message may go. Marketing needs consent, obeys the frequency
 * cap and quiet hours, and takes a slot under the cap when granted; transactional messages only
 * need a reachable channel (and wait out quiet hours on SMS when the playbook says so). The same
 * permit id always gets the same answer.
 */
export function decidePermit(
  state: ConsentState,
  profile: CustomerProfile | null,
  request: SendPermitRequest,
  rules: CustomerRules,
  nowMs: number,
  context: PermitContext = {},
): SendPermit {
  const cached = state.permits.find((p) => p.id === request.permitId);
  if (cached) return cached.decision;
  const decision = decide(state, profile, request, rules, nowMs, context);
  state.permits = keepLast([...state.permits, { id: request.permitId, decision }], MAX_PERMITS);
  return decision;
}

function decide(
  state: ConsentState,
  profile: CustomerProfile | null,
  request: SendPermitRequest,
  rules: CustomerRules,
  nowMs: number,
  context: PermitContext,
): SendPermit {
  if (!profile) return { decision: 'skip', reason: 'the customer is not known yet' };
  if (state.stopped) return { decision: 'skip', reason: `opted out of every message (${state.stopped.source})` };
  // The customer's own page: a topic they switched off (never order news). Without preferences: as before.
  const topicOff = switchedOff(state.preferences, request.kind);
  if (topicOff) return { decision: 'skip', reason: topicOff };
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
  const paused = state.marketingPaused;
  if (marketing && paused && !(paused.until && Date.parse(paused.until) <= nowMs)) {
    return { decision: 'skip', reason: pauseReason(paused) };
  }
  // The customer's own pause (their page), checked after an operator's: both must allow marketing.
  const ownPause = marketing ? ownPauseReason(state.preferences, nowMs) : undefined;
  if (ownPause) return { decision: 'skip', reason: ownPause };
  const recipient = request.recipient ?? fromProfile(profile, context.profileKeys);
  const addresses = [...recipient.addresses];
  if (context.linkedChat && !addresses.some((a) => a.channel === 'telegram')) {
    addresses.push({ channel: 'telegram', ...context.linkedChat });
  }
  const excluded: string[] = [];
  const channels = channelOrder(
    { preferredChannels: preferredOrder(state.preferences, recipient.preferredChannels ?? profile.preferredChannels) },
    request.channels,
  ).flatMap((channel) => {
    const address = addresses.find((a) => a.channel === channel);
    if (!address) return [];
    if (state.preferences?.off?.includes(channel)) {
      excluded.push(offChannelReason(channel));
      return [];
    }
    const consent = [
      state.channels[channel],
      address.key ? state.addresses?.[addressId(channel, address.key)] : undefined,
    ];
    const blocked = firstFor(consent, 'blocked', address.key);
    if (blocked) {
      excluded.push(`${channel}: ${blocked.reason}`);
      return [];
    }
    const suppressed = marketing ? firstFor(consent, 'marketingSuppressed', address.key) : undefined;
    if (suppressed) {
      excluded.push(`${channel}: ${suppressed.reason}`);
      return [];
    }
    return [{ channel, to: address.to, ...(address.key ? { key: address.key } : {}) }];
  });
  if (channels.length === 0) {
    return {
      decision: 'skip',
      reason: `${NO_REACHABLE_CHANNEL}${excluded.length ? ` (${excluded.join(', ')})` : ''}`,
    };
  }

  const timeZone = recipient.timeZone ?? profile.timeZone;
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
    const allowedAt = nextAllowedTime(nowMs, timeZone, rules.quietHours);
    if (allowedAt > nowMs) return { decision: 'wait', until: new Date(allowedAt).toISOString(), reason: 'quiet-hours' };
    state.marketingSentAt = [...state.marketingSentAt, nowMs];
  }

  const smsAllowedAt = rules.quietHours.sms ? nextAllowedTime(nowMs, timeZone, rules.quietHours) : nowMs;
  const whatsappInbound = state.lastInboundAt.whatsapp ? Date.parse(state.lastInboundAt.whatsapp) : undefined;
  return {
    decision: 'send',
    channels: channels.map((c) =>
      c.channel === 'sms' && smsAllowedAt > nowMs ? { ...c, notBefore: new Date(smsAllowedAt).toISOString() } : c,
    ),
    whatsappWindowOpen: whatsappInbound !== undefined && nowMs - whatsappInbound < 24 * 3_600_000,
    name: recipient.name,
    ...((state.preferences?.locale ?? recipient.locale ?? profile.locale)
      ? { locale: state.preferences?.locale ?? recipient.locale ?? profile.locale }
      : {}),
    ...(timeZone ? { timeZone } : {}),
  };
}

/**
 * A mark that applies to this address: one the customer set for the whole channel (no key), or one about this
 * very address. A channel mark that came from another address (the customer's current one) does not.
 */
function firstFor(
  consent: (ChannelConsent | undefined)[],
  field: 'blocked' | 'marketingSuppressed',
  key: string | undefined,
): ConsentMark | undefined {
  return consent.map((c) => c?.[field]).find((m) => m && (!m.key || !key || m.key === key));
}

/** The lifecycle's own messages, and journeys from before recipients existed, go to the profile. */
function fromProfile(profile: CustomerProfile, keys: ProfileKeys | undefined): Recipient {
  const addresses: Address[] = [];
  for (const channel of ['email', 'sms', 'whatsapp', 'telegram'] as const) {
    const to = contactFor(channel, profile);
    const key = currentKey(keys, channel);
    if (to) addresses.push({ channel, to, key: key ?? '' });
  }
  return {
    name: profile.name,
    ...(profile.locale ? { locale: profile.locale } : {}),
    ...(profile.timeZone ? { timeZone: profile.timeZone } : {}),
    ...(profile.preferredChannels ? { preferredChannels: profile.preferredChannels } : {}),
    addresses,
  };
}
