import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

/** Temporal's defaults: limit.userMetadataSummarySize and limit.userMetadataDetailsSize (server dynamic config). */
const SERVER_LIMITS = { summaryBytes: 400, detailsBytes: 20_000 };
const sizeOf = (p: temporal.api.common.v1.IPayload) => temporal.api.common.v1.Payload.encode(p).finish().length;

/** User text that reaches Temporal (summaries, details) is bounded in bytes, so no workflow task fails over it. */
let h: Harness;

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  h = await startHarness({
    playbook: parsePlaybook({ ...base, delays: { thankYou: '1s' }, followUps: { warranty: { leadTime: '7 days' } } }),
  });
});
afterAll(async () => {
  await h?.stop();
});

// 300 characters (the schema's limit per item name), 3 bytes each in UTF-8: 900 bytes a name.
const longName = (i: number) => `${i} ${'ওয়ারেন্টি'.repeat(40)}`.slice(0, 300);

describe('summaries and details', () => {
  it('stay within Temporal’s byte limits, however long the item names (warranty check-in timer)', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({
      sku: `W-${i}`,
      name: longName(i),
      quantity: 1,
      unitPrice: 10,
      warrantyMonths: 24,
    }));
    const order = sampleOrder({ items });
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    // The journey reaches its two-year wait for the warranty check-in, on a timer with a summary.
    const state = await eventually(
      async () => {
        const s = await h.aftercare.getOrderJourney(order.orderId);
        expect(s.next?.what).toContain('warranty check-in');
        return s;
      },
      { timeoutMs: 30_000 },
    );
    expect(state.followUps.find((f) => f.key === 'warranty-1')?.status).toBe('scheduled');
    const handle = h.client.workflow.getHandle(orderJourneyId(order.orderId));
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    // Every summary as stored (JSON, encrypted, with its metadata) within the server's limits. The dev server
    // here (1.29) defines these limits without enforcing them; newer servers fail the workflow task over them.
    const summaries = events.flatMap((e) => (e.userMetadata?.summary ? [sizeOf(e.userMetadata.summary)] : []));
    expect(summaries.length).toBeGreaterThan(3);
    expect(Math.max(...summaries)).toBeLessThanOrEqual(SERVER_LIMITS.summaryBytes);
    const timer = events.findLast((e) => e.timerStartedEventAttributes);
    expect(timer?.userMetadata?.summary).toBeTruthy();
    const started = events[0]!.userMetadata;
    expect(sizeOf(started!.summary!)).toBeLessThanOrEqual(SERVER_LIMITS.summaryBytes);
    expect(sizeOf(started!.details!)).toBeLessThanOrEqual(SERVER_LIMITS.detailsBytes);
    const d = await handle.describe();
    expect(d.status.name).toBe('RUNNING');
  }, 60_000);
});
