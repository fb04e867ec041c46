/**
 * Worker Versioning operations (docs/workflow-versions.md, "Worker Versioning: deploying a new build"): what a
 * deployment runs, making a build current, and moving pinned customer lifecycles onto it. Used by
 * `npm run ops -- versions | promote | upgrade-lifecycles` and by the production-like stack after it starts workers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../logger';
import { CUSTOMER_LIFECYCLE } from '../workflows/customer/contract';
import { wakeForUpgradeSignal } from '../workflows/customer/upgrade';

const VersionStatus = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
const Drainage = temporal.api.enums.v1.VersionDrainageStatus;
const TaskQueueType = temporal.api.enums.v1.TaskQueueType;

/**
 * The first server release whose API tells a pinned run that a newer build is current
 * (`targetWorkerDeploymentVersionChanged`) and lets it continue as new onto it: go.temporal.io/api v1.62 (server
 * 1.31). Tested on 1.32.1; the CLI's dev server (1.29) pins a lifecycle to its first build for good.
 */
export const MIN_SERVER_FOR_VERSIONING = [1, 31] as const;

/** gRPC status codes the deployment calls answer with while a new version is still registering. */
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;

export type VersionStatusName = 'inactive' | 'created' | 'current' | 'ramping' | 'draining' | 'drained' | 'unknown';

export interface DeploymentVersionView {
  buildId: string;
  status: VersionStatusName;
  /** When the version first polled. */
  createdAt?: Date;
  /** Since when it is current (current versions only). */
  currentSince?: Date;
  /** Draining: pinned workflows still run on it; drained: none do, its workers can go (the server rechecks it every few minutes). */
  drainage?: 'draining' | 'drained';
  drainageCheckedAt?: Date;
}

export interface DeploymentView {
  deploymentName: string;
  /** The build new workflows (and auto-upgrade ones at their next task) run on; undefined: none yet. */
  current?: string;
  ramping?: { buildId: string; percentage: number };
  versions: DeploymentVersionView[];
}

/** To the millisecond: builds deployed within a second are still ordered (promote's rollback guard). */
const tsDate = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined =>
  ts?.seconds != null ? new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)) : undefined;

function statusName(status: number | null | undefined): VersionStatusName {
  switch (status) {
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE:
      return 'inactive';
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CREATED:
      return 'created';
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT:
      return 'current';
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING:
      return 'ramping';
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING:
      return 'draining';
    case VersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED:
      return 'drained';
    default:
      return 'unknown';
  }
}

/** A Connection, or a Client (both carry the workflow service). */
type WithWorkflowService = Pick<Connection, 'workflowService'>;

const grpcCode = (err: unknown) => (err as { code?: number } | null)?.code;

/**
 * Throws unless the server can move pinned lifecycles to a new build (MIN_SERVER_FOR_VERSIONING): on an older one
 * every lifecycle would stay on the build that started it, and that build's workers could never stop. A version
 * the server does not report as x.y.z (a cloud build) passes.
 */
export async function assertServerSupportsVersioning(connection: WithWorkflowService): Promise<void> {
  const { serverVersion } = await connection.workflowService.getSystemInfo({});
  const match = /^v?(\d+)\.(\d+)\./.exec(serverVersion ?? '');
  if (!match) return;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const [needMajor, needMinor] = MIN_SERVER_FOR_VERSIONING;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return;
  throw new Error(
    `Worker Versioning (AFTERCARE_DEPLOYMENT_NAME) needs Temporal server ${needMajor}.${needMinor} or later, and this one is ` +
      `${serverVersion}: older servers keep each customer lifecycle on the build that started it for good. Unset ` +
      'AFTERCARE_DEPLOYMENT_NAME and deploy with patches alone (docs/workflow-versions.md).',
  );
}

