import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import type { Playbook } from '../../src/playbook/schema';
import {
  cancelFollowUpsUpdate,
  changeWaitUpdate,
  ORDER_SA,
  orderJourneyId,
  type OrderJourneyWorkflow,
  resendMessageUpdate,
  retryMessageUpdate,
  skipMessageUpdate,
} from '../../src/workflows/order/contract';
import { resendFailures, startFakeResend, type FakeResend } from '../fakes/resend-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

let resend: FakeResend;
let h: Harness;

/** The fast playbook with a send marked stuck after 2 s, an expected time on "shipped", and a long thank-you wait. */
function operatorPlaybook(): Playbook {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as { stages: { id: string }[] };
  return parsePlaybook({
    ...base,
    stages: base.stages.map((s) => (s.id === 'shipped' ? { ...s, expectedWithin: '2s' } : s)),
    delays: { thankYou: '1h' },
    followUps: { survey: { after: '1h', reminderAfter: '1h', window: '2h', changeWindow: '5s', satisfiedAt: 4 } },
    delivery: { giveUpAfter: '10 minutes', stuckAfter: '2s' },
  });
}

beforeAll(async () => {
  resend = await startFakeResend();
  h = await startHarness({
    playbook: operatorPlaybook(),
    channels: { email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) },
  });
});
afterAll(async () => {
  await h?.stop();
  await resend?.close();
});
beforeEach(() => resend.reset());

const emailsTo = (orderId: string) =>
  resend.requests.filter(
    (r) => r.method === 'POST' && String(r.headers['idempotency-key'] ?? '').startsWith(orderJourneyId(orderId)),
  );
const accepted = (orderId: string) =>
  resend.sent.filter((e) => e.idempotencyKey?.startsWith(`${orderJourneyId(orderId)}/`));

/** An update the journey's validator rejected: its reason is the failure's cause. */
async function rejected(update: Promise<unknown>): Promise<string> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e as { cause?: { message?: string } },
  );
  expect(err, 'the update should have been rejected').toBeDefined();
  return err?.cause?.message ?? '';
}

async function stuckOf(orderId: string) {
  const description = await h.client.workflow.getHandle(orderJourneyId(orderId)).describe();
  return {
    reason: description.typedSearchAttributes.get(ORDER_SA.stuck),
    since: description.typedSearchAttributes.get(ORDER_SA.stuckSince),
  };
}

