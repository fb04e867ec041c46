import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../src/ops/cli';
import { pinPass, rollbackTo } from '../../src/temporal/rollback';
import { promoteBuild } from '../../src/temporal/versioning';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder } from '../support/harness';
import { BUILD_B_PATCH } from '../support/workflows-build-b';
import {
  buildABundle,
  buildBBundle,
  eventName,
  FAST_DRAINAGE,
  patchMarkers,
  startVersionedDeployment,
  taskBuilds,
  versioningOf,
  type HistoryEvent,
  type VersionedDeployment,
} from '../support/versioned-deployment';

/**
 * Rolling back a deploy under Worker Versioning (docs/workflow-versions.md, "Rolling back a deploy"), on server
 * 1.32.1 like worker-versioning.test.ts. Build B (test/support/workflows-build-b.ts) adds a patch at the journey's
 * start, so every journey B starts carries its marker. Promoting A again on its own breaks those journeys: A's code
 * meets a marker it does not know and fails their workflow tasks, and the shop's stage updates are refused, until B
 * is current again, and `ops promote` refuses to do it without --force. `ops rollback` pins what ran on B to B
 * before promoting A, which keeps them running on B; `ops unpin` lifts the pins once a build with B's patch is current.
 */
let d: VersionedDeployment;
let buildA: string;
let buildB: string;

beforeAll(async () => {
  d = await startVersionedDeployment({ name: 'aftercare-rb', extraDynamicConfig: FAST_DRAINAGE });
  buildA = (await d.startBuild(buildABundle())).version!.buildId;
  expect(await ops('promote', buildA)).toContain(`${buildA} is the current build`);
  // B's workers poll from here on: neither scenario stops them (what is pinned to B needs them).
  buildB = (await d.startBuild(await buildBBundle())).version!.buildId;
  expect(buildB).not.toBe(buildA);
}, 300_000);

afterAll(async () => {
  await d?.stop();
});

async function ops(...args: string[]): Promise<string> {
  const lines: string[] = [];
  expect(await runOps(args, (l) => lines.push(l), d.opsEnv())).toBe(0);
  return lines.join('\n');
}

/** An ops command that refuses (exit code 1) and says why. */
async function opsRefused(...args: string[]): Promise<string> {
  const lines: string[] = [];
  expect(await runOps(args, (l) => lines.push(l), d.opsEnv())).toBe(1);
  return lines.join('\n');
}

const journeyOf = (order: { orderId: string }) => d.client.workflow.getHandle(orderJourneyId(order.orderId));
const lifecycleOf = (order: { customer: { id: string } }) =>
  d.client.workflow.getHandle(customerLifecycleId(order.customer.id));
const historyOf = async (handle: WorkflowHandle): Promise<HistoryEvent[]> => (await handle.fetchHistory()).events ?? [];
const failedTasksOf = async (handle: WorkflowHandle) =>
  (await historyOf(handle)).flatMap((e) =>
    e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes] : [],
  );