/** The deployment's versions, its current one and their drainage; undefined when no worker of it ever polled. */
export async function describeDeployment(
  connection: WithWorkflowService,
  namespace: string,
  deploymentName: string,
): Promise<DeploymentView | undefined> {
  let info;
  try {
    ({ workerDeploymentInfo: info } = await connection.workflowService.describeWorkerDeployment({
      namespace,
      deploymentName,
    }));
  } catch (err) {
    if (grpcCode(err) === GRPC_NOT_FOUND) return undefined;
    throw err;
  }
  const routing = info?.routingConfig;
  const current = routing?.currentDeploymentVersion?.buildId || undefined;
  const ramping = routing?.rampingDeploymentVersion?.buildId || undefined;
  return {
    deploymentName,
    ...(current ? { current } : {}),
    ...(ramping ? { ramping: { buildId: ramping, percentage: routing?.rampingVersionPercentage ?? 0 } } : {}),
    versions: (info?.versionSummaries ?? []).map((v) => {
      const drainage = v.drainageInfo?.status;
      const createdAt = tsDate(v.createTime);
      const currentSince = tsDate(v.currentSinceTime);
      const checkedAt = tsDate(v.drainageInfo?.lastCheckedTime);
      return {
        buildId: v.deploymentVersion?.buildId ?? '',
        status: statusName(v.status),
        ...(createdAt ? { createdAt } : {}),
        ...(currentSince ? { currentSince } : {}),
        ...(drainage === Drainage.VERSION_DRAINAGE_STATUS_DRAINING ? { drainage: 'draining' as const } : {}),
        ...(drainage === Drainage.VERSION_DRAINAGE_STATUS_DRAINED ? { drainage: 'drained' as const } : {}),
        ...(checkedAt ? { drainageCheckedAt: checkedAt } : {}),
      };
    }),
  };
}

/**
 * Makes `buildId` the deployment's current version: new workflows start on it and auto-upgrade ones (journeys)
 * move to it at their next task; pinned ones (lifecycles) stay where they are until they continue as new. A
 * version exists once one of its workers has polled, so this retries until then (`timeoutMs`). Idempotent.
 * Returns the build that was current before.
 */
