/**
 * A Worker Versioning deployment for a test file: the production server (full-temporal-server.ts), a client, an
 * outbox, and builds of Aftercare's workers started under one deployment name on one task queue, each build on its
 * own connection as each is its own process in production. Build A is the run's shared bundle; build B is
 * workflows-build-b.ts. With the history helpers the versioning tests read.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { FileOutbox, OutboxChannelAdapter } from '../../src/channels/outbox';
import { CHANNELS, type Channel, type ChannelAdapter } from '../../src/channels/types';
import { AftercareClient } from '../../src/client';
import { createRenderer } from '../../src/messages/renderer';
import { loadPlaybook } from '../../src/playbook/load';
import { dataConverterFor, failureConverterPath } from '../../src/temporal/codec';
import { createWorker, type AftercareWorker } from '../../src/worker';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { startFullTemporalServer, type FullTemporalServer } from './full-temporal-server';
import { FAST_PLAYBOOK, TEST_KEYS, TEST_SECRET, uniqueId } from './harness';

/** The server rechecks a draining version's pinned workflows every 3 minutes by default: 2 s for tests. */
export const FAST_DRAINAGE = [
  'matching.wv.VersionDrainageStatusRefreshInterval:',
  '  - value: 2s',
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod:',
  '  - value: 2s',
].join('\n');

export interface VersionedDeployment {
  server: FullTemporalServer;
  connection: Connection;
  client: Client;
  aftercare: AftercareClient;
  outbox: FileOutbox;
  deploymentName: string;
  /** Starts one build's workers (they poll as a new version; nothing reaches them until it is current). */
  startBuild(workflowBundle: { code: string } | { codePath: string }): Promise<AftercareWorker>;
  /** Keys of the messages sent for an order, oldest first. */
  sentKeys(orderId: string): Promise<string[]>;
  /** The environment `runOps` reads, as an operator's shell would set it for this deployment. */
  opsEnv(): Record<string, string>;
  stop(): Promise<void>;
}

export const buildABundle = () => ({ codePath: inject('workflowBundlePath') });

/** Build B's bundle (test/support/workflows-build-b.ts): its own code, so its own build id. */
export async function buildBBundle(): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, 'workflows-build-b.ts'),
    failureConverterPath,
    logger: new DefaultLogger('WARN'),
  });
  return { code };
}

export async function startVersionedDeployment(
  opts: { name?: string; extraDynamicConfig?: string } = {},
): Promise<VersionedDeployment> {
  const server = await startFullTemporalServer(
    opts.extraDynamicConfig ? { extraDynamicConfig: opts.extraDynamicConfig } : {},
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({
    connection,
    namespace: server.namespace,
    dataConverter: dataConverterFor(TEST_KEYS.payloads),
  });
  const outbox = new FileOutbox(mkdtempSync(path.join(os.tmpdir(), 'aftercare-outbox-')));
  const deploymentName = uniqueId(opts.name ?? 'aftercare-wv');
  const taskQueue = uniqueId('tq-wv');
  const aftercare = new AftercareClient({
    client,
    playbook: loadPlaybook(FAST_PLAYBOOK),
    taskQueue,
    outbox,
    keys: TEST_KEYS,
  });
  const running: { worker: AftercareWorker; done: Promise<void> }[] = [];

  const startBuild = async (workflowBundle: { code: string } | { codePath: string }) => {
    const channels: Partial<Record<Channel, ChannelAdapter>> = {};
    for (const c of CHANNELS) channels[c] = new OutboxChannelAdapter(outbox, c) as ChannelAdapter;
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      dataConverter: dataConverterFor(TEST_KEYS.payloads),
      sendRates: { email: 1000, sms: 1000, telegram: 1000, whatsapp: 1000 },
      workflowBundle,
      // No build id: each build's is its bundle's hash, as in production without AFTERCARE_BUILD_ID.
      versioning: { deploymentName },
      activities: {
        renderer: await createRenderer(),
        channels,
        client,
        keys: TEST_KEYS,
        publicUrl: 'http://aftercare.test',
        telegramBotUsername: undefined,
        temporalUi: { baseUrl: 'http://temporal-ui.test', namespace: server.namespace },
      },
    });
    running.push({ worker, done: worker.run().finally(() => nativeConnection.close()) });
    return worker;
  };

  return {
    server,
    connection,
    client,
    aftercare,
    outbox,
    deploymentName,
    startBuild,
    sentKeys: async (orderId) =>
      (await outbox.list())
        .filter((m) => m.workflowId === orderJourneyId(orderId))
        .reverse()
        .map((m) => m.messageKey),
    opsEnv: () => ({
      NODE_ENV: 'development',
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      AFTERCARE_DEPLOYMENT_NAME: deploymentName,
      AFTERCARE_SECRET: TEST_SECRET,
      AFTERCARE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'aftercare-ops-')),
    }),
    stop: async () => {
      for (const r of running) r.worker.shutdown();
      await Promise.all(running.map((r) => r.done));
      await connection.close();
      await server.stop();
    },
  };
}

/** A workflow's versioning behaviour and the build it runs on, as the server describes it. */
export async function versioningOf(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: decodeVersioningBehavior(info?.behavior), buildId: info?.deploymentVersion?.buildId };
}

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export function eventName(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
  return key ? key.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase()) : 'Unknown';
}

/** The ids of the patch markers in a history, in order. */
export function patchMarkers(events: HistoryEvent[]): string[] {
  return events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => {
      const id = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return id ? (JSON.parse(Buffer.from(id).toString()) as { id: string }).id : '?';
    });
}

/** The build of the worker that completed each workflow task. */
export function taskBuilds(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    const build = e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
    return build ? [build] : [];
  });
}
