import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { loadPlaybook } from '../../src/playbook/load';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, uniqueId, type Harness } from '../support/harness';
import { aftercareClientOf, startWorkerProcess, type SpawnedWorker } from '../support/spawned-worker';

let resend: FakeResend | undefined;
let h: Harness | undefined;
let worker: SpawnedWorker | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await worker?.killWithoutDrain();
  await h?.stop();
  await connection?.close();
  await resend?.close();
});

describe('a worker that dies mid-send', () => {
  it('loses nothing and sends nothing twice: another worker retries with the same idempotency key', async () => {
    resend = await startFakeResend();
    resend.setLatency(3_000); // the provider is still working on the email when the worker dies
    const taskQueue = uniqueId('crash');
    worker = await startWorkerProcess(taskQueue, { resend: { url: resend.url, apiKey: resend.apiKey } });

    connection = await Connection.connect({ address: worker.options.address });
    const aftercare = aftercareClientOf(worker, connection, loadPlaybook(FAST_PLAYBOOK));
    const order = sampleOrder({}, { email: 'crash@example.com' });
    await aftercare.startOrderJourney(order);

    // The first send is at the provider: kill the worker there and then, without a chance to drain.
    await eventually(async () => expect(resend!.requests.filter((r) => r.method === 'POST')).toHaveLength(1), {
      timeoutMs: 20_000,
    });
    await worker.killWithoutDrain();

    // Another worker takes over; the activity times out (startToClose 30 s) and is retried there.
    h = await startHarness({
      taskQueue,
      channels: { email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) },
    });
    const state = await eventually(
      async () => {
        const s = await aftercare.getOrderJourney(order.orderId);
        expect(s.messages[0]?.status).toBe('sent');
        return s;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const posts = resend.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers['idempotency-key']).toBe(`${`order-${order.orderId}`}/status-placed/email`);
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
    expect(resend.sent.filter((m) => m.to.includes('crash@example.com'))).toHaveLength(1);
    expect(state.messages[0]!.attempts).toEqual([
      expect.objectContaining({
        channel: 'email',
        outcome: 'sent',
        providerMessageId: resend.sent.find((m) => m.to.includes('crash@example.com'))!.id,
      }),
    ]);
  }, 120_000);
});
