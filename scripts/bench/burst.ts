/**
 * Provider limits under a burst: 2,000 win-backs (marketing) land on the email provider's send queue at once,
 * which its rate limit drains over many seconds; a "shipped" message (transactional, higher priority) must not
 * wait behind them: its latency during the burst stays within 2× its idle latency.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { sendQueueFor } from '../../src/workflows/task-queue';
import type { SendMessageRequest } from '../../src/workflows/delivery/contract';
import type { BenchEnv } from './env';
import { APP_TASK_QUEUE } from './env';
import { ms, percentile, ratio, type Row } from './report';
import { benchId, Shop } from './shop';

const BURST_QUEUE = 'burst-bench';

function winback(i: number, tag: string): SendMessageRequest {
  const customerId = `burst-${tag}-${i}`;
  return {
    kind: 'winback',
    data: { winback: { code: `BACK-${i}`, discountPercent: 15, expiresAt: '2027-12-31T00:00:00Z', attempt: 1 } },
    idempotencyKey: `burst-${tag}/${i}/winback/email`,
    workflowId: `burst-${tag}`,
    customerId,
    messageKey: `winback-${i}`,
    purpose: 'marketing',
    channel: 'email',
    to: `${customerId}@example.com`,
    recipientName: 'Ada',
    fallbackLocale: 'en',
    brand: { name: "Dana's Shop", sender: "Dana's Shop <orders@shop.example>" },
  } as SendMessageRequest;
}

/** Stage update "shipped" → the email accepted by the provider, for an order already placed. */
async function shippedLatency(shop: Shop): Promise<number> {
  const order = await shop.place();
  await shop.waitForEmails(order.orderId, 1);
  await shop.stage(order.orderId, 'confirmed');
  await shop.waitForEmails(order.orderId, 2);
  const t0 = Date.now();
  await shop.stage(order.orderId, 'shipped');
  const emails = await shop.waitForEmails(order.orderId, 3, 120_000);
  return Date.parse(emails[2]!.createdAt) - t0;
}

export async function burst(env: BenchEnv, shop: Shop, size: number, samples: number): Promise<Row[]> {
  const idle: number[] = [];
  for (let i = 0; i < samples; i++) idle.push(await shippedLatency(shop));

  const connection = await NativeConnection.connect({ address: env.server.address });
  const worker = await Worker.create({
    connection,
    taskQueue: BURST_QUEUE,
    workflowsPath: require.resolve('./burst-workflow'),
    dataConverter: env.dataConverter,
  });
  const running = worker.run();
  const tag = benchId('b');
  const sentBefore = env.resend.sent.length;
  const handle = await env.client.workflow.start('sendBurst', {
    taskQueue: BURST_QUEUE,
    workflowId: `burst-${tag}`,
    args: [
      {
        queue: sendQueueFor(APP_TASK_QUEUE, 'email'),
        requests: Array.from({ length: size }, (_, i) => winback(i, tag)),
      },
    ],
  });
  // Let the backlog build, then ask for "shipped" while it drains.
  await new Promise((r) => setTimeout(r, 2_000));
  const during: number[] = [];
  let backlogAtEnd = 0;
  for (let i = 0; i < samples; i++) during.push(await shippedLatency(shop));
  backlogAtEnd = size - (env.resend.sent.length - sentBefore - samples * 3);
  const t0 = Date.now();
  await handle.result();
  const drainedIn = Date.now() - t0;
  worker.shutdown();
  await running;
  await connection.close();
  const idleP50 = percentile(idle, 50);
  return [
    {
      figure: `"shipped" email during a burst of ${size.toLocaleString('en')} win-backs on the rate-limited email queue: p50 / max (beside: idle p50)`,
      aftercare: `${ms(percentile(during, 50))} / ${ms(Math.max(...during))}`,
      floor: `${ms(idleP50)} idle`,
      ratio: ratio(Math.max(...during), idleP50),
    },
    {
      figure: 'the burst, still queued when the last "shipped" went / drained after that',
      aftercare: `${Math.max(0, backlogAtEnd)} win-backs / ${(drainedIn / 1000).toFixed(1)} s`,
      floor: '',
      ratio: '',
    },
  ];
}
