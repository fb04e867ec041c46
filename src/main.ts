import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { listLinks } from './ops/list-links';
import { createServiceDeps, tenantSendersOf, installTemporalRuntime, sdkMetricsBindAddress } from './runtime';
import { restTenantsOf } from './shops/woocommerce/tenant';
import { resolveApiKey, resolveKeys } from './secrets';
import { startApi } from './server';
import { dataConverterFor } from './temporal/codec';
import { freePort, startDevServer, type DevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { createWorker, runMain, waitUntilRunning } from './worker';

/**
 * `npm start`: the whole stack in one process tree: the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the worker and the HTTP API. Ctrl-C drains the worker, closes the API
 * and stops the server.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Pretty logs written synchronously, so that once flushed they are above the banner.
  const log = createLogger(config.logLevel, { pretty: config.env === 'development', sync: true });
  // The SDK's worker metrics on 127.0.0.1, merged into the API's /metrics.
  const { sdkMetricsUrl } = installTemporalRuntime(log, {
    metricsBindAddress: await sdkMetricsBindAddress(config.metrics.sdkPort),
  });

  // Known before the dev server starts, so its UI can be pointed at the API's codec endpoint.
  const apiPort = config.api.port === 0 ? await freePort() : config.api.port;
  const apiHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(config.api.host) ? 'localhost' : config.api.host;
  let devServer: DevServer | undefined;
  let address = config.temporal.address;
  let temporalUiUrl: string | undefined = config.temporal.uiUrl;
  if (!address) {
    devServer = await startDevServer({
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dbFile: path.join(config.dataDir, 'temporal.db'),
      cliPath: config.temporal.cliPath,
      cacheDir: config.system.cacheDir,
      env: config.system.childEnv,
      allowBuild: true,
      uiCodecEndpoint: `http://${apiHost}:${apiPort}/codec`,
      // Several tenants: their tasks carry fairness keys, which the matcher honours only with fairness on.
      ...(config.tenants.length > 0 ? { extraArgs: ['--dynamic-config-value', 'matching.enableFairness=true'] } : {}),
      log,
    });
    address = devServer.address;
    temporalUiUrl = devServer.uiUrl;
    // The banner says the same.
    log.debug({ source: devServer.source, binary: devServer.binary, address }, 'Temporal dev server started');
  }

  const deps = await createServiceDeps(config);
  const keys = resolveKeys(config);
  const dataConverter = dataConverterFor(keys.payloads);
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: nativeConnection,
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
      client: new Client({ connection, namespace: config.temporal.namespace, dataConverter }),
      keys,
      publicUrl: config.api.publicUrl,
      telegramBotUsername: config.telegram.botUsername,
      ...(temporalUiUrl ? { temporalUi: { baseUrl: temporalUiUrl, namespace: config.temporal.namespace } } : {}),
    },
    playbook: deps.playbook,
    woocommerce: { tenants: restTenantsOf(config.woocommerce.tenants), every: config.woocommerce.reconcileEvery },
    tenantPlaybooks: Object.fromEntries(deps.tenants.map((t) => [t.id, t.playbook])),
    logger: log,
  });
  const workerDone = worker.run();
  workerDone.catch(async (err: unknown) => {
    log.error({ err }, 'worker failed');
    await devServer?.stop();
    process.exit(1);
  });
  await waitUntilRunning(worker);
  const apiKey = resolveApiKey(config);
  const { app, url } = await startApi({
    config: { ...config, api: { ...config.api, port: apiPort } },
    log,
    connection: nativeConnection,
    sharedWithWorker: true,
    deps,
    apiKey: apiKey.value,
    keys,
    temporalUiUrl,
    sdkMetricsUrl,
  });

  const lines = [
    '',
    '  Aftercare is running',
    `  API            ${url}`,
    `  API docs       ${url}/docs`,
    `  Temporal UI    ${temporalUiUrl ?? '(see your Temporal deployment)'}`,
    `  Temporal       ${devServer ? `dev server at ${address}, binary from ${devServer.source}${devServer.binary ? ` (${devServer.binary})` : ''}` : `external server at ${address}`}`,
    `  Dev outbox     ${deps.outbox ? `${url}/outbox` : '(off: providers configured)'}`,
    // The key itself stays out of the output (terminals and CI logs keep it): it is in a file only you read.
    `  API key        ${apiKey.generated ? `development key: KEY=$(cat ${path.join(config.dataDir, 'dev-api-key')})` : 'from AFTERCARE_API_KEY'}`,
    `  Channels       ${Object.entries(deps.providers)
      .map(([c, p]) => `${c}: ${p}`)
      .join(', ')}`,
    `  Playbook       ${config.playbookPath}`,
    ...(config.tenants.length > 0
      ? [
          `  Tenants        default + ${config.tenants.map((t) => t.id).join(', ')} (AFTERCARE_TENANTS; docs/tenants.md)`,
        ]
      : []),
    // Ready-made lists for operators (docs/operators.md); `npm run ops -- links` prints them again.
    ...(temporalUiUrl
      ? [
          '  Operators      npm run ops -- stuck | show | retry | skip | cancel  (docs/operators.md)',
          ...listLinks(temporalUiUrl, config.temporal.namespace, new Date()).map(
            (l) => `    ${l.title.padEnd(27)} ${l.url}`,
          ),
        ]
      : []),
    '',
  ];
  // Last on screen: after every log line so far, including the worker's and the API's start-up lines.
  await flushLogs(log);
  process.stdout.write(`${lines.join('\n')}\n`);

  let stoppingSince: number | undefined;
  const shutdown = async (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down: draining the worker');
    // The SDK's runtime also reacts to SIGINT/SIGTERM; shutdown() is idempotent.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await app.close();
    await workerDone;
    await nativeConnection.close();
    await connection.close();
    await devServer?.stop();
    log.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: npm and tsx relay Ctrl-C, so one press can arrive twice, and with no listener
  // left tsx would end the process mid-drain.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince === undefined) {
      stoppingSince = Date.now();
      void shutdown(signal);
    } else if (Date.now() - stoppingSince > 1000) {
      // A second Ctrl-C, not the first one relayed again by npm or tsx (that arrives within ms).
      log.warn({ signal }, 'stopping without waiting for the worker to drain');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Resolves once every line logged so far is written, in development (pretty, sync). For JSON
 * logs (production) flush() returns at once: a write still in flight could, rarely, follow the banner.
 */
async function flushLogs(log: Logger): Promise<void> {
  // The SDK holds its own log lines ("Worker state changed") for ~100 ms to sort them by time.
  Runtime.instance().flushLogs();
  await new Promise<void>((resolve) => log.flush(() => resolve()));
}

runMain(main);
