import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceStageUpdate, orderJourneyId } from '../../src/workflows/order/contract';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../src/errors';
import type { orderJourney } from '../../src/workflows';
import { orderInputSchema } from '../../src/schemas/orders';
import { eventually, sampleOrder, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const messagesFor = async (orderId: string) =>
  (await h.outbox.list()).filter((m) => m.workflowId === orderJourneyId(orderId)).reverse();

describe('order journey', () => {
  it('sends a message at each notifying stage, an honest delay notice, and a thank-you after the last stage', async () => {
    const order = sampleOrder();
    const started = await h.aftercare.startOrderJourney(order);
    expect(started).toEqual({ orderId: order.orderId, workflowId: orderJourneyId(order.orderId), created: true });

    await eventually(async () =>
      expect((await messagesFor(order.orderId)).map((m) => m.messageKey)).toEqual(['status-placed']),
    );

    // "confirmed" does not notify in the test playbook.
    expect(await h.aftercare.advanceStage(order.orderId, { stage: 'confirmed' })).toEqual({
      stage: 'confirmed',
      status: 'active',
    });
    const eta = '2030-05-01T10:00:00Z';
    expect(
      await h.aftercare.advanceStage(order.orderId, { stage: 'shipped', note: 'Tracking: ZX-1', eta }),
    ).toMatchObject({
      stage: 'shipped',
      messageKey: 'status-shipped',
    });
    expect(
      await h.aftercare.advanceStage(order.orderId, {
        stage: 'delayed',
        reason: 'Storm at the depot',
        eta: '2030-05-03T10:00:00Z',
      }),
    ).toMatchObject({ stage: 'shipped', messageKey: 'delayed-1' });
    await h.aftercare.advanceStage(order.orderId, { stage: 'out_for_delivery' });
    const completed = await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    expect(completed).toEqual({ stage: 'delivered', status: 'completed', messageKey: 'status-delivered' });
    const completedAt = Date.now();

    const handle = h.client.workflow.getHandle<typeof orderJourney>(orderJourneyId(order.orderId));
    const result = await handle.result();
    expect(Date.now() - completedAt).toBeGreaterThanOrEqual(1_500); // thank-you waits the playbook's 2s

    const sent = await messagesFor(order.orderId);
    expect(sent.map((m) => [m.messageKey, m.kind, m.channel])).toEqual([
      ['status-placed', 'order_status', 'email'],
      ['status-shipped', 'order_status', 'email'],
      ['delayed-1', 'order_delayed', 'email'],
      ['status-out_for_delivery', 'order_status', 'email'],
      ['status-delivered', 'order_status', 'email'],
      ['thank-you', 'thank_you', 'email'],
    ]);
    const shipped = sent[1]!;
    expect(shipped.to).toBe('ada@example.com');
    expect(shipped.text).toContain('Tracking: ZX-1');
    expect(sent[2]!.text).toContain('Storm at the depot');
    expect(sent.every((m) => m.idempotencyKey === `${orderJourneyId(order.orderId)}/${m.messageKey}/email`)).toBe(true);

    expect(result.status).toBe('completed');
    expect(result.stage).toBe('delivered');
    expect(result.events.map((e) => (e.type === 'stage' ? e.stage : e.type))).toEqual([
      'placed',
      'confirmed',
      'shipped',
      'delayed',
      'out_for_delivery',
      'delivered',
    ]);
    expect(result.messages.every((m) => m.status === 'sent' && m.channel === 'email')).toBe(true);
    expect(result.next).toBeNull();

    // The journey stays readable after it completes.
    const state = await h.aftercare.getOrderJourney(order.orderId);
    expect(state.messages).toHaveLength(6);
  });

  it('reports what it waits for next, and until when', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const waiting = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.next?.what).toContain('confirmed');
      return s;
    });
    expect(waiting.next?.until).toBeUndefined();
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    const thanks = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.next?.what).toContain('thank-you');
      return s;
    });
    expect(Date.parse(thanks.next!.until!)).toBeGreaterThan(Date.now() - 1000);
    const described = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
    expect(described.typedSearchAttributes.get({ name: 'AftercareStage', type: 'KEYWORD' } as never)).toBe('delivered');
  });

  it('starts one journey per order, however often (or concurrently) the order is sent', async () => {
    const order = sampleOrder();
    const results = await Promise.all([1, 2, 3, 4].map(() => h.aftercare.startOrderJourney(order)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => !r.created)).toHaveLength(3);
    await expect(h.aftercare.startOrderJourney({ ...order, total: 99 })).rejects.toBeInstanceOf(ConflictError);

    const runs = await eventually(async () => {
      const found = [];
      for await (const wf of h.client.workflow.list({ query: `AftercareOrderId = "${order.orderId}"` })) found.push(wf);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(runs[0]!.workflowId).toBe(orderJourneyId(order.orderId));
  });

  it('rejects an unknown stage, a backwards stage and an unknown order, and changes nothing', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () => expect(await messagesFor(order.orderId)).toHaveLength(2));
    const before = await h.aftercare.getOrderJourney(order.orderId);

    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'teleported' })).rejects.toThrow(UnprocessableError);
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'teleported' })).rejects.toThrow(
      /unknown stage "teleported".*placed, confirmed/,
    );
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'confirmed' })).rejects.toThrow(ConflictError);
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'shipped' })).rejects.toThrow(
      /already at stage "shipped"/,
    );
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'delayed' })).rejects.toThrow(ValidationError);
    await expect(h.aftercare.advanceStage('no-such-order', { stage: 'shipped' })).rejects.toThrow(NotFoundError);
    await expect(h.aftercare.getOrderJourney('no-such-order')).rejects.toThrow(NotFoundError);

    const after = await h.aftercare.getOrderJourney(order.orderId);
    expect(after.events).toEqual(before.events);
    expect(after.stage).toBe('shipped');
    expect(await messagesFor(order.orderId)).toHaveLength(2);
    // Rejected updates leave no trace in the history either.
    const history = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates).toHaveLength(1);
  });

  it('refuses stage events after completion', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'problem', reason: 'late' })).rejects.toThrow(
      /already completed/,
    );
    await h.client.workflow.getHandle(orderJourneyId(order.orderId)).result();
    // Closed journey: still a 409 (not a 404), and the order cannot be started again.
    await expect(h.aftercare.advanceStage(order.orderId, { stage: 'problem', reason: 'late' })).rejects.toThrow(
      ConflictError,
    );
    expect((await h.aftercare.startOrderJourney(order)).created).toBe(false);
  });

  it('never starts a workflow from invalid input', async () => {
    const order = sampleOrder({}, { email: 'not-an-email', phone: '0711' });
    await expect(h.aftercare.startOrderJourney(order)).rejects.toMatchObject({
      details: expect.arrayContaining([
        { path: 'customer.email', message: 'must be a valid email address' },
        expect.objectContaining({ path: 'customer.phone' }),
      ]),
    });
    await expect(h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    await expect(h.aftercare.startOrderJourney(sampleOrder({ total: 10.005 }))).rejects.toThrow(ValidationError);
  });

  it('sends in the customer language, falling back to the playbook default', async () => {
    const bn = sampleOrder({}, { locale: 'bn' });
    const fr = sampleOrder({}, { locale: 'fr' });
    await h.aftercare.startOrderJourney(bn);
    await h.aftercare.startOrderJourney(fr);
    const [bnMsg] = await eventually(async () => {
      const m = await messagesFor(bn.orderId);
      expect(m).toHaveLength(1);
      return m;
    });
    const [frMsg] = await eventually(async () => {
      const m = await messagesFor(fr.orderId);
      expect(m).toHaveLength(1);
      return m;
    });
    expect(bnMsg!.locale).toBe('bn');
    expect(bnMsg!.text).toContain('অর্ডার');
    expect(frMsg!.locale).toBe('en');
  });
});

