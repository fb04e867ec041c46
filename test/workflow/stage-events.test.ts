import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

let plain: Harness;
let bursty: Harness;
beforeAll(async () => {
  plain = await startHarness();
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as { delays: object };
  bursty = await startHarness({
    playbook: parsePlaybook({ ...base, delays: { ...base.delays, thankYou: '1h', stageBurstWindow: '2s' } }),
  });
});
afterAll(async () => {
  await plain?.stop();
  await bursty?.stop();
});

const sentKeys = async (h: Harness, orderId: string) =>
  (await h.outbox.list())
    .filter((m) => m.workflowId === orderJourneyId(orderId))
    .map((m) => m.messageKey)
    .sort();
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('stage events with the time they happened', () => {
  it('acknowledge and ignore an update older than the current stage', async () => {
    const order = sampleOrder({ placedAt: ago(600_000) });
    await plain.aftercare.startOrderJourney(order);
    await plain.aftercare.advanceStage(order.orderId, { stage: 'shipped', occurredAt: ago(60_000) });
    // The shop's late "confirmed" (and a replayed "delivered" from before the shipment) change nothing.
    expect(await plain.aftercare.advanceStage(order.orderId, { stage: 'confirmed', occurredAt: ago(120_000) })).toEqual(
      {
        stage: 'shipped',
        status: 'active',
        stale: true,
      },
    );
    expect(
      await plain.aftercare.advanceStage(order.orderId, { stage: 'delivered', occurredAt: ago(90_000) }),
    ).toMatchObject({ stage: 'shipped', status: 'active', stale: true });
    // Without a time, or newer, it applies as before (and going back is still refused).
    await expect(plain.aftercare.advanceStage(order.orderId, { stage: 'confirmed' })).rejects.toThrow(
      /already at stage/,
    );
    expect(
      await plain.aftercare.advanceStage(order.orderId, { stage: 'out_for_delivery', occurredAt: ago(1000) }),
    ).toMatchObject({ stage: 'out_for_delivery' });
    const state = await plain.aftercare.getOrderJourney(order.orderId);
    expect(state.events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage)).toEqual([
      'placed',
      'shipped',
      'out_for_delivery',
    ]);
    await eventually(async () =>
      expect(await sentKeys(plain, order.orderId)).toEqual([
        'status-out_for_delivery',
        'status-placed',
        'status-shipped',
      ]),
    );
  });

  it('send one status message for stages that arrive within the playbook burst window', async () => {
    const order = sampleOrder();
    await bursty.aftercare.startOrderJourney(order);
    await eventually(async () => expect(await sentKeys(bursty, order.orderId)).toEqual(['status-placed']), {
      timeoutMs: 10_000,
    });
    await bursty.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await new Promise((r) => setTimeout(r, 800));
    await bursty.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    await eventually(async () =>
      expect(await sentKeys(bursty, order.orderId)).toEqual(['status-delivered', 'status-placed']),
    );
    const state = await bursty.aftercare.getOrderJourney(order.orderId);
    expect(state.messages.find((m) => m.key === 'status-shipped')).toMatchObject({
      status: 'skipped',
      reason: 'superseded by status-delivered within the burst window',
    });
  });
});
