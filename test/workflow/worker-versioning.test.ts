import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { runOps } from '../../src/ops/cli';
import { dataConverterFor } from '../../src/temporal/codec';
import { describeDeployment, promoteBuild } from '../../src/temporal/versioning';
import { createWorker } from '../../src/worker';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import type { orderJourney } from '../../src/workflows';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, TEST_KEYS, uniqueId } from '../support/harness';
import {
  buildABundle,
  buildBBundle,
  eventName,
  FAST_DRAINAGE,
  patchMarkers,
  startVersionedDeployment,
  taskBuilds,
  versioningOf,
  type VersionedDeployment,
} from '../support/versioned-deployment';
import { BUILD_B_PATCH } from '../support/workflows-build-b';

/**
 * A deploy under Worker Versioning, against the production server (1.32: the CLI's dev server, 1.29, cannot move
 * a pinned run to a new build). Build A is today's workflows; build B changes the order journey behind a patch.
 * A journey started on A moves to B and finishes through the patch's old branch; a new journey takes the new one;
 * the customer lifecycle stays on A until it is woken, then continues as new onto B; A drains.
 */
let d: VersionedDeployment;
let buildB: string;

beforeAll(async () => {
  d = await startVersionedDeployment({ extraDynamicConfig: FAST_DRAINAGE });
}, 300_000);

afterAll(async () => {
  await d?.stop();
});