describe('a journey an operator can find and fix', () => {
  it('marks itself stuck while a send fails past the playbook threshold; retry now sends once and clears it', async () => {
    resend.failNext(1000, resendFailures.serverError());
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const handle = h.client.workflow.getHandle(orderJourneyId(order.orderId));
    await eventually(async () => expect((await stuckOf(order.orderId)).reason).toBe('delivery-failing'), {
      timeoutMs: 30_000,
    });
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.stuck).toMatchObject({ reason: 'delivery-failing' });
    expect(state.stuck!.detail).toContain('TransientDeliveryFailure');
    expect(state.stuck!.remedy).toContain(`npm run ops -- retry ${order.orderId}`);
    expect(state.stuck!.detail).toMatch(/still failing after 2s/);

    // The provider recovers; the journey's next retry is far away (backoff): the operator retries now.
    resend.reset();
    const result = await handle.executeUpdate(retryMessageUpdate, {
      args: [{ reason: 'Resend is back' }],
      updateId: 'op-retry-1',
    });
    expect(result).toMatchObject({ action: 'retry', messageKey: 'status-placed' });
    // The same request again (same update id) is the same action: one event, one email.
    await handle.executeUpdate(retryMessageUpdate, { args: [{ reason: 'Resend is back' }], updateId: 'op-retry-1' });
    await eventually(async () => expect(accepted(order.orderId)).toHaveLength(1), { timeoutMs: 10_000 });
    await eventually(async () => expect((await stuckOf(order.orderId)).reason).toBeUndefined());
    const after = await h.aftercare.getOrderJourney(order.orderId);
    expect(after.stuck).toBeUndefined();
    expect(after.messages.find((m) => m.key === 'status-placed')?.status).toBe('sent');
    expect(after.events.filter((e) => e.type === 'operator')).toEqual([
      expect.objectContaining({ action: 'retry', messageKey: 'status-placed', reason: 'Resend is back' }),
    ]);
    // Nothing is being sent now: a retry has nothing to act on, and says so.
    expect(await rejected(handle.executeUpdate(retryMessageUpdate, { args: [{}] }))).toMatch(/sending nothing now/);
  });

  it('skips a failing message on request, recorded with the reason, and goes on', async () => {
    resend.failNext(1000, resendFailures.serverError());
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const handle = h.client.workflow.getHandle(orderJourneyId(order.orderId));
    await eventually(async () => expect(emailsTo(order.orderId).length).toBeGreaterThan(0));
    expect(await rejected(handle.executeUpdate(skipMessageUpdate, { args: [{ reason: '' }] }))).toMatch(/say why/);
    await handle.executeUpdate(skipMessageUpdate, { args: [{ reason: 'customer called, told by phone' }] });
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages.find((m) => m.key === 'status-placed')?.status).toBe('skipped');
      return s;
    });
    expect(state.messages[0]!.reason).toBe('skipped by an operator: customer called, told by phone');
    expect(state.next?.what).toMatch(/stage update/);
  });

  it('marks a stage overdue past its expected time, and clears it when the update comes', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'confirmed' });
    await eventually(async () => expect((await stuckOf(order.orderId)).reason).toBe('stage-overdue'), {
      timeoutMs: 15_000,
    });
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.stuck!.detail).toMatch(/no "shipped" update since "confirmed".*expected within 2s/);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () => expect((await stuckOf(order.orderId)).reason).toBeUndefined());
  });

  it('moves a wait, re-sends a sent message under a new key, and cancels what remains, keeping the record', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const handle = h.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(order.orderId));
    for (const stage of ['confirmed', 'shipped', 'out_for_delivery', 'delivered'])
      await h.aftercare.advanceStage(order.orderId, { stage });
    await eventually(async () =>
      expect((await h.aftercare.getOrderJourney(order.orderId)).next?.what).toMatch(/thank-you/),
    );

    // Re-send "shipped" deliberately: a second email under a new idempotency key.
    const resent = await handle.executeUpdate(resendMessageUpdate, {
      args: [{ messageKey: 'status-shipped', reason: 'customer says it never arrived' }],
    });
    expect(resent.outcome).toMatch(/re-sent as status-shipped~resend-1: sent/);
    const keys = emailsTo(order.orderId).map((r) => r.headers['idempotency-key']);
    expect(keys).toContain(`${orderJourneyId(order.orderId)}/status-shipped/email`);
    expect(keys).toContain(`${orderJourneyId(order.orderId)}/status-shipped~resend-1/email`);
    expect(
      await rejected(handle.executeUpdate(resendMessageUpdate, { args: [{ messageKey: 'nope', reason: 'x' }] })),
    ).toMatch(/has no message "nope"/);

    // The thank-you waits an hour: the operator brings it forward to now.
    await handle.executeUpdate(changeWaitUpdate, { args: [{ until: new Date().toISOString(), reason: 'VIP' }] });
    await eventually(async () =>
      expect(accepted(order.orderId).some((e) => e.subject.toLowerCase().includes('thank'))).toBe(true),
    );

    // The survey waits; the operator cancels everything that remains.
    await eventually(async () =>
      expect((await h.aftercare.getOrderJourney(order.orderId)).next?.what).toMatch(/survey/),
    );
    const sentBefore = accepted(order.orderId).length;
    const cancelled = await handle.executeUpdate(cancelFollowUpsUpdate, { args: [{ reason: 'customer asked' }] });
    expect(cancelled.outcome).toMatch(/^cancelled/);
    const final = await handle.result();
    expect(final.status).toBe('cancelled');
    expect(final.cancelledAt).toBeDefined();
    expect(final.followUps.filter((f) => f.status === 'scheduled')).toEqual([]);
    expect(final.events.filter((e) => e.type === 'operator').map((e) => (e as { action: string }).action)).toEqual([
      'resend',
      'change-wait',
      'cancel',
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(accepted(order.orderId)).toHaveLength(sentBefore);
  });
});
