import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import { ORDER_SA, orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

/** While `held` is set, the activities' calls for a send permit wait (a lifecycle that does not answer). */
let held: Promise<void> | undefined;
let release: () => void = () => {};
function holdPermits() {
  held = new Promise((resolve) => {
    release = () => {
      held = undefined;
      resolve();
    };
  });
}

/** The activities' client, with executeUpdate for send permits waiting while permits are held. */
function withHeldPermits(client: Client): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      if (prop !== 'getHandle') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Client['workflow']['getHandle']>) => {
        const handle = target.getHandle(...args);
        return new Proxy(handle, {
          get(h, p, r) {
            if (p !== 'executeUpdate') return Reflect.get(h, p, r) as unknown;
            return async (def: { name: string }, opts: unknown) => {
              if (def.name === 'requestSendPermit' && held) await held;
              return (h.executeUpdate as (d: unknown, o: unknown) => Promise<unknown>)(def, opts);
            };
          },
        });
      };
    },
  });
  return new Proxy(client, { get: (c, p, r) => (p === 'workflow' ? workflow : (Reflect.get(c, p, r) as unknown)) });
}

let h: Harness;
beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as object;
  h = await startHarness({
    playbook: parsePlaybook({
      ...base,
      followUps: { offer: { after: '1s', discountPercent: 10 } },
      // No quiet hours: the offer goes as soon as the lifecycle answers.
      quietHours: { start: '00:00', end: '00:00' },
      delivery: { giveUpAfter: '2 minutes', lifecycleStuckAfter: '2s' },
    }),
    activityClient: withHeldPermits,
  });
});
afterAll(async () => {
  release();
  await h?.stop();
});

describe('a journey that cannot go on by itself', () => {
  it('marks itself waiting-on-lifecycle past the playbook threshold, and clears it once answered', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    holdPermits();
    for (const stage of ['shipped', 'delivered']) await h.aftercare.advanceStage(order.orderId, { stage });
    const handle = h.client.workflow.getHandle(orderJourneyId(order.orderId));
    await eventually(
      async () =>
        expect((await handle.describe()).typedSearchAttributes.get(ORDER_SA.stuck)).toBe('waiting-on-lifecycle'),
      { timeoutMs: 30_000 },
    );
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.stuck).toMatchObject({
      reason: 'waiting-on-lifecycle',
      detail: expect.stringContaining('a send permit for offer'),
      remedy: expect.stringContaining(`customer-${order.customer.id}`),
    });
    release();
    await eventually(
      async () => expect((await handle.describe()).typedSearchAttributes.get(ORDER_SA.stuck)).toBeUndefined(),
      { timeoutMs: 60_000 },
    );
    await eventually(
      async () =>
        expect((await h.aftercare.getOrderJourney(order.orderId)).messages.find((m) => m.key === 'offer')?.status).toBe(
          'sent',
        ),
      { timeoutMs: 60_000 },
    );
  }, 120_000);

  it('marks itself held when quiet hours hold a message longer than the playbook allows', async () => {
    const hour = new Date().getUTCHours();
    const at = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as object;
    const quiet = await startHarness({
      playbook: parsePlaybook({
        ...base,
        followUps: { offer: { after: '1s', discountPercent: 10 } },
        // Quiet hours from an hour ago to two hours from now, in the customer's zone (UTC): the offer waits hours.
        quietHours: { start: at(hour - 1), end: at(hour + 2) },
        delivery: { giveUpAfter: '2 minutes', heldStuckAfter: '2s' },
      }),
    });
    try {
      const order = sampleOrder({}, { timeZone: 'UTC' });
      await quiet.aftercare.startOrderJourney(order);
      for (const stage of ['shipped', 'delivered']) await quiet.aftercare.advanceStage(order.orderId, { stage });
      const handle = quiet.client.workflow.getHandle(orderJourneyId(order.orderId));
      await eventually(
        async () => expect((await handle.describe()).typedSearchAttributes.get(ORDER_SA.stuck)).toBe('held'),
        { timeoutMs: 30_000 },
      );
      const state = await quiet.aftercare.getOrderJourney(order.orderId);
      expect(state.stuck!.detail).toMatch(/quiet-hours before offer \(offer\): held for 2s so far, until /);
      expect(state.stuck!.remedy).toContain(`npm run ops -- wait ${order.orderId}`);
      // The operator decides the offer is not worth it: cancelling clears the mark.
      await quiet.aftercare.operations.act(order.orderId, { action: 'cancel', reason: 'no offers this season' });
      await eventually(async () =>
        expect((await handle.describe()).typedSearchAttributes.get(ORDER_SA.stuck)).toBeUndefined(),
      );
    } finally {
      await quiet.stop();
    }
  }, 120_000);
});
