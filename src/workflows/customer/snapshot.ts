/**
 * What a journey keeps of its customer, so it decides its own transactional messages without a round
 * trip: the consent that applies to its order's addresses, a chat linked through its order, and the
 * customer's standing when the order arrived. The lifecycle gives it at the order and sends a new one
 * whenever it changes; a journey keeps the newest (by version). Marketing still asks the lifecycle,
 * which owns the frequency cap. And what a journey tells its lifecycle back (JourneyNews), carried on
 * its next permit request or sent as one signal. Pure and deterministic: both workflows use it.
 */
import type { ConsentState, CustomerLifecycleState, CustomerSnapshot } from './contract';
import { personalOf } from './personal';

export type { CustomerSnapshot };
export type { JourneyNews } from '../delivery/contract';

/** A customer nobody knew: no restrictions, nothing to show. */
export const FRESH_CUSTOMER: CustomerSnapshot = {
  version: 0,
  consent: { marketing: { granted: null }, channels: {}, lastInboundAt: {} },
};

/** The snapshot for one order: consent marks of its own addresses only (the rest is not its business). */
export function snapshotFor(state: CustomerLifecycleState, orderId: string): CustomerSnapshot {
  const { consent } = state;
  const order = state.orders.find((o) => o.orderId === orderId);
  const keys = new Set(order?.contactKeys ?? []);
  // Address ids are "<channel>/<key>".
  const own = Object.entries(consent.addresses ?? {}).filter(([id]) => keys.has(id.slice(id.indexOf('/') + 1)));
  // What templates may say about the customer (tier, interests, last purchase): its transactional messages use it.
  const personal = personalOf(state);
  return {
    version: state.snapshotVersion ?? 0,
    consent: {
      marketing: consent.marketing,
      channels: consent.channels,
      lastInboundAt: consent.lastInboundAt,
      ...(own.length ? { addresses: Object.fromEntries(own) } : {}),
      ...(consent.stopped ? { stopped: consent.stopped } : {}),
      // The customer's own page (topics, channels, language): journeys decide transactional messages with it.
      ...(consent.preferences ? { preferences: consent.preferences } : {}),
    },
    ...(order?.telegramChatId && order.telegramChatKey
      ? { linkedChat: { to: order.telegramChatId, key: order.telegramChatKey } }
      : {}),
    ...(state.loyalty ? { loyalty: state.loyalty } : {}),
    ...(personal ? { personal } : {}),
  };
}

/** A whole ConsentState from a snapshot, for the permit decision (nothing in it is written back). */
export function consentOf(snapshot: CustomerSnapshot): ConsentState {
  return {
    ...snapshot.consent,
    marketingSentAt: [],
    seenEvents: [],
    permits: [],
    usedLinkTokens: [],
  };
}
