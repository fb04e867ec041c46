import path from 'node:path';
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app';
import { retryWithinDeadline } from './api/temporal-budget';
import { AftercareClient } from './client';
import { InboundCustomerSink } from './gateway/customers';
import { ReplyGateway } from './gateway/replies';
import { loadConfig, temporalAddressOf, type Config } from './config';
import { StuckGateway } from './gateway/stuck';
import { journeyLookup } from './shops/woocommerce/journeys';
import { webhookSecretsOf } from './shops/woocommerce/tenant';
import type { Keys } from './lib/keys';
import { resolveApiKey, resolveKeys } from './secrets';
import { createLogger, type Logger } from './logger';
import { createServiceDeps, type ServiceDeps } from './runtime';
import { dataConverterFor } from './temporal/codec';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { runMain } from './worker';

export interface StartApiOptions {
  config: Config;
  log: Logger;
  /**
   * The worker's NativeConnection when both run in one process (npm start): journeys then start eagerly, their
   * first task handed to this worker in the start's answer instead of through the task queue.
   */
  connection: ConnectionLike;
  /** `connection` is the NativeConnection of a worker running in this process. */
  sharedWithWorker?: boolean;
  deps: Pick<ServiceDeps, 'playbook' | 'outbox'> & Partial<Pick<ServiceDeps, 'tenants'>>;
  apiKey: string;
  keys: Keys;
  temporalUiUrl: string | undefined;
  /** The SDK's Prometheus endpoint of the worker in this process (npm start): /metrics appends it. */
  sdkMetricsUrl?: string;
}

const HEALTH_TIMEOUT_MS = 2_000;

