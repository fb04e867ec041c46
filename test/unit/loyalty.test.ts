import { describe, expect, it } from 'vitest';
import { addMonths, warrantyGroups } from '../../src/rules/calendar';
import { percentOf, rfm, tierFor } from '../../src/rules/loyalty';

const DAY = 86_400_000;
const rules = {
  recencyDays: [30, 90, 180, 365],
  frequencyOrders: [2, 3, 5, 10],
  monetaryMinor: [5_000, 20_000, 50_000, 100_000],
};

describe('loyalty arithmetic', () => {
  it('takes percentages of minor units without float drift, rounding down', () => {
    expect(percentOf(1999, 5)).toBe(99);
    expect(percentOf(2501, 5)).toBe(125);
    expect(percentOf(1, 5)).toBe(0);
    expect(percentOf(10_000, 2.5)).toBe(250);
    // 0.1 + 0.2 style drift would show here: 5% of 1e9 + 7 minor units.
    expect(percentOf(1_000_000_007, 5)).toBe(50_000_000);
    let balance = 0;
    for (let i = 0; i < 1000; i++) balance += percentOf(333, 5);
    expect(balance).toBe(16_000);
  });

  it('puts a customer in the highest tier whose conditions they meet', () => {
    const tiers = [
      { id: 'regular', label: 'Regular', minOrders: 2, discountPercent: 5 },
      { id: 'vip', label: 'VIP', minSpendMinor: 100_000, discountPercent: 20 },
    ];
    expect(tierFor({ completedOrders: 1, spendMinor: 500 }, tiers)).toBeUndefined();
    expect(tierFor({ completedOrders: 2, spendMinor: 500 }, tiers)?.id).toBe('regular');
    expect(tierFor({ completedOrders: 1, spendMinor: 150_000 }, tiers)?.id).toBe('vip');
  });

  it('scores recency, frequency and value, and says when recency next drops', () => {
    const now = Date.UTC(2026, 10, 22);
    const fresh = rfm(now, { lastOrderAtMs: now - 3 * DAY, orders: 6, spendMinor: 60_000 }, rules);
    expect(fresh).toMatchObject({ recency: 5, frequency: 4, monetary: 4, score: 'R5F4M4', segment: 'vip' });
    expect(fresh.nextChangeAt).toBe(now - 3 * DAY + 30 * DAY + 1);
    expect(rfm(now, { lastOrderAtMs: now - 200 * DAY, orders: 4, spendMinor: 30_000 }, rules).segment).toBe('at_risk');
    expect(rfm(now, { lastOrderAtMs: now - 400 * DAY, orders: 1, spendMinor: 1_000 }, rules)).toMatchObject({
      recency: 1,
      segment: 'lapsed',
    });
    expect(rfm(now, { lastOrderAtMs: now - DAY, orders: 1, spendMinor: 1_000 }, rules).segment).toBe('new');
  });
});

describe('warranty dates', () => {
  it('adds calendar months, clamping to the end of shorter months', () => {
    expect(new Date(addMonths(Date.UTC(2026, 0, 31), 1)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2028, 0, 31), 1)).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2026, 10, 22, 15), 36)).toISOString()).toBe('2029-11-22T15:00:00.000Z');
  });

  it('groups items whose warranties end on the same day into one check-in, earliest first', () => {
    const start = Date.UTC(2026, 10, 22);
    const groups = warrantyGroups(start, [
      { name: 'Roof', warrantyMonths: 120 },
      { name: 'Boiler', warrantyMonths: 24 },
      { name: 'Windows', warrantyMonths: 24 },
      { name: 'Paint' },
    ]);
    expect(groups.map((g) => [g.endsAt.slice(0, 10), g.items])).toEqual([
      ['2028-11-22', ['Boiler', 'Windows']],
      ['2036-11-22', ['Roof']],
    ]);
  });
});