export async function promoteBuild(
  connection: WithWorkflowService,
  namespace: string,
  deploymentName: string,
  buildId: string,
  opts: { timeoutMs?: number; identity?: string } = {},
): Promise<{ previousBuildId?: string }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    try {
      const response = await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName,
        buildId,
        ...(opts.identity ? { identity: opts.identity } : {}),
      });
      await waitUntilRouted(connection, namespace, deploymentName, buildId, deadline);
      const previous = response.previousDeploymentVersion?.buildId || undefined;
      return previous ? { previousBuildId: previous } : {};
    } catch (err) {
      // Not found / no pollers yet: the new workers have not polled (or the server not yet seen them).
      const retryable = grpcCode(err) === GRPC_NOT_FOUND || grpcCode(err) === GRPC_FAILED_PRECONDITION;
      if (!retryable || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/**
 * Waits until the version's workflow task queues route to it (the change reaches each task queue a moment after
 * the deployment takes it): a workflow task started before then would not yet see the newer build.
 */
async function waitUntilRouted(
  connection: WithWorkflowService,
  namespace: string,
  deploymentName: string,
  buildId: string,
  deadline: number,
): Promise<void> {
  const { versionTaskQueues } = await connection.workflowService.describeWorkerDeploymentVersion({
    namespace,
    deploymentVersion: { deploymentName, buildId },
  });
  const workflowQueues = versionTaskQueues.filter((q) => q.type === TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
  for (const queue of workflowQueues) {
    for (;;) {
      const { versioningInfo } = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: queue.name },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      if (versioningInfo?.currentDeploymentVersion?.buildId === buildId) break;
      if (Date.now() > deadline) throw new Error(`task queue ${queue.name} does not route to ${buildId} yet`);
      await sleep(100);
    }
  }
}

/** The visibility value of a version (`TemporalWorkerDeploymentVersion`). */
export const versionKey = (deploymentName: string, buildId: string) => `${deploymentName}:${buildId}`;

/** A string literal of the visibility query language. */
export const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Running customer lifecycles pinned to a version of the deployment other than `current`. */
export function pinnedLifecyclesQuery(deploymentName: string, current: string): string {
  return [
    `WorkflowType = ${quoted(CUSTOMER_LIFECYCLE)}`,
    `ExecutionStatus = 'Running'`,
    `TemporalWorkerDeployment = ${quoted(deploymentName)}`,
    `TemporalWorkflowVersioningBehavior = 'Pinned'`,
    `TemporalWorkerDeploymentVersion != ${quoted(versionKey(deploymentName, current))}`,
  ].join(' AND ');
}

/** Running workflows pinned to one version: what keeps it from draining. */
export async function countPinned(client: Client, deploymentName: string, buildId: string): Promise<number> {
  const { count } = await client.workflow.count(
    `TemporalWorkerDeploymentVersion = ${quoted(versionKey(deploymentName, buildId))} AND ` +
      `TemporalWorkflowVersioningBehavior = 'Pinned' AND ExecutionStatus = 'Running'`,
  );
  return count;
}

export interface UpgradeReport {
  current: string;
  /** Lifecycles signalled: each continues as new onto `current` at that workflow task. */
  woken: number;
  /** Runs that had already continued as new (or ended) by the time the signal went. */
  alreadyMoved: number;
}

/**
 * Wakes every customer lifecycle still pinned to an older build of the deployment, so each continues as new onto
 * the current build now rather than at its next order or timer. Costs up to 4 Actions a lifecycle: the signal and
 * the continue-as-new, then what any new run's first task does (it upserts its search attributes again and, with a
 * win-back or value change due, starts its timer again). Paced at `perSecond` signals: each is also a workflow
 * task on the old build's workers, which replay the run if it left their cache.
 */
export async function upgradeLifecycles(
  client: Client,
  deploymentName: string,
  opts: { perSecond?: number; dryRun?: boolean; onProgress?: (report: UpgradeReport) => void } = {},
): Promise<UpgradeReport & { pending?: number }> {
  const view = await describeDeployment(client, client.options.namespace, deploymentName);
  if (!view?.current) {
    throw new Error(`deployment "${deploymentName}" has no current version: promote a build first`);
  }
  await waitUntilRouted(client, client.options.namespace, deploymentName, view.current, Date.now() + 30_000);
  const query = pinnedLifecyclesQuery(deploymentName, view.current);
  if (opts.dryRun) {
    const { count } = await client.workflow.count(query);
    return { current: view.current, woken: 0, alreadyMoved: 0, pending: count };
  }
  const report: UpgradeReport = { current: view.current, woken: 0, alreadyMoved: 0 };
  const gapMs = 1000 / (opts.perSecond ?? 20);
  for await (const run of client.workflow.list({ query })) {
    const started = Date.now();
    try {
      // To this run only: one that has moved on already needs nothing, and its successor is on the current build.
      await client.workflow.getHandle(run.workflowId, run.runId).signal(wakeForUpgradeSignal);
      report.woken += 1;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      report.alreadyMoved += 1;
    }
    opts.onProgress?.(report);
    const wait = gapMs - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
  return report;
}

/**
 * A versioned worker gets no new workflows until its build is current: say so once it has polled (the deploy
 * promotes it: docs/workflow-versions.md). Never fails the worker.
 */
export function remindToPromote(
  connection: WithWorkflowService,
  namespace: string,
  version: { deploymentName: string; buildId: string },
  log: Logger,
): void {
  setTimeout(() => {
    describeDeployment(connection, namespace, version.deploymentName).then(
      (view) => {
        if (view?.current === version.buildId) return;
        log.warn(
          { deployment: version.deploymentName, buildId: version.buildId, current: view?.current ?? null },
          `build ${version.buildId} is not the current one: new workflows reach it once promoted (npm run ops -- promote ${version.buildId})`,
        );
      },
      (err: unknown) => log.warn({ err }, 'could not read the worker deployment'),
    );
  }, 10_000).unref();
}
