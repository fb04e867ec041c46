/**
 * Who the customer is and where they can be found: the profile merged across orders, the keys of
 * its contacts, and the contact keys webhooks find the customer by, kept current and bounded (a
 * search attribute has a size limit, and a stale key would route an old address's bounce here).
 * Workflow code: deterministic.
 */
import { retarget } from './consent';
import type { CustomerEvent, CustomerLifecycleState, OrderPlacedSignal, ProfileKeys } from './contract';

/** Contact keys webhooks find the customer by: the profile's, then the most recent orders'. */
const MAX_CONTACT_KEYS = 40;
const RECENT_ORDERS_FOUND_BY_WEBHOOKS = 20;

/**
 * The newest order carries the freshest profile (signals from concurrent journeys may arrive out of
 * order); an older one only fills contacts we did not have. Absent contacts keep their value.
 */
export function mergeProfile(state: CustomerLifecycleState, signal: OrderPlacedSignal, isNewest: boolean): void {
  const { profile, profileKeys } = signal;
  const defined = stripUndefined(profile);
  state.profile = isNewest
    ? { ...state.profile, ...defined, id: profile.id, name: profile.name }
    : { ...defined, ...state.profile, id: profile.id, name: state.profile?.name ?? profile.name };
  // Journeys from before keyed addresses send no profile keys.
  if (!profileKeys) return;
  const keys = stripUndefined(profileKeys) as ProfileKeys;
  const before = state.profileKeys;
  const after: ProfileKeys = isNewest ? { ...before, ...keys } : { ...keys, ...before };
  retarget(state.consent, before, after);
  state.profileKeys = after;
}

/** Keeps the order's own contact keys and Telegram tag with its summary, for webhooks and links. */
export function orderKeys(signal: OrderPlacedSignal): { contactKeys?: string[]; telegramTag?: string } {
  return {
    ...(signal.contactKeys?.length ? { contactKeys: signal.contactKeys } : {}),
    ...(signal.order.telegramTag ? { telegramTag: signal.order.telegramTag } : {}),
  };
}

/**
 * The keys the customer is found by: the profile's current contacts and Telegram link, then those of the
 * most recent orders (their journeys still send). Old addresses drop out; the list stays under the limit.
 */
export function currentContactKeys(state: CustomerLifecycleState): string[] {
  const fromProfile = Object.values(state.profileKeys ?? {}).filter((k): k is string => !!k);
  const fromOrders = [...state.orders]
    .sort((a, b) => (a.placedAt < b.placedAt ? 1 : -1))
    .slice(0, RECENT_ORDERS_FOUND_BY_WEBHOOKS)
    .flatMap((o) => o.contactKeys ?? []);
  // Lifecycles from before keyed profiles keep what they had, bounded too.
  const legacy = state.profileKeys ? [] : state.contactKeys;
  return [...new Set([...fromProfile, ...fromOrders, ...legacy])].slice(0, MAX_CONTACT_KEYS);
}

/**
 * A chat that opened a Telegram link: the customer's chat from now on, and, for a link minted in one order's
 * message, that order's chat (its messages go there even if another order of the same customer id differs).
 */
export function linkTelegram(
  state: CustomerLifecycleState,
  event: Extract<CustomerEvent, { type: 'telegram-linked' }>,
) {
  state.profileKeys = { ...state.profileKeys, telegram: event.contactKey };
  const tag = event.linkId && event.linkId.length > 12 ? event.linkId.slice(12) : undefined;
  const order = tag ? state.orders.find((o) => o.telegramTag === tag) : undefined;
  if (order) Object.assign(order, { telegramChatId: event.chatId, telegramChatKey: event.contactKey });
}

/** The chat linked through a message of this order, if any. */
export function linkedChatFor(state: CustomerLifecycleState, orderId: string | undefined) {
  const order = orderId ? state.orders.find((o) => o.orderId === orderId) : undefined;
  return order?.telegramChatId && order.telegramChatKey
    ? { to: order.telegramChatId, key: order.telegramChatKey }
    : undefined;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