describe('Worker Versioning: a deploy of a changed workflow', () => {
  it('moves a running journey to the new build on the old path, new journeys on the new one, and the pinned lifecycle by continue-as-new', async () => {
    // Build A: today's workflows (the run's shared bundle), promoted as a deploy would.
    const a = await d.startBuild(buildABundle());
    const buildA = a.version!.buildId;
    expect(buildA).toMatch(/^bundle-[0-9a-f]{12}$/);
    // `ops promote` with no build id promotes this checkout's build: the one the worker computed from its bundle.
    const lines: string[] = [];
    expect(await runOps(['promote'], (l) => lines.push(l), d.opsEnv())).toBe(0);
    expect(lines.join('\n')).toContain(`${buildA} is the current build of "${d.deploymentName}".`);

    // Two customers' journeys start on A: one stays idle through the deploy, the other's moves on during it.
    const old = sampleOrder();
    const busy = sampleOrder();
    await d.aftercare.startOrderJourney(old);
    await d.aftercare.startOrderJourney(busy);
    await eventually(async () => expect(await d.sentKeys(old.orderId)).toEqual(['status-placed']));
    await eventually(async () => expect(await d.sentKeys(busy.orderId)).toEqual(['status-placed']));
    const busyLifecycle = d.client.workflow.getHandle(customerLifecycleId(busy.customer.id));
    expect(await versioningOf(busyLifecycle)).toEqual({ behavior: 'PINNED', buildId: buildA });
    const oldJourney = d.client.workflow.getHandle<typeof orderJourney>(orderJourneyId(old.orderId));
    const lifecycle = d.client.workflow.getHandle(customerLifecycleId(old.customer.id));
    expect(await versioningOf(oldJourney)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildA });
    expect(await versioningOf(lifecycle)).toEqual({ behavior: 'PINNED', buildId: buildA });
    const lifecycleRunOnA = (await lifecycle.describe()).runId;

    // Build B: the changed journey, its own build id by its own bundle; A keeps running for what is pinned to it.
    const b = await d.startBuild(await buildBBundle());
    buildB = b.version!.buildId;
    expect(buildB).not.toBe(buildA);
    // As the stack promotes a build once its workers poll.
    expect(await promoteBuild(d.connection, d.server.namespace, d.deploymentName, buildB)).toEqual({
      previousBuildId: buildA,
    });

    // A lifecycle moves at its next workflow task: the busy customer's order completes (its journey tells the
    // lifecycle), and the lifecycle continues as new onto B by itself.
    expect(await versioningOf(busyLifecycle)).toEqual({ behavior: 'PINNED', buildId: buildA });
    await d.aftercare.advanceStage(busy.orderId, { stage: 'delivered' });
    await eventually(async () =>
      expect(await versioningOf(busyLifecycle)).toEqual({ behavior: 'PINNED', buildId: buildB }),
    );
    expect((await d.aftercare.getCustomer(busy.customer.id)).orders[0]?.status).toBe('completed');

    // The idle lifecycle stays on A while nothing wakes it; the ops command wakes it (and only it, the one still on
    // A) and it continues as new onto B.
    expect(await versioningOf(lifecycle)).toEqual({ behavior: 'PINNED', buildId: buildA });
    lines.length = 0;
    expect(await runOps(['upgrade-lifecycles'], (l) => lines.push(l), d.opsEnv())).toBe(0);
    expect(lines.join('\n')).toContain(
      `Woke 1 lifecycle(s) pinned to an older build: each continues as new onto ${buildB}`,
    );
    const movedRun = await eventually(async () => {
      const described = await lifecycle.describe();
      expect(described.runId).not.toBe(lifecycleRunOnA);
      expect(await versioningOf(lifecycle)).toEqual({ behavior: 'PINNED', buildId: buildB });
      return described.runId;
    });
    const oldRun = d.client.workflow.getHandle(lifecycle.workflowId, lifecycleRunOnA);
    expect((await oldRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    // What the wake cost: the signal and the continue-as-new in the old run, and what the new run's first task did.
    const oldEvents = (await oldRun.fetchHistory()).events ?? [];
    const signalled = oldEvents.findIndex(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'wakeForUpgrade',
    );
    expect(signalled).toBeGreaterThan(0);
    const afterWake = oldEvents.slice(signalled).map((e) => eventName(e));
    expect(afterWake).toContain('WorkflowExecutionContinuedAsNew');
    expect(afterWake.filter((n) => BILLABLE.has(n))).toEqual([
      'WorkflowExecutionSignaled',
      'WorkflowExecutionContinuedAsNew',
    ]);
    const wakeTask = oldEvents.slice(signalled).find((e) => e.workflowTaskStartedEventAttributes);
    expect(wakeTask?.workflowTaskStartedEventAttributes?.targetWorkerDeploymentVersionChanged).toBe(true);
    // The new run's first task does what every new lifecycle run does: its search attributes, its timer.
    const newRunNames = (
      (await d.client.workflow.getHandle(lifecycle.workflowId, movedRun).fetchHistory()).events ?? []
    ).map(eventName);
    const completed = newRunNames.indexOf('WorkflowTaskCompleted');
    const next = newRunNames.indexOf('WorkflowTaskScheduled', completed);
    const firstTask = newRunNames.slice(completed + 1, next === -1 ? undefined : next);
    expect(firstTask.filter((n) => BILLABLE.has(n))).toEqual(['UpsertWorkflowSearchAttributes', 'TimerStarted']);
    // The customer is remembered across the move.
    expect((await d.aftercare.getCustomer(old.customer.id)).orders.map((o) => o.orderId)).toEqual([old.orderId]);

    // The old journey finishes on B through the patch's old branch: every message, no marker, no memo, no failure.
    await d.aftercare.advanceStage(old.orderId, { stage: 'shipped' });
    await d.aftercare.advanceStage(old.orderId, { stage: 'delivered' });
    const result = await oldJourney.result();
    expect(result.status).toBe('completed');
    expect(result.messages.every((m) => m.status === 'sent')).toBe(true);
    expect(await d.sentKeys(old.orderId)).toEqual(['status-placed', 'status-shipped', 'status-delivered', 'thank-you']);
    expect(await versioningOf(oldJourney)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildB });
    const oldHistory = (await oldJourney.fetchHistory()).events ?? [];
    expect(patchMarkers(oldHistory)).toEqual([]);
    expect(oldHistory.map(eventName)).not.toContain('WorkflowTaskFailed');
    expect((await oldJourney.describe()).memo?.startedBy).toBeUndefined();
    // Its workflow tasks ran on A, then on B.
    expect(new Set(taskBuilds(oldHistory))).toEqual(new Set([buildA, buildB]));

    // A new journey (a new customer) runs B's new path from its first task.
    const fresh = sampleOrder();
    await d.aftercare.startOrderJourney(fresh);
    await eventually(async () => expect(await d.sentKeys(fresh.orderId)).toEqual(['status-placed']));
    const freshJourney = d.client.workflow.getHandle(orderJourneyId(fresh.orderId));
    expect(patchMarkers((await freshJourney.fetchHistory()).events ?? [])).toEqual([BUILD_B_PATCH]);
    expect((await freshJourney.describe()).memo?.startedBy).toBe('build B');
    expect(await versioningOf(freshJourney)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildB });
    expect(await versioningOf(d.client.workflow.getHandle(customerLifecycleId(fresh.customer.id)))).toEqual({
      behavior: 'PINNED',
      buildId: buildB,
    });

    // Nothing is pinned to A any more: the server reports it drained, and `ops versions` says its workers can go.
    await eventually(
      async () => {
        const view = await describeDeployment(d.connection, d.server.namespace, d.deploymentName);
        expect(view?.current).toBe(buildB);
        expect(view?.versions.find((v) => v.buildId === buildA)?.status).toBe('drained');
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    lines.length = 0;
    expect(await runOps(['versions'], (l) => lines.push(l), d.opsEnv())).toBe(0);
    expect(lines.join('\n')).toMatch(
      new RegExp(`${buildA}\\s+drained .*0 pinned workflow\\(s\\) running: its workers can stop`),
    );
  }, 240_000);
});

describe('Worker Versioning: configuration and servers', () => {
  it('is on only with AFTERCARE_DEPLOYMENT_NAME, and a build id needs it', () => {
    const base = { NODE_ENV: 'development' };
    expect(loadConfig(base).temporal.versioning).toBeUndefined();
    expect(loadConfig({ ...base, AFTERCARE_DEPLOYMENT_NAME: 'aftercare' }).temporal.versioning).toEqual({
      deploymentName: 'aftercare',
      buildId: undefined,
    });
    expect(
      loadConfig({ ...base, AFTERCARE_DEPLOYMENT_NAME: 'aftercare', AFTERCARE_BUILD_ID: '9f3c2a1' }).temporal
        .versioning,
    ).toEqual({ deploymentName: 'aftercare', buildId: '9f3c2a1' });
    expect(() => loadConfig({ ...base, AFTERCARE_BUILD_ID: '9f3c2a1' })).toThrow(/AFTERCARE_DEPLOYMENT_NAME: required/);
    // The server refuses these in a deployment name.
    expect(() => loadConfig({ ...base, AFTERCARE_DEPLOYMENT_NAME: 'shop.eu' })).toThrow(/AFTERCARE_DEPLOYMENT_NAME/);
    expect(() => loadConfig({ ...base, AFTERCARE_DEPLOYMENT_NAME: '__x' })).toThrow(/AFTERCARE_DEPLOYMENT_NAME/);
  });

  it('refuses to version a worker on a server that would pin lifecycles for good (the CLI dev server, 1.29)', async () => {
    const address = inject('temporalAddress');
    const nativeConnection = await NativeConnection.connect({ address });
    try {
      const { serverVersion } = await nativeConnection.workflowService.getSystemInfo({});
      expect(serverVersion).toMatch(/^1\.29\./);
      await expect(
        createWorker({
          connection: nativeConnection,
          namespace: inject('temporalNamespace'),
          taskQueue: uniqueId('tq-wv-old'),
          dataConverter: dataConverterFor(TEST_KEYS.payloads),
          sendRates: { email: 1, sms: 1, telegram: 1, whatsapp: 1 },
          workflowBundle: { codePath: inject('workflowBundlePath') },
          versioning: { deploymentName: d.deploymentName },
          activities: {} as never,
        }),
      ).rejects.toThrow(/needs Temporal server 1\.31 or later, and this one is 1\.29/);
    } finally {
      await nativeConnection.close();
    }
  });
});

/** Events that cost an Action (docs: evaluate/cloud/actions) among those a lifecycle's wake can cause. */
const BILLABLE = new Set([
  'WorkflowExecutionSignaled',
  'WorkflowExecutionContinuedAsNew',
  'TimerStarted',
  'ActivityTaskScheduled',
  'UpsertWorkflowSearchAttributes',
  'StartChildWorkflowExecutionInitiated',
  'SignalExternalWorkflowExecutionInitiated',
]);
