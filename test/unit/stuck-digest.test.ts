import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  operationsActivities,
  STUCK_PAGE,
  stuckAtEnd,
  stuckQuery,
  uiListUrl,
  type StuckVisibility,
} from '../../src/activities/operations';
import { createRenderer } from '../../src/messages/renderer';
import { parsePlaybook } from '../../src/playbook/load';
import {
  DEFAULT_DIGEST_EVERY,
  digestEveryOf,
  STUCK_DIGEST_SETTLE_MS,
  type StuckCounts,
} from '../../src/workflows/operations/contract';
import type { StuckReason } from '../../src/workflows/order/contract';

interface Row {
  workflowId: string;
  reason: StuckReason;
  since: number;
}

/** Visibility in memory: understands the clauses the digest writes (reason, stuck-since ranges), and counts calls. */
function memoryVisibility(rows: Row[]) {
  const calls = { count: 0, list: 0, listed: 0 };
  const matching = (query: string) => {
    const reason = /AftercareStuck = "([^"]+)"/.exec(query)?.[1];
    const ranges = [...query.matchAll(/AftercareStuckSince > "([^"]+)" AND AftercareStuckSince <= "([^"]+)"/g)].map(
      ([, from, to]) => [Date.parse(from!), Date.parse(to!)] as const,
    );
    return rows.filter(
      (r) =>
        (reason === undefined || r.reason === reason) && ranges.every(([from, to]) => r.since > from && r.since <= to),
    );
  };
  const visibility: StuckVisibility = {
    count: async (query) => {
      calls.count++;
      return matching(query).length;
    },
    list: async (query, limit) => {
      calls.list++;
      const rows = matching(query)
        .slice(0, limit)
        .map(({ workflowId, since }) => ({ workflowId, since }));
      calls.listed += rows.length;
      return rows;
    },
  };
  return { visibility, calls };
}

const NOW = Date.parse('2030-03-01T12:00:00Z');
/** An outage: 5,000 journeys stuck over three hours, in an order visibility has no reason to keep. */
const outage: Row[] = Array.from({ length: 5000 }, (_, i) => ({
  workflowId: `order-${i}`,
  reason: 'delivery-failing' as const,
  since: NOW - 3 * 3_600_000 + ((i * 7919) % 5000) * 2_000,
}));

describe('the stuck digest: what it reads from visibility', () => {
  it('finds the newest and the oldest of 5,000 with a few dozen counts and one page of rows each', async () => {
    const { visibility, calls } = memoryVisibility(outage);
    const sorted = [...outage].sort((a, b) => a.since - b.since);
    const all = stuckQuery('aftercare');

    const newest = await stuckAtEnd(visibility, all, { from: 0, to: NOW, count: 5000 }, 'newest', 5);
    expect(newest.map((r) => r.workflowId)).toEqual(
      sorted
        .slice(-5)
        .reverse()
        .map((r) => r.workflowId),
    );
    const oldest = await stuckAtEnd(visibility, all, { from: 0, to: NOW, count: 5000 }, 'oldest', 1);
    expect(oldest).toEqual([{ workflowId: sorted[0]!.workflowId, since: sorted[0]!.since }]);

    expect(calls.list).toBe(2);
    expect(calls.listed).toBeLessThanOrEqual(2 * STUCK_PAGE);
    expect(calls.count).toBeLessThan(80);
  });

  it('reads the rows at once when a page holds them, and nothing when there are none', async () => {
    const few = outage.slice(0, 3);
    const { visibility, calls } = memoryVisibility(few);
    const newest = await stuckAtEnd(visibility, 'q', { from: 0, to: NOW, count: 3 }, 'newest', 5);
    expect(newest.map((r) => r.since)).toEqual(few.map((r) => r.since).sort((a, b) => b - a));
    expect(calls).toMatchObject({ count: 0, list: 1 });
    expect(await stuckAtEnd(visibility, 'q', { from: 0, to: NOW, count: 0 }, 'newest', 5)).toEqual([]);
    expect(calls.list).toBe(1);
  });

  it('counts by reason, the newly stuck in the window before this run, and links each list', async () => {
    const every = 15 * 60_000;
    const rows: Row[] = [
      // In this run's window: (now - every - settle, now - settle].
      { workflowId: 'order-a', reason: 'delivery-failing', since: NOW - 60_000 },
      { workflowId: 'order-b', reason: 'delivery-failing', since: NOW - 120_000 },
      // Too recent for this run (visibility may not show it yet): the next run announces it.
      { workflowId: 'order-c', reason: 'held', since: NOW - STUCK_DIGEST_SETTLE_MS + 1 },
      // Stuck for a day: counted, and the oldest, but not new.
      { workflowId: 'order-d', reason: 'stage-overdue', since: NOW - 86_400_000 },
    ];
    const { visibility } = memoryVisibility(rows);
    const ui = { baseUrl: 'https://ui.example', namespace: 'shop prod' };
    const { countStuckJourneys } = operationsActivities(
      { client: {} as Client, taskQueue: 'aftercare', temporalUi: ui },
      visibility,
    );
    const counts: StuckCounts = await new MockActivityEnvironment().run(countStuckJourneys, {
      scheduledAt: new Date(NOW).toISOString(),
      every,
    });
    expect(counts).toEqual({
      total: 4,
      byReason: [
        { reason: 'delivery-failing', count: 2, url: uiListUrl(ui, stuckQuery('aftercare', 'delivery-failing')) },
        { reason: 'stage-overdue', count: 1, url: uiListUrl(ui, stuckQuery('aftercare', 'stage-overdue')) },
        { reason: 'held', count: 1, url: uiListUrl(ui, stuckQuery('aftercare', 'held')) },
      ],
      newlyStuck: 2,
      newest: ['order-a', 'order-b'],
      oldestSince: new Date(NOW - 86_400_000).toISOString(),
      listUrl: uiListUrl(ui, stuckQuery('aftercare')),
      window: {
        from: new Date(NOW - every - STUCK_DIGEST_SETTLE_MS).toISOString(),
        to: new Date(NOW - STUCK_DIGEST_SETTLE_MS).toISOString(),
      },
    });
    expect(counts.listUrl).toBe(
      'https://ui.example/namespaces/shop%20prod/workflows?query=' +
        encodeURIComponent(
          'AftercareStuck IS NOT NULL AND ExecutionStatus = "Running" AND WorkflowType = "orderJourney" AND TaskQueue = "aftercare"',
        ),
    );
  });

  it('runs every 15 minutes unless the playbook says otherwise, and not more than once a minute', () => {
    const base = YAML.parse(readFileSync(path.resolve(__dirname, '../playbook.fast.yaml'), 'utf8')) as object;
    expect(digestEveryOf(parsePlaybook(base))).toBe(DEFAULT_DIGEST_EVERY);
    expect(digestEveryOf(parsePlaybook({ ...base, operator: { email: 'o@s.example' } }))).toBe(15 * 60_000);
    expect(digestEveryOf(parsePlaybook({ ...base, operator: { digestEvery: '1 hour' } }))).toBe(3_600_000);
    // A journey's frozen playbook from before the setting.
    expect(digestEveryOf({ operator: {} })).toBe(DEFAULT_DIGEST_EVERY);
    expect(() => parsePlaybook({ ...base, operator: { digestEvery: '30s' } })).toThrow(
      /operator\.digestEvery: must be at least 1 minute/,
    );
  });
});