describe('a stage update that arrives with the start', () => {
  // A business that creates an order and moves it at once: the update can reach the journey in its very first
  // workflow task (update-with-start makes that certain), where its handler runs as soon as it is registered.
  const lean = (email: string) => ({
    addresses: [{ channel: 'email' as const, to: email, key: 'test-key' }],
    snapshot: { version: 1, consent: { marketing: { granted: null }, channels: {}, lastInboundAt: {} } },
  });
  for (const [path, customer] of [
    ['a lean journey', lean],
    ['a journey without a snapshot', undefined],
  ] as const) {
    it(`still tells "Order received" before "shipped" (${path})`, async () => {
      const order = orderInputSchema.parse(sampleOrder());
      const workflowId = orderJourneyId(order.orderId);
      const start = new WithStartWorkflowOperation<typeof orderJourney>('orderJourney', {
        workflowId,
        taskQueue: h.taskQueue,
        workflowIdConflictPolicy: 'FAIL',
        args: [
          {
            order,
            playbook: h.playbook,
            receivedAt: new Date().toISOString(),
            ...(customer ? { customer: customer(order.customer.email!) } : {}),
          },
        ],
      });
      await h.client.workflow.executeUpdateWithStart(advanceStageUpdate, {
        args: [{ stage: 'shipped' }],
        startWorkflowOperation: start,
      });
      await eventually(async () =>
        expect((await messagesFor(order.orderId)).map((m) => m.messageKey)).toEqual([
          'status-placed',
          'status-shipped',
        ]),
      );
    });
  }
});
