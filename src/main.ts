import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { createServiceDeps, installTemporalRuntime } from './runtime';
import { resolveApiKey, resolveSecret } from './secrets';
import { startApi } from './server';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { createWorker, runMain } from './worker';

/**
 * `npm start`: the whole stack in one process tree: the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the worker and the HTTP API. Ctrl-C drains the worker, closes the API
 * and stops the server.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { pretty: config.env === 'development' });
  installTemporalRuntime(log);

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
      log,
    });
    address = devServer.address;
    temporalUiUrl = devServer.uiUrl;
    log.info({ source: devServer.source, binary: devServer.binary, address }, 'Temporal dev server started');
  }

  const deps = await createServiceDeps(config);
  const secret = resolveSecret(config).value;
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      renderer: deps.renderer,
      channels: deps.channels,
      emailFrom: config.email.from,
      client: new Client({ connection, namespace: config.temporal.namespace }),
      secret,
      publicUrl: config.api.publicUrl,
      telegramBotUsername: config.telegram.botUsername,
      ...(temporalUiUrl ? { temporalUi: { baseUrl: temporalUiUrl, namespace: config.temporal.namespace } } : {}),
    },
  });
  const workerDone = worker.run();
  const apiKey = resolveApiKey(config);
  const { app, url } = await startApi({ config, log, connection, deps, apiKey: apiKey.value, secret, temporalUiUrl });

  const lines = [
    '',
    '  Aftercare is running',
    `  API            ${url}`,
    `  API docs       ${url}/docs`,
    `  Temporal UI    ${temporalUiUrl ?? '(see your Temporal deployment)'}`,
    `  Temporal       ${devServer ? `dev server at ${address}, binary from ${devServer.source}${devServer.binary ? ` (${devServer.binary})` : ''}` : `external server at ${address}`}`,
    `  Dev outbox     ${deps.outbox ? `${url}/outbox` : '(off: providers configured)'}`,
    `  API key        ${apiKey.generated ? `${apiKey.value}  (development key, kept in ${path.join(config.dataDir, 'dev-api-key')})` : 'from AFTERCARE_API_KEY'}`,
    `  Channels       ${Object.entries(deps.providers)
      .map(([c, p]) => `${c}: ${p}`)
      .join(', ')}`,
    `  Playbook       ${config.playbookPath}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  workerDone.catch(async (err: unknown) => {
    log.error({ err }, 'worker failed');
    await devServer?.stop();
    process.exit(1);
  });
}

runMain(main);
