import { expect, it } from 'vitest';
import { CUSTOMER_LIFECYCLE, customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderInputSchema } from '../../src/schemas/orders';
import { ORDER_JOURNEY, orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, uniqueId } from '../support/harness';

/**
 * A worker asked to stop while a journey's send-permit activity waits on the customer's lifecycle: the
 * lifecycle's next workflow task may never come (here: nobody polls its task queue; in life: the stopping
 * worker itself no longer runs workflow tasks). The activity is cancelled after the grace time, and the
 * worker stops; the permit is asked again by the next worker, under the same update id.
 */
it('stops within its grace time while a send permit waits on an unresponsive lifecycle', async () => {
  const h = await startHarness();
  const customerId = uniqueId('stuck');
  // The customer's lifecycle exists, on a task queue no worker polls: updates to it wait forever.
  await h.client.workflow.start(CUSTOMER_LIFECYCLE, {
    workflowId: customerLifecycleId(customerId),
    taskQueue: `${h.taskQueue}-nobody`,
    args: [{ customerId }],
  });
  const order = orderInputSchema.parse(sampleOrder({}, { id: customerId }));
  // A journey that asks its lifecycle before every message (as journeys from before the lean path do; lean ones
  // ask before marketing messages).
  await h.client.workflow.start(ORDER_JOURNEY, {
    workflowId: orderJourneyId(order.orderId),
    taskQueue: h.taskQueue,
    args: [{ order, playbook: h.playbook, receivedAt: new Date().toISOString() }],
  });
  // The journey recorded the order (a signal) and now waits in requestSendPermit.
  await eventually(async () => {
    const d = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
    const pending = (d.raw.pendingActivities ?? []).map((a) => a.activityType?.name);
    expect(pending).toContain('requestSendPermit');
  });
  const started = Date.now();
  const stopped = await Promise.race([
    h.stop().then(() => 'stopped'),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 30_000)),
  ]);
  expect(stopped).toBe('stopped');
  expect(Date.now() - started).toBeLessThan(25_000);
  // Tidy up with a fresh connection: the harness's is closed.
  const other = await startHarness();
  await other.client.workflow.getHandle(customerLifecycleId(customerId)).terminate('test cleanup');
  await other.client.workflow.getHandle(orderJourneyId(order.orderId)).terminate('test cleanup');
  await other.stop();
}, 90_000);