/** `work`, or a rejection once `ms` have passed (the work itself is left to finish or fail unheard). */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startApi(opts: StartApiOptions): Promise<{ app: FastifyInstance; url: string }> {
  const { config } = opts;
  const client = new Client({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(opts.keys.payloads),
  });
  const aftercare = new AftercareClient({
    client,
    playbook: opts.deps.playbook,
    taskQueue: config.temporal.taskQueue,
    keys: opts.keys,
    eagerStart: opts.sharedWithWorker === true,
    otherTenants: (opts.deps.tenants ?? []).length > 0,
    ...(opts.deps.outbox ? { outbox: opts.deps.outbox } : {}),
  });
  // Each tenant of the tenants file: its own client (ids, visibility, counts), playbook and key.
  const tenants = (opts.deps.tenants ?? []).map((t) => ({
    client: new AftercareClient({
      client,
      playbook: t.playbook,
      taskQueue: config.temporal.taskQueue,
      keys: opts.keys,
      eagerStart: opts.sharedWithWorker === true,
      tenant: t.id,
      ...(opts.deps.outbox ? { outbox: opts.deps.outbox } : {}),
    }),
    apiKey: config.tenants.find((s) => s.id === t.id)!.apiKey,
  }));
  const tenantClient = (id: string) => tenants.find((t) => t.client.tenant === id)?.client;
  const app = await buildApp({
    aftercare,
    apiKey: opts.apiKey,
    tenants,
    // Configured (required outside development): /metrics and /docs answer only to operators.
    ...(config.api.operatorKey ? { operatorKey: config.api.operatorKey } : {}),
    logger: opts.log,
    // Bounded by its own clock too: the native connection (npm start) retries in Rust for up to ~10 s whatever the
    // deadline, and a load balancer's probe must hear "unreachable" within seconds. Only a read is abandoned.
    temporalHealth: () => within(HEALTH_TIMEOUT_MS, opts.connection.workflowService.getSystemInfo({})),
    temporalDeadline: (deadline, fn) => opts.connection.withDeadline(deadline, fn),
    outbox: opts.deps.outbox,
    inbound: {
      // A provider's STOP or bounce reaches the customer in every tenant the contact belongs to.
      sink: new InboundCustomerSink(client),
      // A customer's reply reaches the order it is about (or their profile), in whichever tenant they are.
      // An SMS to the deployment's own number never reaches a tenant with its own Twilio account (theirs text theirs).
      replies: new ReplyGateway(client, {
        contactsKey: opts.keys.contacts,
        ownSmsTenants: config.tenants.filter((t) => t.sms?.twilio).map((t) => t.id),
      }),
      customers: aftercare.customers,
      tenantProviders: Object.fromEntries(
        config.tenants.map((t) => [
          t.id,
          {
            ...(t.sms?.twilio ? { twilioAuthToken: t.sms.twilio.authToken } : {}),
            ...(t.email?.webhookSecret ? { resendWebhookSecret: t.email.webhookSecret } : {}),
            sink: new InboundCustomerSink(client, t.id),
            replies: new ReplyGateway(client, { contactsKey: opts.keys.contacts, tenant: t.id }),
          },
        ]),
      ),
      tenantPages: (id) => {
        const t = tenantClient(id);
        return t && { orders: t.orders, customers: t.customers, brandName: t.playbook.brand.name };
      },
      keys: opts.keys,
      publicUrl: config.api.publicUrl,
      brandName: opts.deps.playbook.brand.name,
      ...(config.sms.twilio ? { twilioAuthToken: config.sms.twilio.authToken } : {}),
      ...(config.email.webhookSecret ? { resendWebhookSecret: config.email.webhookSecret } : {}),
      ...(config.telegram.botToken && config.telegram.webhookSecret
        ? {
            telegram: {
              botToken: config.telegram.botToken,
              apiRoot: config.telegram.apiRoot,
              webhookSecret: config.telegram.webhookSecret,
            },
          }
        : {}),
      ...(config.whatsapp.appSecret && config.whatsapp.verifyToken
        ? { whatsapp: { appSecret: config.whatsapp.appSecret, verifyToken: config.whatsapp.verifyToken } }
        : {}),
      shopify: {
        secrets: config.shopify.webhookSecrets,
        orders: aftercare.orders,
        erasure: aftercare.erasure,
        playbook: opts.deps.playbook,
        forTenant: (id) => {
          const t = tenantClient(id);
          return t && { orders: t.orders, erasure: t.erasure, playbook: t.playbook };
        },
      },
      woocommerce: {
        secrets: webhookSecretsOf(config.woocommerce.tenants),
        orders: aftercare.orders,
        journeys: journeyLookup(client),
        playbook: opts.deps.playbook,
        forTenant: (id) => {
          const t = tenantClient(id);
          return t && { orders: t.orders, journeys: journeyLookup(client, id), playbook: t.playbook };
        },
      },
    },
    codec: {
      keyring: opts.keys.payloads,
      uiOrigin: new URL(opts.temporalUiUrl ?? config.temporal.uiUrl).origin,
      // Open only in development on this machine: bound to all interfaces, decryption would be the network's.
      requireAuth: config.env !== 'development' || !['127.0.0.1', 'localhost', '::1'].includes(config.api.host),
      operatorKey: config.api.operatorKey,
    },
    ...(opts.temporalUiUrl
      ? { temporalUi: { baseUrl: opts.temporalUiUrl, namespace: config.temporal.namespace } }
      : {}),
    metrics: {
      stuck: new StuckGateway(client, config.temporal.taskQueue),
      processMetrics: true,
      ...(opts.sdkMetricsUrl ? { sdkMetricsUrl: opts.sdkMetricsUrl } : {}),
    },
  });
  await app.listen({ host: config.api.host, port: config.api.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  return { app, url: `http://${config.api.host === '0.0.0.0' ? 'localhost' : config.api.host}:${port}` };
}

/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT). */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { pretty: config.env === 'development' });
  const address = temporalAddressOf(config);
  // The SDK's retries, ended by each request's deadline (src/api/temporal-budget.ts).
  const connection = await Connection.connect({ address, interceptors: [retryWithinDeadline()] });
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const deps = await createServiceDeps(config);
  const apiKey = resolveApiKey(config);
  const { app, url } = await startApi({
    config,
    log,
    connection,
    deps,
    apiKey: apiKey.value,
    keys: resolveKeys(config),
    temporalUiUrl: config.temporal.uiUrl,
  });
  log.info({ url, docs: `${url}/docs` }, 'API listening');
  // The key itself never goes to the log (logs are shipped and kept); it is in the file named here.
  if (apiKey.generated) log.info({ file: path.join(config.dataDir, 'dev-api-key') }, 'development API key generated');
  const stop = async () => {
    await app.close();
    await connection.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (require.main === module) runMain(main);
