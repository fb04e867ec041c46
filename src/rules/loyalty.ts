/**
 * Loyalty, cashback and value (RFM): pure integer arithmetic on minor units, run inside the
 * customer lifecycle workflow. No floats touch money: percentages become basis points first.
 */
import type { Playbook } from '../playbook/schema';

export type LoyaltyRules = Playbook['loyalty'];
export type Tier = LoyaltyRules['tiers'][number];

/** `percent`% of an amount in minor units, rounded down: 5% of 1999 cents is 99 cents. */
export function percentOf(amountMinor: number, percent: number): number {
  const basisPoints = Math.round(percent * 100);
  return Math.floor((amountMinor * basisPoints) / 10_000);
}

/** The highest tier whose every condition the customer meets (tiers are listed low to high). */
export function tierFor(
  stats: { completedOrders: number; spendMinor: number },
  tiers: readonly Tier[],
): Tier | undefined {
  let best: Tier | undefined;
  for (const tier of tiers) {
    const ordersOk = tier.minOrders === undefined || stats.completedOrders >= tier.minOrders;
    const spendOk = tier.minSpendMinor === undefined || stats.spendMinor >= tier.minSpendMinor;
    if (ordersOk && spendOk) best = tier;
  }
  return best;
}

export const tierRank = (tiers: readonly Tier[], id: string | undefined) =>
  id ? tiers.findIndex((t) => t.id === id) : -1;

export type Segment = 'vip' | 'loyal' | 'promising' | 'new' | 'at_risk' | 'lapsed' | 'regular';

export interface RfmResult {
  recency: number;
  frequency: number;
  monetary: number;
  /** "R5F3M4": sortable and searchable in the Temporal UI. */
  score: string;
  segment: Segment;
  /** When the recency score next drops if nothing happens (ms), so the lifecycle can wake then, not poll. */
  nextChangeAt?: number;
}

const DAY = 86_400_000;

/** 1-5 per dimension from the playbook's thresholds (recency in days since the last order). */
export function rfm(
  nowMs: number,
  stats: { lastOrderAtMs: number | undefined; orders: number; spendMinor: number },
  rules: Playbook['rfm'],
): RfmResult {
  // recencyDays ascending, e.g. [30, 90, 180, 365]: within 30 days → 5, … beyond 365 → 1.
  let recency = 1;
  let nextChangeAt: number | undefined;
  if (stats.lastOrderAtMs !== undefined) {
    const ageDays = (nowMs - stats.lastOrderAtMs) / DAY;
    const index = rules.recencyDays.findIndex((limit) => ageDays <= limit);
    recency = index === -1 ? 1 : 5 - index;
    if (index !== -1) nextChangeAt = stats.lastOrderAtMs + rules.recencyDays[index]! * DAY + 1;
  }
  const step = (value: number, thresholds: readonly number[]) => 1 + thresholds.filter((t) => value >= t).length;
  const frequency = Math.min(5, step(stats.orders, rules.frequencyOrders));
  const monetary = Math.min(5, step(stats.spendMinor, rules.monetaryMinor));
  const segment: Segment =
    stats.orders === 0
      ? 'new'
      : recency >= 4 && frequency >= 4 && monetary >= 4
        ? 'vip'
        : recency >= 3 && frequency >= 3
          ? 'loyal'
          : recency >= 4 && frequency <= 2
            ? stats.orders === 1
              ? 'new'
              : 'promising'
            : recency <= 1
              ? 'lapsed'
              : recency <= 2 && frequency >= 2
                ? 'at_risk'
                : 'regular';
  return {
    recency,
    frequency,
    monetary,
    score: `R${recency}F${frequency}M${monetary}`,
    segment,
    ...(nextChangeAt ? { nextChangeAt } : {}),
  };
}
