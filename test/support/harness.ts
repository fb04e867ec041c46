import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { FileOutbox, OutboxChannelAdapter } from '../../src/channels/outbox';
import type { ChannelAdapter } from '../../src/channels/types';
import type { TenantSenders } from '../../src/activities/delivery/send-message';
import { AftercareClient } from '../../src/client';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { createRenderer } from '../../src/messages/renderer';
import { loadPlaybook } from '../../src/playbook/load';
import { type Playbook } from '../../src/playbook/schema';
import { CHANNELS, type Channel } from '../../src/channels/types';
import { installTemporalRuntime } from '../../src/runtime';
import { dataConverterFor } from '../../src/temporal/codec';
import { createWorker, type AftercareWorker, type CreateWorkerOptions } from '../../src/worker';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789';
/** The subkeys the app derives from TEST_SECRET (links, contact keys, payload encryption). */
export const TEST_KEYS = deriveKeys(TEST_SECRET);
export const FAST_PLAYBOOK = path.resolve(__dirname, '..', 'playbook.fast.yaml');
export const testLogger = createLogger('silent');
// SDK logs at warn and above only, so test output stays readable.
installTemporalRuntime(createLogger('warn'));

let counter = 0;
export const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

export interface Harness {
  client: Client;
  aftercare: AftercareClient;
  playbook: Playbook;
  outbox: FileOutbox;
  taskQueue: string;
  worker: AftercareWorker;
  stop(): Promise<void>;
}

/**
 * A worker on its own task queue against the run's shared dev server, with the real activities:
 * channels default to a fresh file outbox; pass adapters (e.g. Resend against a fake server) to override.
 */
export async function startHarness(
  opts: {
    channels?: Partial<Record<Channel, ChannelAdapter>>;
    playbook?: Playbook;
    telegramBotUsername?: string;
    taskQueue?: string;
    /** Wraps the Temporal client the activities use (e.g. to make one kind of call fail). */
    activityClient?: (client: Client) => Client;
    /** The worker's start schedules what the playbook asks for (the stuck digest), as npm start does. */
    schedules?: true;
    /** WooCommerce stores to reconcile (with `schedules`: their schedules are made at the worker's start). */
    woocommerce?: CreateWorkerOptions['woocommerce'];
    /**
     * Other tenants' senders, as createServiceDeps builds them from AFTERCARE_TENANTS: their own email sender, and
     * the harness's channels where they give none.
     */
    tenants?: Record<string, Partial<TenantSenders>>;
    /** Another Temporal server than the run's shared one (e.g. one started with other dynamic config). */
    address?: string;
    /** The providers' rates (default: any rate the fakes take). */
    sendRates?: CreateWorkerOptions['sendRates'];
  } = {},
): Promise<Harness> {
  const address = opts.address ?? inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = opts.taskQueue ?? uniqueId('tq');
  const playbook = opts.playbook ?? loadPlaybook(FAST_PLAYBOOK);
  const outbox = new FileOutbox(mkdtempSync(path.join(os.tmpdir(), 'aftercare-outbox-')));
  const channels: Partial<Record<Channel, ChannelAdapter>> = {};
  for (const c of CHANNELS) channels[c] = (opts.channels?.[c] ?? new OutboxChannelAdapter(outbox, c)) as ChannelAdapter;

  const connection = await Connection.connect({ address });
  const dataConverter = dataConverterFor(TEST_KEYS.payloads);
  const client = new Client({ connection, namespace, dataConverter });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    dataConverter,
    // Fast enough for tests and scripts: the fakes take any rate.
    sendRates: opts.sendRates ?? { email: 1000, sms: 1000, telegram: 1000, whatsapp: 1000 },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...(opts.schedules ? { playbook, logger: testLogger } : {}),
    ...(opts.woocommerce ? { woocommerce: opts.woocommerce } : {}),
    activities: {
      renderer: await createRenderer(),
      channels,
      client: opts.activityClient ? opts.activityClient(client) : client,
      keys: TEST_KEYS,
      publicUrl: 'http://aftercare.test',
      telegramBotUsername: opts.telegramBotUsername,
      temporalUi: { baseUrl: 'http://temporal-ui.test', namespace },
      ...(opts.tenants
        ? {
            tenants: Object.fromEntries(
              Object.entries(opts.tenants).map(([id, t]) => [id, { ...t, channels: { ...channels, ...t.channels } }]),
            ),
          }
        : {}),
    },
  });
  const running = worker.run();
  return {
    client,
    aftercare: new AftercareClient({ client, playbook, taskQueue, outbox, keys: TEST_KEYS }),
    playbook,
    outbox,
    taskQueue,
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Polls until the check passes or the time runs out (journeys run on real timers). */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs = 20_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function sampleOrder(overrides: Record<string, unknown> = {}, customer: Record<string, unknown> = {}) {
  return {
    orderId: uniqueId('ord'),
    customer: {
      id: uniqueId('cus'),
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      locale: 'en',
      timeZone: 'Europe/London',
      ...customer,
    },
    items: [{ sku: 'MUG-1', name: 'Blue mug', quantity: 2, unitPrice: 12.5 }],
    currency: 'EUR',
    total: 25,
    ...overrides,
  };
}
