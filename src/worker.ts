import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { ConfigError, loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { createServiceDeps, installTemporalRuntime } from './runtime';
import { resolveSecret } from './secrets';
import { ensureSearchAttributes } from './temporal/search-attributes';

export const workflowsPath = path.resolve(__dirname, 'workflows', 'index.ts');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Omit<ActivityDeps, 'taskQueue'>;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({ ...opts.activities, taskQueue: opts.taskQueue }),
    // Let in-flight sends finish on Ctrl-C instead of leaving them to time out and retry.
    shutdownGraceTime: '10s',
  });
}

/** `npm run worker`: the worker role alone, against TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT). */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { pretty: config.env === 'development' });
  installTemporalRuntime(log);
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
  const deps = await createServiceDeps(config);
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  await ensureSearchAttributes(clientConnection, config.temporal.namespace, log);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      renderer: deps.renderer,
      channels: deps.channels,
      emailFrom: config.email.from,
      client,
      secret: resolveSecret(config).value,
      publicUrl: config.api.publicUrl,
      telegramBotUsername: config.telegram.botUsername,
      temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    },
  });
  log.info({ address, taskQueue: config.temporal.taskQueue, providers: deps.providers }, 'worker running');
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling and drains in-flight tasks.
  await worker.run();
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
