/**
 * Loyalty and value: cashback and tiers on each completed order (with a recognition message when
 * the customer moves up), and RFM scores kept current without polling. Workflow code: deterministic.
 */
import { percentOf, rfm, tierFor, tierRank } from '../../rules/loyalty';
import type { LoyaltyData } from '../../messages/data';
import type { Lifecycle } from './context';

/** Recomputes the value scores; returns when the recency score next drops (to wake then), if ever. */
export function refreshValue(l: Lifecycle): number | undefined {
  const { state } = l;
  if (!l.withLoyalty || !state.playbook) return undefined;
  const completed = state.orders.filter((o) => o.status === 'completed');
  const { nextChangeAt, ...value } = rfm(
    Date.now(),
    {
      lastOrderAtMs: state.lastOrderAt ? Date.parse(state.lastOrderAt) : undefined,
      orders: state.orders.length,
      spendMinor: completed.reduce((sum, o) => sum + o.totalMinor, 0),
    },
    state.playbook.rfm,
  );
  state.value = { ...value, at: l.now() };
  return nextChangeAt;
}

/** Credits cashback and spend for a completed order, and rewards a higher tier out loud. */
export function creditCompletedOrder(l: Lifecycle, orderId: string): void {
  const { state } = l;
  const order = state.orders.find((o) => o.orderId === orderId);
  const playbook = state.playbook;
  if (!l.withLoyalty || !order || !playbook) return;
  const loyalty = (state.loyalty ??= { completedOrders: 0, spendMinor: 0, cashbackBalanceMinor: 0 });
  // What the customer kept: refunds before completion never count.
  const kept = Math.max(0, order.totalMinor - (order.refundedMinor ?? 0));
  loyalty.completedOrders += 1;
  loyalty.spendMinor += kept;
  loyalty.currency ??= order.currency;
  // Cashback: a share of each completed order, credited towards the next one (integer minor units).
  loyalty.cashbackBalanceMinor += percentOf(kept, playbook.loyalty.cashbackPercent);
  const tiers = playbook.loyalty.tiers;
  const tier = tierFor(loyalty, tiers);
  if (tier && tierRank(tiers, tier.id) > tierRank(tiers, loyalty.tier)) {
    loyalty.tier = tier.id;
    loyalty.tierSince = l.now();
    void l.sendInBackground(() =>
      l.deliver({
        key: `tier-${tier.id}`,
        kind: 'tier_upgrade',
        data: {
          orderId,
          loyalty: {
            tier: tier.id,
            tierLabel: tier.label,
            discountPercent: tier.discountPercent,
            cashbackBalanceMinor: loyalty.cashbackBalanceMinor,
            currency: loyalty.currency,
          },
        },
      }),
    );
  }
}

/** The customer's standing as the thank-you shows it: tier, discount and cashback balance. */
export function loyaltyView(l: Lifecycle): LoyaltyData {
  const { state } = l;
  const tier = state.playbook?.loyalty.tiers.find((t) => t.id === state.loyalty?.tier);
  return {
    ...(tier ? { tier: tier.id, tierLabel: tier.label, discountPercent: tier.discountPercent } : {}),
    cashbackBalanceMinor: state.loyalty?.cashbackBalanceMinor ?? 0,
    ...(state.loyalty?.currency ? { currency: state.loyalty.currency } : {}),
  };
}

/**
 * Money back for an order, once per refund id: recorded on the order; once the order was credited, its spend and
 * the cashback it earned go down by the refund's share (never below zero). The tier reached stays.
 */
export function refundOrder(l: Lifecycle, orderId: string, refundId: string, amountMinor: number): void {
  const order = l.state.orders.find((o) => o.orderId === orderId);
  if (!order || order.refundIds?.includes(refundId)) return;
  order.refundIds = [...(order.refundIds ?? []), refundId].slice(-50);
  order.refundedMinor = (order.refundedMinor ?? 0) + amountMinor;
  const loyalty = l.state.loyalty;
  const playbook = l.state.playbook;
  if (order.status !== 'completed' || !l.withLoyalty || !loyalty || !playbook) return;
  loyalty.spendMinor = Math.max(0, loyalty.spendMinor - amountMinor);
  loyalty.cashbackBalanceMinor = Math.max(
    0,
    loyalty.cashbackBalanceMinor - percentOf(amountMinor, playbook.loyalty.cashbackPercent),
  );
}
