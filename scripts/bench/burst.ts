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

interface Shipped {
  /** Stage update "shipped" → the email accepted by the provider. */
  total: number;
  /** Of that, the send's wait in the email queue: scheduled → handed to a sender (from the journey's history). */
  queued: number;
}

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** Stage update "shipped" → the email accepted by the provider, for an order already placed. */
async function shippedLatency(env: BenchEnv, shop: Shop): Promise<Shipped> {
  const order = await shop.place();
  await shop.waitForEmails(order.orderId, 1);
  await shop.stage(order.orderId, 'confirmed');
  await shop.waitForEmails(order.orderId, 2);
  const t0 = Date.now();
  await shop.stage(order.orderId, 'shipped');
  const emails = await shop.waitForEmails(order.orderId, 3, 120_000);
  const total = Date.parse(emails[2]!.createdAt) - t0;
  // The started event is written with the send's completion, a moment after the provider accepted it.
  let queued = NaN;
  for (let tries = 0; tries < 100 && Number.isNaN(queued); tries++) {
    const events = (await env.client.workflow.getHandle(`order-${order.orderId}`).fetchHistory()).events ?? [];
    const shipped = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendMessage',
    )[2];
    const started = events.find(
      (e) => shipped && Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(shipped.eventId),
    );
    if (shipped && started) queued = millis(started.eventTime) - millis(shipped.eventTime);
    else await new Promise((r) => setTimeout(r, 100));
  }
  return { total, queued };
}

export async function burst(
  env: BenchEnv,
  shop: Shop,
  size: number,
  samples: number,
  emailRate: number,
): Promise<Row[]> {
  // The email provider's limit, as AFTERCARE_SEND_RATES sets it (the other sections run with a limit the
  // fakes never reach).
  await env.app.restart({ AFTERCARE_SEND_RATES: `email=${emailRate},sms=100,telegram=100,whatsapp=100` });
  const idle: Shipped[] = [];
  for (let i = 0; i < samples; i++) idle.push(await shippedLatency(env, shop));

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
  const burstStarted = Date.now();
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
  const during: Shipped[] = [];
  let backlogAtEnd = 0;
  for (let i = 0; i < samples; i++) during.push(await shippedLatency(env, shop));
  const burstSent = env.resend.sent.length - sentBefore - samples * 3;
  backlogAtEnd = size - burstSent;
  const drainRate = burstSent / ((Date.now() - burstStarted) / 1000);
  // What is left of the burst is not measured: stop it rather than wait for the limit to drain it.
  await handle.terminate('bench: burst measured');
  worker.shutdown();
  await running;
  await connection.close();
  await env.app.restart();
  const p50 = (xs: Shipped[], k: keyof Shipped) =>
    percentile(
      xs.map((x) => x[k]),
      50,
    );
  const max = (xs: Shipped[], k: keyof Shipped) => Math.max(...xs.map((x) => x[k]));
  return [
    {
      figure: `"shipped" email during a burst of ${size.toLocaleString('en')} win-backs on the email queue (limit ${emailRate}/s): p50 / max (beside: idle p50 / max)`,
      aftercare: `${ms(p50(during, 'total'))} / ${ms(max(during, 'total'))}`,
      floor: `${ms(p50(idle, 'total'))} / ${ms(max(idle, 'total'))} idle`,
      ratio: `${ratio(p50(during, 'total'), p50(idle, 'total'))} (max ${ratio(max(during, 'total'), max(idle, 'total'))})`,
    },
    {
      figure: 'of which its wait in the email queue (scheduled → picked up): p50 / max, during and idle',
      aftercare: `${ms(p50(during, 'queued'))} / ${ms(max(during, 'queued'))}`,
      floor: `${ms(p50(idle, 'queued'))} / ${ms(max(idle, 'queued'))} idle`,
      ratio: '',
    },
    {
      figure: `the burst, still queued when the last "shipped" went / sent per second meanwhile (limit: ${emailRate}/s)`,
      aftercare: `${Math.max(0, backlogAtEnd)} win-backs / ${drainRate.toFixed(1)}/s`,
      floor: '',
      ratio: '',
    },
  ];
}