const pinnedTo = async (handle: WorkflowHandle) =>
  (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo?.versioningOverride?.pinned?.version?.buildId;

async function startJourney(order: ReturnType<typeof sampleOrder>): Promise<void> {
  await d.aftercare.startOrderJourney(order);
  await eventually(async () => expect(await d.sentKeys(order.orderId)).toEqual(['status-placed']));
}

describe('Worker Versioning: rolling back a deploy', () => {
  it('promoting the old build alone fails the journeys the new one started, until the new one is current again', async () => {
    // The deploy: one journey starts on A and runs a task on B (the patch's old branch), one starts on B (the new).
    const early = sampleOrder();
    await startJourney(early);
    await promoteBuild(d.connection, d.server.namespace, d.deploymentName, buildB);
    await d.aftercare.advanceStage(early.orderId, { stage: 'shipped' });
    const late = sampleOrder();
    await startJourney(late);
    expect(patchMarkers(await historyOf(journeyOf(late)))).toEqual([BUILD_B_PATCH]);
    expect(await versioningOf(lifecycleOf(late))).toEqual({ behavior: 'PINNED', buildId: buildB });

    // A rollback by promotion alone: `ops promote` refuses an older build and points to `ops rollback`...
    const refusal = await opsRefused('promote', buildA);
    expect(refusal).toContain(`Not promoted: ${buildA} is older than the current build ${buildB}.`);
    expect(refusal).toContain(`npm run ops -- rollback ${buildA}`);
    // ...and with --force (the operator says B's journeys are safe on A, wrongly here) does it: A current again.
    expect(await ops('promote', buildA, '--force')).toContain(
      `${buildA} is the current build of "${d.deploymentName}" (was ${buildB}).`,
    );
    // The shop moves the late order on: the task goes to A, which cannot replay B's marker.
    const refused = Promise.allSettled([
      d.aftercare.advanceStage(late.orderId, { stage: 'shipped' }),
      d.aftercare.getOrderJourney(late.orderId),
    ]);

    // Meanwhile what never took B's new branch is fine on A. A new journey starts there, as before the deploy.
    const fresh = sampleOrder();
    await startJourney(fresh);
    expect(await versioningOf(journeyOf(fresh))).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildA });
    expect(patchMarkers(await historyOf(journeyOf(fresh)))).toEqual([]);
    expect((await journeyOf(fresh).describe()).memo?.startedBy).toBeUndefined();
    expect(await versioningOf(lifecycleOf(fresh))).toEqual({ behavior: 'PINNED', buildId: buildA });
    // The journey that ran on B moves back to A and finishes there, each message once.
    await d.aftercare.advanceStage(early.orderId, { stage: 'delivered' });
    expect((await journeyOf(early).result()).status).toBe('completed');
    expect(await d.sentKeys(early.orderId)).toEqual([
      'status-placed',
      'status-shipped',
      'status-delivered',
      'thank-you',
    ]);
    const earlyHistory = await historyOf(journeyOf(early));
    expect(taskBuilds(earlyHistory)).toEqual(expect.arrayContaining([buildA, buildB]));
    expect(taskBuilds(earlyHistory).at(-1)).toBe(buildA);
    expect(earlyHistory.map(eventName)).not.toContain('WorkflowTaskFailed');
    // The lifecycle B started stays pinned to B while nothing wakes it: B's workers must keep running.
    expect(await versioningOf(lifecycleOf(late))).toEqual({ behavior: 'PINNED', buildId: buildB });

    // The late journey: a nondeterminism error on A, the update and the query refused, nothing sent.
    const failure = await eventually(async () => {
      const [first] = await failedTasksOf(journeyOf(late));
      expect(first).toBeDefined();
      return first!;
    });
    expect(failure.cause).toBe(
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
    );
    expect(failure.failure?.message).toBe(
      `[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered for change ${BUILD_B_PATCH}, ` +
        'but there is no corresponding change command!',
    );
    const [update, query] = await refused;
    expect(update.status).toBe('rejected');
    expect(((update as PromiseRejectedResult).reason as Error).cause).toMatchObject({
      code: 9, // FAILED_PRECONDITION
      details: 'Unable to perform workflow execution update due to Workflow Task in failed state.',
    });
    // The query is answered by A replaying the history (the same error) or refused like the update, by timing.
    expect(query.status).toBe('rejected');
    const queryError = (query as PromiseRejectedResult).reason as Error;
    expect(`${queryError.message} ${(queryError.cause as Error | undefined)?.message}`).toMatch(
      /TMPRL1100|Workflow Task in failed state/,
    );
    expect(await d.sentKeys(late.orderId)).toEqual(['status-placed']);
    expect((await journeyOf(late).describe()).status.name).toBe('RUNNING');
    expect(await versioningOf(journeyOf(late))).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildB });

    // Pinning it to B now does not bring it back: its task still goes to A and fails there again (a new failure is
    // recorded after the pin; only A's code lacks the patch). The pass sees it: its task has moved to A.
    const failedBeforePin = (await failedTasksOf(journeyOf(late))).length;
    expect(await pinPass(d.client, d.deploymentName, buildB, 'pin', { checkTransitions: true })).toEqual({
      changed: 1,
      ended: 0,
      movedElsewhere: [orderJourneyId(late.orderId)],
    });
    expect(await pinnedTo(journeyOf(late))).toBe(buildB);
    await eventually(
      async () => expect((await failedTasksOf(journeyOf(late))).length).toBeGreaterThan(failedBeforePin),
      { timeoutMs: 40_000 },
    );

    // Recovery: B current again. The failing task goes to B once its attempt on A times out; the shop's retried
    // update is accepted and every message goes once.
    expect(await ops('promote', buildB)).toContain(`(was ${buildA})`);
    await eventually(() => d.aftercare.advanceStage(late.orderId, { stage: 'shipped' }), {
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    await d.aftercare.advanceStage(late.orderId, { stage: 'delivered' });
    expect((await journeyOf(late).result()).status).toBe('completed');
    expect(await d.sentKeys(late.orderId)).toEqual([
      'status-placed',
      'status-shipped',
      'status-delivered',
      'thank-you',
    ]);
    // Every task it completed ran on B; every failed one was A's nondeterminism.
    expect(new Set(taskBuilds(await historyOf(journeyOf(late))))).toEqual(new Set([buildB]));
    for (const failed of await failedTasksOf(journeyOf(late)))
      expect(failed.failure?.message).toBe(failure.failure?.message);
  }, 120_000);

  it('ops rollback pins what ran on the new build to it, then promotes the old one, without a failed task', async () => {
    await promoteBuild(d.connection, d.server.namespace, d.deploymentName, buildB);
    const onB = sampleOrder();
    await startJourney(onB);

    // The rollback: every running journey whose last task ran on B pinned to B, A promoted, the journeys B started
    // in between pinned (none here), none of them too late.
    const rolledBack = await ops('rollback', buildA);
    expect(rolledBack).toContain(`${buildA} is the current build again (was ${buildB}).`);
    expect(rolledBack).toMatch(
      new RegExp(`^Pinned to ${buildB}: [1-9]\\d* running journey\\(s\\) before the promotion, 0 after it`, 'm'),
    );
    expect(rolledBack).toContain(`Keep the workers of ${buildB} running`);
    expect(rolledBack).toContain(`then \`npm run ops -- unpin ${buildB}\``);
    expect(rolledBack).not.toContain('TMPRL1100');
    expect(await pinnedTo(journeyOf(onB))).toBe(buildB);

    // New journeys start on A.
    const fresh = sampleOrder();
    await startJourney(fresh);
    expect(await versioningOf(journeyOf(fresh))).toEqual({ behavior: 'AUTO_UPGRADE', buildId: buildA });
    expect(patchMarkers(await historyOf(journeyOf(fresh)))).toEqual([]);
    // B is draining, not drained: what is pinned to it (this journey, lifecycles B started) needs its workers.
    expect(await ops('versions')).toMatch(
      new RegExp(`${buildB}\\s+draining .* [1-9]\\d* pinned workflow\\(s\\) running$`, 'm'),
    );
    // A lifecycle B started stays on B until woken; woken, it continues as new onto A with what it knew.
    expect(await versioningOf(lifecycleOf(onB))).toEqual({ behavior: 'PINNED', buildId: buildB });
    expect(await ops('upgrade-lifecycles')).toMatch(/^Woke [1-9]\d* lifecycle\(s\) pinned to an older build/);
    await eventually(async () =>
      expect(await versioningOf(lifecycleOf(onB))).toEqual({ behavior: 'PINNED', buildId: buildA }),
    );
    expect((await d.aftercare.getCustomer(onB.customer.id)).orders.map((o) => o.orderId)).toEqual([onB.orderId]);

    // The pinned journey goes on on B: its update is accepted at once, its message sent once.
    await d.aftercare.advanceStage(onB.orderId, { stage: 'shipped' });
    await eventually(async () => expect(await d.sentKeys(onB.orderId)).toEqual(['status-placed', 'status-shipped']));

    // The pins stay while A is current: lifted, the journeys would fail on A.
    expect(await opsRefused('unpin', buildB)).toContain(`Not unpinned: the current build ${buildA} is older`);
    expect(await pinnedTo(journeyOf(onB))).toBe(buildB);

    // Fixed forward: a build that keeps B's patch is current (here B itself stands in for it; newer than A, so
    // `ops promote` takes it), the pin is lifted, and the journey follows the current build again.
    expect(await ops('promote', buildB)).toContain(`(was ${buildA})`);
    expect(await ops('unpin', buildB)).toMatch(new RegExp(`^Unpinned [1-9]\\d* journey\\(s\\) from ${buildB}`));
    expect(await pinnedTo(journeyOf(onB))).toBeUndefined();
    await d.aftercare.advanceStage(onB.orderId, { stage: 'delivered' });
    expect((await journeyOf(onB).result()).status).toBe('completed');
    expect(await d.sentKeys(onB.orderId)).toEqual(['status-placed', 'status-shipped', 'status-delivered', 'thank-you']);
    const history = await historyOf(journeyOf(onB));
    expect(new Set(taskBuilds(history))).toEqual(new Set([buildB]));
    expect(history.map(eventName)).not.toContain('WorkflowTaskFailed');
  }, 90_000);

  it('pins a journey that started on the new build just before the promotion in the pass after it', async () => {
    await promoteBuild(d.connection, d.server.namespace, d.deploymentName, buildB);
    // The journey starts on B after the last pass before the promotion, and waits (no task pending) when A becomes
    // current: the pass after the promotion pins it before its next task.
    const between = sampleOrder();
    const passes: string[] = [];
    const report = await rollbackTo(d.client, d.deploymentName, buildA, {
      onPass: async (what) => {
        passes.push(what);
        if (what !== 'pass 2 before the promotion') return;
        await startJourney(between);
        await eventually(async () => {
          const { raw } = await journeyOf(between).describe();
          expect(raw.pendingWorkflowTask ?? undefined).toBeUndefined();
          expect(raw.pendingActivities ?? []).toEqual([]);
        });
      },
    });
    expect(passes).toEqual([
      'pass 1 before the promotion',
      'pass 2 before the promotion',
      'pass after the promotion',
      'last pass',
    ]);
    expect(report).toMatchObject({ current: buildA, draining: buildB, pinnedAfter: 1, failing: [] });
    expect(await pinnedTo(journeyOf(between))).toBe(buildB);
    await d.aftercare.advanceStage(between.orderId, { stage: 'shipped' });
    await eventually(async () =>
      expect(await d.sentKeys(between.orderId)).toEqual(['status-placed', 'status-shipped']),
    );
    expect(new Set(taskBuilds(await historyOf(journeyOf(between))))).toEqual(new Set([buildB]));
    expect(await failedTasksOf(journeyOf(between))).toEqual([]);
  }, 90_000);
});
