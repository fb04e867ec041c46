/**
 * The customer's preferences page, on the lifecycle's side: the page reads them (a query) and changes them (an
 * update answered once every running journey has the new snapshot). Workflow code: deterministic.
 *
 * Costs: showing the page is one query; saving is one update, plus one signal per running journey that keeps a
 * snapshot (pushSnapshots), plus nothing else (a pause is applied in place, no timer: the permit compares times).
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { CHANNELS, type Channel } from '../../channels/types';
import { SWITCHABLE_TOPICS, TOPIC_OF } from '../../messages/topics';
import { MESSAGE_KINDS } from '../../messages/kind-names';
import { questionnaireOpen } from '../../rules/questionnaire';
import { contactFor } from '../delivery/contract';
import { applyCustomerEvent, keepLast } from './consent';
import {
  getPreferencesQuery,
  setPreferencesUpdate,
  type CustomerPreferences,
  type PreferencesChange,
  type PreferencesView,
} from './contract';
import type { Lifecycle } from './context';
import { INVALID_PREFERENCES, PREFERENCES_SOURCE } from './preferences-rules';

const DAY = 86_400_000;
const MAX_SEEN_EVENTS = 200;
const LOCALE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function handlePreferences(l: Lifecycle, pushSnapshots: () => Promise<void>, describe: () => void): void {
  setHandler(getPreferencesQuery, () => viewOf(l), { description: "What the customer's preferences page shows." });
  setHandler(
    setPreferencesUpdate,
    async (change) => {
      const { state } = l;
      // The same form posted twice is one change.
      if (state.consent.seenEvents.includes(change.eventId)) return viewOf(l);
      state.consent.seenEvents = keepLast([...state.consent.seenEvents, change.eventId], MAX_SEEN_EVENTS);
      applyChange(l, change);
      describe();
      // Answered once every running journey has the change: the page's "Saved" is true for all of them.
      await pushSnapshots();
      return viewOf(l);
    },
    {
      description: "The customer's preferences page: channels, topics, language, a marketing pause.",
      validator: (change) => {
        const problem = problemWith(l, change);
        if (problem)
          throw ApplicationFailure.create({ message: problem, type: INVALID_PREFERENCES, nonRetryable: true });
      },
    },
  );
}

function applyChange(l: Lifecycle, change: PreferencesChange): void {
  const { state } = l;
  const before = state.consent.preferences;
  const preferences: CustomerPreferences = {
    ...before,
    ...(change.channels ? { channels: [...new Set(change.channels)] } : {}),
    ...(change.off ? { off: [...new Set(change.off)] } : {}),
    ...(change.topicsOff ? { topicsOff: [...new Set(change.topicsOff)] } : {}),
    ...(change.locale ? { locale: change.locale } : {}),
    source: change.source,
    at: change.at,
  };
  state.consent.preferences = preferences;
  if (state.profile) {
    const on = preferences.channels?.filter((c) => !preferences.off?.includes(c));
    state.profile = {
      ...state.profile,
      ...(change.locale ? { locale: change.locale } : {}),
      ...(change.channels && on?.length ? { preferredChannels: on } : {}),
    };
  }
  // The customer's own pause lives in their preferences, beside an operator's (consent.marketingPaused), which the
  // page never touches: both must allow marketing (permit.ts).
  const days = change.pauseMarketingDays;
  if (days === 30 || days === 90) {
    preferences.pausedUntil = new Date(Date.parse(change.at) + days * DAY).toISOString();
  } else if (days === 0) {
    delete preferences.pausedUntil;
    // A pause the page set before it was kept apart (in consent, with the page as its source): still theirs to lift.
    if (state.consent.marketingPaused?.source === PREFERENCES_SOURCE) {
      applyCustomerEvent(state.consent, {
        type: 'marketing-resumed',
        reason: 'the customer resumed marketing',
        eventId: `${change.eventId}:resume`,
        source: PREFERENCES_SOURCE,
        at: change.at,
      });
    }
  }
}

/** Why the lifecycle refuses a change; undefined when it is fine. */
function problemWith(l: Lifecycle, change: PreferencesChange): string | undefined {
  const { state } = l;
  if (!state.profile) return 'the customer has no order yet';
  if (!change.eventId || !change.at || Number.isNaN(Date.parse(change.at)))
    return 'a change needs an event id and a time';
  const channels = [...(change.channels ?? []), ...(change.off ?? [])];
  if (channels.some((c) => !CHANNELS.includes(c))) return 'unknown channel';
  if (change.topicsOff?.some((t) => !(SWITCHABLE_TOPICS as readonly string[]).includes(t))) {
    return 'only reviews, offers and win-back can be switched off';
  }
  if (change.locale !== undefined && !LOCALE_TAG.test(change.locale)) return 'not a language tag';
  if (change.pauseMarketingDays !== undefined && ![0, 30, 90].includes(change.pauseMarketingDays)) {
    return 'a pause is 0, 30 or 90 days';
  }
  const off = change.off ?? state.consent.preferences?.off ?? [];
  const reachable = reachableChannels(l);
  if (reachable.length > 0 && reachable.every((c) => off.includes(c))) {
    return 'at least one channel must stay on';
  }
  return undefined;
}

/** Channels the customer has an address for and the playbook sends customers' messages on. */
function reachableChannels(l: Lifecycle): Channel[] {
  const { profile, playbook } = l.state;
  if (!profile) return [];
  const used = new Set<Channel>(playbook?.channels ?? ['email']);
  for (const kind of MESSAGE_KINDS) {
    if (!TOPIC_OF[kind]) continue;
    for (const c of playbook?.messages?.[kind]?.channels ?? []) used.add(c);
  }
  return CHANNELS.filter((c) => used.has(c) && contactFor(c, profile) !== undefined);
}

function viewOf(l: Lifecycle): PreferencesView {
  const { state } = l;
  const { consent, profile } = state;
  const locale = consent.preferences?.locale ?? profile?.locale ?? state.playbook?.defaultLocale;
  return {
    customerId: state.customerId,
    preferences: consent.preferences ?? null,
    ...(consent.marketingPaused ? { marketingPaused: consent.marketingPaused } : {}),
    reachable: reachableChannels(l),
    orderOpen: state.orders.some((o) => o.status === 'active'),
    ...(consent.marketing.granted === false || consent.stopped ? { marketingOff: true } : {}),
    ...(questionnaireOpen(state.questionnaire) ? { questionnaireInvited: true } : {}),
    ...(locale ? { locale } : {}),
    // The page greets by first name only.
    name: (profile?.name ?? '').trim().split(/\s+/)[0] ?? '',
  };
}
