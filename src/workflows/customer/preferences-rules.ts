/**
 * What the customer's preferences page changes in a send permit (./permit): topics switched off, channels switched
 * off or reordered, and their own marketing pause. With no preferences set every function returns what leaves the
 * decision exactly as before (recorded histories replay). Pure and deterministic: workflows import it.
 */
import type { Channel } from '../../channels/types';
import type { MessageKind } from '../../messages/kind-names';
import { SWITCHABLE_TOPICS, TOPIC_OF, type SwitchableTopic } from '../../messages/topics';
import type { ConsentState, CustomerPreferences } from './contract';

/** Where the page's own changes come from (consent events and preferences). */
export const PREFERENCES_SOURCE = 'preferences-page';

/** Error type of a change the lifecycle refuses (the page validates first; this is the last word). */
export const INVALID_PREFERENCES = 'InvalidPreferences';

/** How a skip reason names each topic. */
const TOPIC_NAMES: Record<SwitchableTopic, string> = {
  reviews: 'reviews and surveys',
  offers: 'offers',
  winback: 'win-back messages',
};

/** Why a kind may not go: its topic is switched off (order news never is); undefined when it may. */
export function switchedOff(preferences: CustomerPreferences | undefined, kind: MessageKind): string | undefined {
  const topic = TOPIC_OF[kind];
  if (!preferences?.topicsOff || !topic) return undefined;
  const off = SWITCHABLE_TOPICS.find((t) => t === topic && preferences.topicsOff!.includes(t));
  return off ? `the customer switched off ${TOPIC_NAMES[off]} on their preferences page` : undefined;
}

/** What the permit's skip reason says about a channel the customer switched off. */
export const offChannelReason = (channel: Channel) =>
  `${channel}: switched off by the customer on their preferences page`;

/** The customer's channel order first (from the page), then the order the business keeps for them. */
export function preferredOrder(
  preferences: CustomerPreferences | undefined,
  theirs: Channel[] | undefined,
): Channel[] | undefined {
  if (!preferences?.channels?.length) return theirs;
  return [...new Set([...preferences.channels, ...(theirs ?? [])])];
}

/** Why marketing is held: the customer's own pause says so; an operator's reads as it always did. */
export function pauseReason(paused: NonNullable<ConsentState['marketingPaused']>): string {
  const until = paused.until ? ` until ${paused.until}` : '';
  if (paused.source === PREFERENCES_SOURCE) return `the customer paused marketing on their preferences page${until}`;
  return `marketing paused by an operator${until} (${paused.reason})`;
}

/** Why marketing is held by the customer's own pause (until then); undefined when it is not (or over). */
export function ownPauseReason(preferences: CustomerPreferences | undefined, nowMs: number): string | undefined {
  const until = preferences?.pausedUntil;
  if (!until || Date.parse(until) <= nowMs) return undefined;
  return `the customer paused marketing on their preferences page until ${until}`;
}
