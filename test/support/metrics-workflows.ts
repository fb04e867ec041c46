/**
 * Small workflows for test/workflow/metrics.test.ts, bundled on their own: they call Aftercare's workflow counters
 * (src/workflows/metrics.ts) and make the SDK emit the metrics the dashboard shows. Workflow code.
 */
import { condition, proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import {
  countMessage,
  countOperatorAction,
  countStuck,
  countStuckCleared,
  skipReasonCode,
} from '../../src/workflows/metrics';
import { ORDER_SA, type StuckReason } from '../../src/workflows/order/contract';

const { touch, flaky } = proxyActivities<{ touch(): Promise<void>; flaky(): Promise<void> }>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '10ms', maximumAttempts: 3 },
});

/** Counts one of each, then makes several more workflow tasks (each a replay when the worker caches nothing). */
export async function countingWorkflow(): Promise<void> {
  countMessage('sent', 'thank_you');
  countMessage('skipped', 'offer', skipReasonCode('opted out of marketing (unsubscribe link)'));
  countMessage('failed', 'survey');
  countStuck('delivery-failing');
  await touch();
  countStuckCleared('delivery-failing');
  countOperatorAction('retry');
  await flaky();
  await sleep(10);
}

/** Fails its workflow task (a plain Error), for temporal_workflow_task_execution_failed; terminated by the test. */
export async function failingTask(): Promise<void> {
  throw new Error('this workflow task fails on purpose');
}

/** Stands in for a stuck journey (same workflow type, same search attribute) until it is terminated. */
export async function orderJourney(reason: StuckReason): Promise<void> {
  upsertSearchAttributes([{ key: ORDER_SA.stuck, value: reason }]);
  await condition(() => false);
}
