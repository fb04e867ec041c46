import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FOLLOW_UP_STATS, STATS_SHARDS, statsShardId, statsWorkflowId } from '../../src/workflows/stats/contract';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, uniqueId, type Harness } from '../support/harness';
import { api, startInbound, type Inbound } from '../support/inbound';
import { loadPlaybook } from '../../src/playbook/load';

/** The right to erasure: DELETE /v1/customers/{id} leaves nothing of the customer but anonymous counts. */
let h: Harness;
let inbound: Inbound;

beforeAll(async () => {
  h = await startHarness({ playbook: loadPlaybook(FAST_PLAYBOOK) });
  inbound = await startInbound(h);
});
afterAll(async () => {
  await inbound?.close();
  await h?.stop();
});

const run = promisify(execFile);

/** What `temporal workflow list` prints for a visibility query (the operator's view of Temporal). */
async function cliList(query: string): Promise<string> {
  const cli = inject('temporalCli');
  const { stdout } = await run(cli, [
    'workflow',
    'list',
    '--address',
    inject('temporalAddress'),
    '--namespace',
    inject('temporalNamespace'),
    '--query',
    query,
    '--output',
    'json',
  ]);
  return stdout.trim();
}

const sent = (orderId: string, key = 'status-placed') =>
  eventually(async () => {
    const s = await h.aftercare.getOrderJourney(orderId);
    expect(s.messages.find((m) => m.key === key)?.status).toBe('sent');
  });

describe('DELETE /v1/customers/{id}', () => {
  it("stops and deletes the customer's journeys and lifecycle, purges their outbox, keeps anonymous counts", async () => {
    const customerId = uniqueId('erase');
    const first = sampleOrder({}, { id: customerId, name: 'Erin Erasable', email: 'erin@private.example' });
    const second = sampleOrder({}, { id: customerId, name: 'Erin Erasable', phone: '+447700900555' });
    const other = sampleOrder({}, { id: uniqueId('keep'), email: 'someone.else@example.com' });
    for (const o of [first, second, other]) await h.aftercare.startOrderJourney(o);
    for (const o of [first, second, other]) await sent(o.orderId);
    // One journey finishes, one is still running: both kinds go.
    await h.aftercare.advanceStage(first.orderId, { stage: 'delivered' });
    // Sent, so counted: a message still in flight when its journey is erased is not (nor was it before batching).
    await sent(first.orderId, 'status-delivered');
    const ours = new Set([orderJourneyId(first.orderId), orderJourneyId(second.orderId)]);
    expect((await h.outbox.list(1000)).filter((m) => ours.has(m.workflowId)).length).toBeGreaterThanOrEqual(2);
    // Lean journeys send their counts in batches (at their end, before long waits): some are still held.
    const countsBefore = (await h.aftercare.getStats()).totals.order_status?.sent ?? 0;

    const res = await api(inbound.app, 'DELETE', `/v1/customers/${customerId}`);
    expect(res.statusCode).toBe(200);
    const removed = res.json();
    expect(removed.customerId).toBe(customerId);
    expect(removed.orders).toEqual([first.orderId, second.orderId].sort());
    expect(removed.lifecycleRuns).toBeGreaterThanOrEqual(1);
    expect(removed.outboxRecords).toBeGreaterThanOrEqual(2);
    expect(removed.visibilityCleared).toBe(true);

    // Afterwards: 404 over the API, nothing in visibility, nothing in the outbox.
    expect((await api(inbound.app, 'GET', `/v1/customers/${customerId}`)).statusCode).toBe(404);
    expect((await api(inbound.app, 'GET', `/v1/orders/${first.orderId}`)).statusCode).toBe(404);
    expect((await api(inbound.app, 'GET', `/v1/orders/${second.orderId}`)).statusCode).toBe(404);
    const query = `AftercareCustomerId = "${customerId}" OR WorkflowId = "${customerLifecycleId(customerId)}"`;
    await eventually(async () => {
      const found = [];
      for await (const wf of h.client.workflow.list({ query })) found.push(wf.workflowId);
      expect(found).toEqual([]);
    });
    if (inject('temporalCli')) {
      // The CLI finds the other customer's journey (so an empty answer means something), and nothing of ours.
      const otherId = (other.customer as { id: string }).id;
      expect(await cliList(`AftercareCustomerId = "${otherId}"`)).toContain(orderJourneyId(other.orderId));
      const printed = await cliList(query);
      expect(printed).not.toContain(customerId);
      expect(printed).not.toContain(first.orderId);
    }
    await expect(h.client.workflow.getHandle(orderJourneyId(second.orderId)).describe()).rejects.toThrow();
    await expect(h.client.workflow.getHandle(customerLifecycleId(customerId)).describe()).rejects.toThrow();
    expect((await h.outbox.list(1000)).filter((m) => ours.has(m.workflowId))).toEqual([]);

    // Someone else's order is untouched; the counts stay, and the stats workflow holds no id of the customer's.
    expect((await h.aftercare.getOrderJourney(other.orderId)).orderId).toBe(other.orderId);
    // The erased journeys sent the counts they held before they went: two "placed" and one "delivered" stay.
    await eventually(async () => {
      const countsAfter = (await h.aftercare.getStats()).totals.order_status?.sent ?? 0;
      expect(countsAfter).toBeGreaterThanOrEqual(Math.max(3, countsBefore));
    });
    const shards = [
      statsWorkflowId(h.taskQueue),
      ...Array.from({ length: STATS_SHARDS }, (_, i) => statsShardId(h.taskQueue, i)),
    ];
    let signals = 0;
    for (const id of shards) {
      const stats = h.client.workflow.getHandle(id);
      const exists = await stats.describe().then(
        (d) => d.type === FOLLOW_UP_STATS,
        () => false,
      );
      if (!exists) continue;
      const decoded = JSON.stringify(await decodedSignals(id));
      signals += decoded.length;
      expect(decoded).not.toContain(first.orderId);
      expect(decoded).not.toContain(customerId);
    }
    expect(signals).toBeGreaterThan(0);
  });

  it('is idempotent: a second call removes nothing more and says so', async () => {
    const customerId = uniqueId('twice');
    const order = sampleOrder({}, { id: customerId });
    await h.aftercare.startOrderJourney(order);
    await sent(order.orderId);
    const firstCall = (await api(inbound.app, 'DELETE', `/v1/customers/${customerId}`)).json();
    expect(firstCall.orders).toEqual([order.orderId]);
    const again = await api(inbound.app, 'DELETE', `/v1/customers/${customerId}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({
      customerId,
      orders: [],
      lifecycleRuns: 0,
      outboxRecords: 0,
      visibilityCleared: true,
    });
    // An id that never existed: the same, nothing to remove. A malformed one: 422.
    expect((await api(inbound.app, 'DELETE', `/v1/customers/${uniqueId('never')}`)).json().orders).toEqual([]);
    expect((await api(inbound.app, 'DELETE', '/v1/customers/%20bad%20id')).statusCode).toBe(422);
  });
});

/** The stats workflow's count signals, decoded with the app's key: what an operator with the codec would see. */
async function decodedSignals(workflowId: string): Promise<unknown[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const converter = h.client.options.loadedDataConverter;
  const out: unknown[] = [];
  for (const e of history.events ?? []) {
    const payloads = e.workflowExecutionSignaledEventAttributes?.input?.payloads;
    if (!payloads) continue;
    const decoded = await converter.payloadCodecs.reduceRight(
      async (acc, codec) => codec.decode(await acc),
      Promise.resolve(payloads),
    );
    out.push(...decoded.map((p) => converter.payloadConverter.fromPayload(p)));
  }
  return out;
}