describe('the stuck digest: the message', () => {
  const ui = { baseUrl: 'https://ui.example', namespace: 'default' };
  const data = {
    orderId: '',
    digest: {
      total: 5001,
      byReason: [
        { reason: 'delivery-failing', count: 5000, url: uiListUrl(ui, stuckQuery('aftercare', 'delivery-failing')) },
        { reason: 'held', count: 1, url: uiListUrl(ui, stuckQuery('aftercare', 'held')) },
      ],
      newlyStuck: 4990,
      newest: ['order-1', 'order-2'],
      oldestSince: '2030-03-01T09:30:00Z',
      listUrl: uiListUrl(ui, stuckQuery('aftercare')),
    },
  };
  const brand = { name: 'Test Shop', sender: 'Test Shop <orders@test.example>', supportEmail: 'help@test.example' };
  const render = async (channel: 'email' | 'telegram', locale: string, d: object = data) =>
    (await createRenderer()).render({
      kind: 'operator_digest',
      channel,
      locale,
      fallbackLocale: 'en',
      brand,
      recipientName: brand.name,
      data: d as never,
    });

  it('says how many, why, how many are new, the oldest and the links, to the business', async () => {
    const email = await render('email', 'en');
    expect(email.subject).toBe('Stuck journeys: 5,001 (4,990 new)');
    expect(email.text).toContain('Stuck journeys: 5,001 (5,000 delivery-failing, 1 held).');
    expect(email.text).toContain('New since the last digest: 4,990, the newest order-1, order-2.');
    expect(email.text).toContain('The oldest has been stuck since Mar 1, 2030, 9:30');
    expect(email.text).toContain(`delivery-failing: ${data.digest.byReason[0]!.url}`);
    expect(email.text).toContain(`Open the stuck journeys in Temporal: ${data.digest.listUrl}`);
    // The button; Handlebars escapes "=" in the attribute.
    expect(email.html).toContain(`href="${data.digest.listUrl.replace(/=/g, '&#x3D;')}"`);
    // No order box, no "contact us" links to the business itself.
    expect(email.text).not.toContain('help@test.example');
    expect(email.text).not.toMatch(/^Order:/m);

    const telegram = await render('telegram', 'bn');
    expect(telegram.text).toMatch(/^Test Shop: আটকে থাকা জার্নি: ৫,০০১ \(৫,০০০ delivery-failing, ১ held\)।/);
    expect(telegram.text).toContain(`সব: ${data.digest.listUrl}`);
    expect(telegram.text).toContain(`held: ${data.digest.byReason[1]!.url}`);
  });

  it('refuses a digest without its counts', async () => {
    await expect(render('email', 'en', { orderId: '' })).rejects.toThrow(
      /"operator_digest" message needs data\.digest/,
    );
  });
});
