import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startMetricsListener } from './api/metrics-listener';
import { ConfigError, loadConfig, temporalAddressOf } from './config';
import { StatsGateway } from './gateway/stats';
import { StuckGateway } from './gateway/stuck';
import { createLogger, type Logger } from './logger';
import { AftercareMetrics } from './metrics';
import { createServiceDeps, tenantSendersOf, installTemporalRuntime, sdkMetricsBindAddress } from './runtime';
import { resolveKeys } from './secrets';
import { dataConverterFor } from './temporal/codec';
import { createWorker } from './temporal/create-worker';
import { workflowsPath } from './temporal/workflow-build';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { remindToPromote } from './temporal/versioning';
import { restTenantsOf } from './shops/woocommerce/tenant';

// The worker's parts live in src/temporal/ (create-worker.ts, aftercare-worker.ts); importers keep using './worker'.
export { workflowsPath };
export { createWorker, type CreateWorkerOptions } from './temporal/create-worker';
export { AftercareWorker, waitUntilRunning } from './temporal/aftercare-worker';

/** `npm run worker`: the worker role alone, against TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT). */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { pretty: config.env === 'development' });
  const { sdkMetricsUrl } = installTemporalRuntime(log, {
    metricsBindAddress: await sdkMetricsBindAddress(config.metrics.sdkPort),
  });
  const address = temporalAddressOf(config);
  const deps = await createServiceDeps(config);
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  await ensureSearchAttributes(clientConnection, config.temporal.namespace, log);
  const keys = resolveKeys(config);
  const dataConverter = dataConverterFor(keys.payloads);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace, dataConverter });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxCachedWorkflows: config.temporal.workflowCache,
    sendRates: config.sendRates,
    dataConverter,
    activities: {
      renderer: deps.renderer,
      channels: deps.channels,
      emailFrom: config.email.from,
      tenants: tenantSendersOf(deps),
      client,
      keys,
      publicUrl: config.api.publicUrl,
      telegramBotUsername: config.telegram.botUsername,
      temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    },
    playbook: deps.playbook,
    woocommerce: { tenants: restTenantsOf(config.woocommerce.tenants), every: config.woocommerce.reconcileEvery },
    tenantPlaybooks: Object.fromEntries(deps.tenants.map((t) => [t.id, t.playbook])),
    logger: log,
    ...(config.temporal.versioning ? { versioning: config.temporal.versioning } : {}),
  });
  // This process has no API: its own /metrics (the same merge as the API's) when a port is configured.
  const listener = config.metrics.workerPort
    ? await startMetricsListener({
        metrics: new AftercareMetrics({
          stats: new StatsGateway(client, config.temporal.taskQueue),
          stuck: new StuckGateway(client, config.temporal.taskQueue),
          processMetrics: true,
          logger: log,
          ...(sdkMetricsUrl ? { sdkMetricsUrl } : {}),
        }),
        temporalHealth: async () => {
          await clientConnection.workflowService.getSystemInfo({});
        },
        operatorKey: config.api.operatorKey,
        host: config.api.host,
        port: config.metrics.workerPort,
        logger: log,
      })
    : undefined;
  log.info(
    {
      address,
      taskQueue: config.temporal.taskQueue,
      providers: deps.providers,
      metrics: listener?.url,
      ...(worker.version ? { deployment: worker.version.deploymentName, buildId: worker.version.buildId } : {}),
    },
    'worker running',
  );
  if (worker.version) remindToPromote(clientConnection, config.temporal.namespace, worker.version, log);
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling and drains in-flight tasks.
  await worker.run();
  await listener?.app.close();
  await connection.close();
  await clientConnection.close();
}

export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    // Config and playbook errors are for people: print them without a stack trace.
    const isForPeople = err instanceof ConfigError || (err instanceof Error && err.name === 'PlaybookError');
    console.error(isForPeople ? (err as Error).message : err);
    process.exit(1);
  });
}

if (require.main === module) runMain(main);

export type { Logger };
