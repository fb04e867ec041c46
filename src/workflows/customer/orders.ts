/**
 * The lifecycle's side of order journeys: the orders they record, complete and report on. Registered in this
 * order (orders placed, recorded, completed, journey news), as the lifecycle always has. Workflow code:
 * deterministic.
 */
import { setHandler } from '@temporalio/workflow';
import { upgradePlaybook } from '../../playbook/upgrade';
import { currentContactKeys, mergeProfile, orderKeys } from './contacts';
import {
  journeyNewsSignal,
  orderCompletedSignal,
  orderPlacedSignal,
  recordOrderUpdate,
  type OrderPlacedSignal,
} from './contract';
import type { Lifecycle } from './context';
import { applyJourneyNews } from './journeys';
import { clipItemNames } from './personal';
import { snapshotFor, type JourneyNews } from './snapshot';
import { creditCompletedOrder } from './value';
import { attributeOrder } from './winback';

/** What the order handlers tell the workflow function, which owns the main loop and the operator view. */
export interface OrderHooks {
  /** Something moved a timer (a new order, a new playbook, a cancellation): the main loop re-plans. */
  replan(): void;
  /** A new order arrived (an in-flight win-back watches the count). */
  orderArrived(): void;
  describe(): void;
}

/**
 * Registers the order handlers. Returns how a journey's news is taken (the permit request carries it too):
 * applied, and the main loop told to re-plan when it moves the win-back clock.
 */
export function handleOrders(l: Lifecycle, hooks: OrderHooks): (news: JourneyNews) => void {
  const { state } = l;
  const recordOrder = (signal: OrderPlacedSignal) => {
    const { order, rules, contactKeys, playbook } = signal;
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    mergeProfile(state, signal, isNewest);
    // Signals from journeys that predate consent carry neither rules nor contact keys.
    if (rules && (isNewest || !state.rules)) state.rules = rules;
    if (playbook && (isNewest || !state.playbook)) state.playbook = upgradePlaybook(playbook);
    if (!state.profileKeys) state.contactKeys = [...new Set([...state.contactKeys, ...(contactKeys ?? [])])];
    // Activities may deliver the same signal twice (retries): order ids make it idempotent.
    if (!state.orders.some((o) => o.orderId === order.orderId)) {
      const { promoCode, telegramTag: _tag, items, ...summary } = order;
      const names = clipItemNames(items);
      state.orders.push({ ...summary, ...(names ? { items: names } : {}), ...orderKeys(signal), status: 'active' });
      state.firstSeenAt ??= order.placedAt;
      if (!state.lastOrderAt || order.placedAt > state.lastOrderAt) state.lastOrderAt = order.placedAt;
      hooks.orderArrived();
      if (l.withLoyalty) attributeOrder(l, order.orderId, order.placedAt, promoCode);
    }
    if (state.profileKeys) state.contactKeys = currentContactKeys(state);
    // Its journey keeps a snapshot of the customer: a consent change sends it a new one.
    const recorded = state.orders.find((o) => o.orderId === order.orderId);
    if (recorded && signal.keepsSnapshot) recorded.snapshotted = true;
    if (recorded && signal.reportsFollowUps) recorded.reportsFollowUps = true;
    hooks.replan();
    hooks.describe();
  };
  setHandler(orderPlacedSignal, recordOrder);
  setHandler(recordOrderUpdate, (signal) => {
    recordOrder({ ...signal, keepsSnapshot: true });
    return snapshotFor(state, signal.order.orderId);
  });
  const completeOrder = (orderId: string, completedAt: string) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
      creditCompletedOrder(l, orderId);
    }
    hooks.replan();
    hooks.describe();
  };
  setHandler(orderCompletedSignal, ({ orderId, completedAt }) => completeOrder(orderId, completedAt));
  const takeNews = (news: JourneyNews) => {
    applyJourneyNews(l, news, completeOrder);
    // A cancelled order, or follow-ups done, move the win-back clock: the main loop computes its next wake-up again.
    if (news.cancelledAt || news.followUpsDoneAt) hooks.replan();
  };
  setHandler(journeyNewsSignal, (news) => {
    takeNews(news);
    hooks.describe();
  });
  return takeNews;
}
