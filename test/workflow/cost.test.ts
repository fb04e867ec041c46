import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { SEND_PRIORITY, sendQueueFor } from '../../src/workflows/task-queue';
import { countActions } from '../../scripts/bench/actions';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

/**
 * What a standard order costs in Temporal Actions (the bench's scenario: every stage, the business's own
 * 5-star answer, the follow-ups), pinned: a change that adds an Action per message fails here. And where its
 * sends go: the channel's rate-limited send queue, transactional before marketing.
 */
let h: Harness;

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  h = await startHarness({
    playbook: parsePlaybook({
      ...base,
      channels: ['email'],
      delays: { thankYou: '1s' },
      quietHours: { start: '00:00', end: '00:00' },
      frequencyCap: { max: 10, per: '1 day' },
      followUps: {
        survey: { after: '1s', reminderAfter: '1s', window: '2s', changeWindow: '1s', satisfiedAt: 4 },
        review: { url: 'https://reviews.example/shop', referralAfter: '1s' },
        offer: { after: '1s', discountPercent: 10 },
        warranty: { leadTime: '31 days' },
      },
    }),
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('a standard order', () => {
  it('costs at most 36 Actions (journey and lifecycle), and sends through the provider queue by priority', async () => {
    const order = sampleOrder({ items: [{ sku: 'S', name: 'Sofa', quantity: 1, unitPrice: 499, warrantyMonths: 1 }] });
    await h.aftercare.startOrderJourney(order);
    for (const stage of ['shipped', 'out_for_delivery', 'delivered']) {
      await h.aftercare.advanceStage(order.orderId, { stage });
    }
    await h.aftercare.submitFeedback(order.orderId, { rating: 5 });
    const journey = h.client.workflow.getHandle(orderJourneyId(order.orderId));
    await eventually(async () => expect((await journey.describe()).status.name).toBe('COMPLETED'), {
      timeoutMs: 30_000,
    });
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.messages.filter((m) => m.status === 'sent').map((m) => m.key)).toEqual([
      'status-placed',
      'status-shipped',
      'status-out_for_delivery',
      'status-delivered',
      'thank-you',
      'review',
      'offer',
      'referral',
      'warranty-1',
    ]);
    const events = (await journey.fetchHistory()).events ?? [];
    const ours = countActions(events);
    const lifecycle = countActions(
      (await h.client.workflow.getHandle(customerLifecycleId(order.customer.id)).fetchHistory()).events ?? [],
    );
    // No activity or update per transactional message, no activity per count: only marketing asks the lifecycle.
    expect(ours.byKind['activity:requestSendPermit']).toBe(3);
    expect(ours.byKind['activity:recordStat']).toBeUndefined();
    expect(ours.byKind['activity:sendMessage']).toBe(9);
    expect(ours.total + lifecycle.total).toBeLessThanOrEqual(36);

    // Each send on the email provider's queue; status and warranty first in line, marketing after.
    const scheduled = events.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a?.activityType?.name === 'sendMessage' ? [a] : [];
    });
    expect(new Set(scheduled.map((a) => a.taskQueue?.name))).toEqual(new Set([sendQueueFor(h.taskQueue, 'email')]));
    const priorities = scheduled.map((a) => a.priority?.priorityKey);
    expect(priorities.filter((p) => p === SEND_PRIORITY.marketing)).toHaveLength(3);
    expect(priorities.filter((p) => p === SEND_PRIORITY.transactional)).toHaveLength(6);
  }, 60_000);
});
