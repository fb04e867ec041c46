/**
 * The runbook's steps (docs/operators.md), as an operator types them, against the dev server. The outage and the
 * order that never moves are in operator-api.test.ts (`npm run ops -- retry | skip | cancel`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, inject } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { orderJourneyId, type OrderJourneyWorkflow } from '../../src/workflows/order/contract';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import { eventually, sampleOrder, startHarness, type Harness } from '../support/harness';

const run = promisify(execFile);
let resend: FakeResend;
let h: Harness;

beforeAll(async () => {
  resend = await startFakeResend();
  h = await startHarness({
    channels: { email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) },
  });
});
afterAll(async () => {
  await h?.stop();
  await resend?.close();
});
beforeEach(() => resend.reset());

const accepted = (orderId: string) =>
  resend.sent.filter((e) => e.idempotencyKey?.startsWith(`${orderJourneyId(orderId)}/`)).map((e) => e.idempotencyKey);

describe('the runbook', () => {
  it('a bad deploy: resetting a journey to its first workflow task re-runs it, and the sends stay idempotent', async () => {
    const cli = inject('temporalCli');
    expect(cli, 'the tests run on the Temporal CLI (npm run temporal:install)').not.toBe('');
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () => expect(accepted(order.orderId)).toHaveLength(2));
    const posts = () => resend.requests.filter((r) => r.method === 'POST').length;
    const before = posts();

    // The documented command: reset to before the bad code ran (here: the first workflow task).
    const { stdout } = await run(cli, [
      'workflow',
      'reset',
      '--address',
      inject('temporalAddress'),
      '--namespace',
      inject('temporalNamespace'),
      '--workflow-id',
      orderJourneyId(order.orderId),
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'bad deploy 2026-12-06',
      '--yes',
    ]);
    expect(stdout).toMatch(/Resetting workflow/);
    // The new run sends "placed" again (the stage update is re-applied): the provider sees the same keys and
    // answers with the first send; no customer gets a second copy.
    await eventually(async () => expect(posts()).toBeGreaterThan(before));
    await eventually(async () => {
      const state = await h.client.workflow
        .getHandle<OrderJourneyWorkflow>(orderJourneyId(order.orderId))
        .query('getJourney');
      expect((state as { messages: { key: string; status: string }[] }).messages.map((m) => [m.key, m.status])).toEqual(
        [
          ['status-placed', 'sent'],
          ['status-shipped', 'sent'],
        ],
      );
    });
    expect(accepted(order.orderId).sort()).toEqual(
      [
        `${orderJourneyId(order.orderId)}/status-placed/email`,
        `${orderJourneyId(order.orderId)}/status-shipped/email`,
      ].sort(),
    );
  });

  it('a customer asks to stop everything: one consent call, and no journey of theirs sends again', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await eventually(async () => expect(accepted(order.orderId)).toHaveLength(1));
    await h.aftercare.customers.setConsent(order.customer.id, {
      granted: false,
      channel: 'all',
      purpose: 'all',
      source: 'phone call',
    });
    for (const stage of ['shipped', 'delivered']) await h.aftercare.advanceStage(order.orderId, { stage });
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages.find((m) => m.key === 'status-delivered')?.status).toBe('skipped');
      return s;
    });
    expect(state.messages.find((m) => m.key === 'status-shipped')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('opted out of every message'),
    });
    expect(accepted(order.orderId)).toHaveLength(1);
  });
});
