import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { orderInputSchema } from '../../src/schemas/orders';
import { ORDER_JOURNEY, orderJourneyId } from '../../src/workflows/order/contract';
import { STATS_SHARDS, statsShardId } from '../../src/workflows/stats/contract';
import { loadPlaybook } from '../../src/playbook/load';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

/**
 * Regression: recording the "sent" count used to share the send activity's retry scope, so a stats hiccup after
 * Twilio accepted a message failed the activity and sent the SMS again (Twilio has no idempotency key).
 */
let twilio: FakeTwilio;
let h: Harness;
let statFailures = 0;

/** A client whose signal-with-start to the stats workflow fails the first `n` times. */
function failingStats(client: Client, n: number): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      if (prop === 'signalWithStart') {
        return async (...args: Parameters<typeof target.signalWithStart>) => {
          if (args[0] === 'followUpStats' && statFailures < n) {
            statFailures += 1;
            throw new Error('stats workflow unavailable (injected)');
          }
          return target.signalWithStart(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(client, {
    get: (target, prop, receiver) => (prop === 'workflow' ? workflow : Reflect.get(target, prop, receiver)),
  });
}

beforeAll(async () => {
  twilio = await startFakeTwilio();
  const playbook = { ...loadPlaybook(FAST_PLAYBOOK), channels: ['sms' as const] };
  h = await startHarness({
    playbook,
    channels: {
      sms: new TwilioSmsAdapter({
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: '+15005550006',
        baseUrl: twilio.url,
      }) as ChannelAdapter,
    },
    activityClient: (client) => failingStats(client, 1),
  });
});
afterAll(async () => {
  await h?.stop();
  await twilio?.close();
});

describe('the "sent" count', () => {
  it('failing after Twilio accepted an SMS does not send it again, and is still counted once (journeys from before)', async () => {
    const phone = '+447700900777';
    const order = orderInputSchema.parse(sampleOrder({}, { email: undefined, phone }));
    // Started the way journeys were before the lean path: no customer snapshot, an activity per count.
    await h.client.workflow.start(ORDER_JOURNEY, {
      workflowId: orderJourneyId(order.orderId),
      taskQueue: h.taskQueue,
      args: [{ order, playbook: h.playbook, receivedAt: new Date().toISOString() }],
    });
    await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages[0]?.status).toBe('sent');
    });
    // Give a wrong retry every chance to happen before counting (the count's own activity runs after the send).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(statFailures).toBe(1);
    expect(twilio.sent.filter((m) => m.to === phone)).toHaveLength(1);
    await eventually(async () => {
      const stats = await h.aftercare.getStats();
      expect(stats.totals.order_status?.sent).toBe(1);
    });
    const d = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
    expect(d.status.name).toBe('RUNNING');
  });

  it('a lean journey counts outside every send: a failing stats shard re-sends nothing, and counts once', async () => {
    statFailures = 0;
    // The shards run from the worker's start; gone (terminated), a journey's batch starts its shard again through
    // an activity, whose first try fails here (injected).
    for (let i = 0; i < STATS_SHARDS; i++) {
      await h.client.workflow.getHandle(statsShardId(h.taskQueue, i)).terminate('test: a shard that is gone');
    }
    const phone = '+447700900778';
    const order = sampleOrder({}, { email: undefined, phone });
    await h.aftercare.startOrderJourney(order);
    for (const stage of ['shipped', 'out_for_delivery', 'delivered'])
      await h.aftercare.advanceStage(order.orderId, { stage });
    // The journey ends after the thank-you and sends its counts to a shard not running yet: the activity that
    // starts it fails once (injected), and is retried on its own.
    await eventually(
      async () => {
        const d = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
        expect(d.status.name).toBe('COMPLETED');
      },
      { timeoutMs: 30_000 },
    );
    expect(statFailures).toBe(1);
    const sent = twilio.sent.filter((m) => m.to === phone);
    expect(sent).toHaveLength(5); // placed, shipped, out for delivery, delivered, thank-you: each once
    await eventually(async () => {
      const stats = await h.aftercare.getStats();
      // The journey before this one counted its own "placed" (in the first stats workflow).
      expect(stats.totals.order_status?.sent).toBe(1 + 4);
      expect(stats.totals.thank_you?.sent).toBe(1);
    });
  }, 60_000);
});
