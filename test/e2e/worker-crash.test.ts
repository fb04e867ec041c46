import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { AftercareClient } from '../../src/client';
import { loadPlaybook } from '../../src/playbook/load';
import { dataConverterFor } from '../../src/temporal/codec';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  TEST_SECRET,
  uniqueId,
  type Harness,
} from '../support/harness';

let resend: FakeResend | undefined;
let h: Harness | undefined;
let child: ChildProcess | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  await h?.stop();
  await connection?.close();
  await resend?.close();
});

describe('a worker that dies mid-send', () => {
  it('loses nothing and sends nothing twice: another worker retries with the same idempotency key', async () => {
    resend = await startFakeResend();
    resend.setLatency(3_000); // the provider is still working on the email when the worker dies
    const taskQueue = uniqueId('crash');
    const options = {
      address: inject('temporalAddress'),
      namespace: inject('temporalNamespace'),
      taskQueue,
      bundlePath: inject('workflowBundlePath'),
      resend: { url: resend.url, apiKey: resend.apiKey },
      secret: TEST_SECRET,
    };
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', 'support', 'worker-process.ts'), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child = worker;
    let out = '';
    worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(async () => expect(out).toContain('worker ready'), { timeoutMs: 30_000 });

    connection = await Connection.connect({ address: options.address });
    const aftercare = new AftercareClient({
      client: new Client({
        connection,
        namespace: options.namespace,
        dataConverter: dataConverterFor(TEST_KEYS.payloads),
      }),
      playbook: loadPlaybook(FAST_PLAYBOOK),
      keys: TEST_KEYS,
      taskQueue,
    });
    const order = sampleOrder({}, { email: 'crash@example.com' });
    await aftercare.startOrderJourney(order);

    // The first send is at the provider: kill the worker there and then, without a chance to drain.
    await eventually(async () => expect(resend!.requests.filter((r) => r.method === 'POST')).toHaveLength(1), {
      timeoutMs: 20_000,
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;

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
