import { getHeapStatistics } from 'node:v8';
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type NativeConnection,
  type Logger as TemporalLogger,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { ensureStatsShards } from '../gateway/stats';
import { CHANNELS, type Channel } from '../channels/types';
import { sendQueueFor } from '../workflows/task-queue';
import { createActivities, type ActivityDeps } from '../activities';
import type { Logger } from '../logger';
import type { WooCommerceRestAccess } from '../shops/woocommerce/rest';
import { DEFAULT_RECONCILE_EVERY_MS } from '../shops/woocommerce/tenant';
import type { Playbook } from '../playbook/schema';
import { AftercareWorker } from './aftercare-worker';
import { bundleBuildId, bundleCodeOf, workflowsPath } from './workflow-build';
import { ensureStuckDigestSchedule } from './schedules';
import { assertServerSupportsVersioning } from './versioning';
import { ensureWooCommerceSchedules } from './woocommerce-schedules';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Omit<ActivityDeps, 'taskQueue'>;
  /**
   * `dataConverterFor(keys.payloads)`: encrypts what the worker writes to history. A prebuilt bundle
   * must have been built with its failureConverterPath.
   */
  dataConverter: DataConverter;
  /**
   * Workflows kept in memory (AFTERCARE_WORKFLOW_CACHE): journeys sleep for months, and one evicted costs only a
   * replay when it wakes; the SDK's default grows with the heap, and so would the worker's memory.
   */
  maxCachedWorkflows?: number;
  /**
   * Messages per second each channel's provider takes, across every worker (AFTERCARE_SEND_RATES): the send
   * queue of each channel is limited by the server to it.
   */
  sendRates: Record<Channel, number>;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Gets the bundler's report (a screenful of webpack output) at debug level; its warnings and errors
   * keep their level. Without it, only warnings and errors show, on stderr.
   */
  logger?: Logger;
  /**
   * The deployment's playbook: the worker's start makes the schedules it asks for (the operators' stuck digest)
   * match it. Absent (tests, scripts): no schedule is touched.
   */
  playbook?: Playbook;
  /**
   * The WooCommerce stores to reconcile (their REST access, for the activity) and how often; with the playbook, the
   * worker's start makes their schedules match (and removes those of stores no longer listed).
   */
  woocommerce?: { tenants: Record<string, WooCommerceRestAccess>; every: number; overlapMs?: number };
  /** The tenants file's tenants' playbooks (for their shops' orders), by tenant id. */
  tenantPlaybooks?: Record<string, Playbook>;
  /**
   * Worker Versioning (config.temporal.versioning): the worker polls as this version of the deployment; without a
   * build id, the workflow bundle's hash is the build id. Absent: unversioned.
   */
  versioning?: { deploymentName: string; buildId?: string | undefined };
}

export async function createWorker(opts: CreateWorkerOptions): Promise<AftercareWorker> {
  // Bundled here rather than by Worker.create, which would log webpack's output at info.
  const workflowBundle = opts.workflowBundle ?? {
    code: (
      await bundleWorkflowCode({
        workflowsPath,
        failureConverterPath: opts.dataConverter.failureConverterPath,
        logger: bundlerLogger(opts.logger),
      })
    ).code,
  };
  if (opts.versioning) await assertServerSupportsVersioning(opts.connection);
  const version = opts.versioning && {
    deploymentName: opts.versioning.deploymentName,
    buildId: opts.versioning.buildId ?? bundleBuildId(bundleCodeOf(workflowBundle)),
  };
  warnIfCacheOutgrowsHeap(opts.maxCachedWorkflows, opts.logger);
  // Lean journeys signal a stats shard directly: the shards run before the first journey does.
  await ensureStatsShards(opts.activities.client, opts.taskQueue);
  for (const tenant of Object.keys(opts.activities.tenants ?? {})) {
    await ensureStatsShards(opts.activities.client, opts.taskQueue, tenant);
  }
  if (opts.playbook) {
    await ensureStuckDigestSchedule(opts.activities.client, {
      taskQueue: opts.taskQueue,
      playbook: opts.playbook,
      log: opts.logger,
    });
  }
  if (opts.playbook) {
    await ensureWooCommerceSchedules(opts.activities.client, {
      taskQueue: opts.taskQueue,
      tenants: Object.keys(opts.woocommerce?.tenants ?? {}),
      every: opts.woocommerce?.every ?? DEFAULT_RECONCILE_EVERY_MS,
      ...(opts.woocommerce?.overlapMs !== undefined ? { overlapMs: opts.woocommerce.overlapMs } : {}),
      log: opts.logger,
    });
  }
  const activities = createActivities({
    ...opts.activities,
    taskQueue: opts.taskQueue,
    ...(opts.woocommerce && opts.playbook
      ? {
          woocommerce: {
            tenants: opts.woocommerce.tenants,
            playbook: opts.playbook,
            ...(opts.tenantPlaybooks ? { tenantPlaybooks: opts.tenantPlaybooks } : {}),
          },
        }
      : {}),
  });
  // Only the workflow worker is versioned. The send queues stay unversioned: a send scheduled by a workflow of any
  // version is taken by whichever process polls the channel's queue (sendMessage's input is a stable contract), and
  // each queue keeps one rate limit however many builds run during a deploy.
  const senders = await Promise.all(
    CHANNELS.map((channel) =>
      Worker.create({
        connection: opts.connection,
        namespace: opts.namespace,
        taskQueue: sendQueueFor(opts.taskQueue, channel),
        dataConverter: opts.dataConverter,
        activities: { sendMessage: activities.sendMessage },
        maxTaskQueueActivitiesPerSecond: opts.sendRates[channel],
        shutdownGraceTime: '10s',
      }),
    ),
  );
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle,
    dataConverter: opts.dataConverter,
    activities,
    // Let in-flight sends finish on Ctrl-C instead of leaving them to time out and retry.
    shutdownGraceTime: '10s',
    ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    // Journeys and the rest upgrade to the current version at their next task (patches keep them replaying); the
    // customer lifecycle is pinned (src/workflows/customer/lifecycle.ts) and moves on by continuing as new.
    ...(version
      ? {
          workerDeploymentOptions: {
            version,
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
          },
        }
      : {}),
  });
  return new AftercareWorker(main, senders, version);
}

/** Routine bundler output to debug; warnings and errors (webpack's details when bundling fails) as they are. */
function bundlerLogger(logger: Logger | undefined): TemporalLogger {
  if (!logger) return new DefaultLogger('WARN');
  const bundlerLog = logger.child({ component: 'bundler' });
  return new DefaultLogger('TRACE', ({ level, message, meta }) => {
    const fields = { ...meta };
    if (level === 'ERROR') bundlerLog.error(fields, message);
    else if (level === 'WARN') bundlerLog.warn(fields, message);
    else bundlerLog.debug(fields, message);
  });
}

/** A cached workflow holds about 0.35 MB of heap (measured by `npm run bench`); half the heap is left for the rest. */
const CACHED_WORKFLOW_MB = 0.35;

function warnIfCacheOutgrowsHeap(cache: number | undefined, logger: Logger | undefined): void {
  if (!cache || !logger) return;
  const heapMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  if (cache * CACHED_WORKFLOW_MB > heapMb / 2) {
    logger.warn(
      { workflowCache: cache, heapLimitMb: Math.round(heapMb) },
      `AFTERCARE_WORKFLOW_CACHE=${cache} needs about ${Math.round(cache * CACHED_WORKFLOW_MB * 2)} MB of heap: raise node's --max-old-space-size or lower the cache`,
    );
  }
}
