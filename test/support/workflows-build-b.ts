/**
 * "Build B" for test/workflow/worker-versioning.test.ts: today's workflows, with a changed order journey, the way a
 * real change ships. The change issues one more command at the start (a memo saying which build started the
 * journey) behind patched(), so a journey that started on an older build replays past it on the old branch. Test
 * code only: never bundled by a worker outside that test.
 */
import { patched, setWorkflowOptions, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { OrderJourneyInput, OrderJourneyState } from '../../src/workflows/order/contract';
import { orderJourney as todaysJourney } from '../../src/workflows/order/journey';

export { customerLifecycle, followUpStats, stuckDigest, wooCommerceReconcile } from '../../src/workflows';

export const BUILD_B_PATCH = 'build-b-memo';

export async function orderJourney(input: OrderJourneyInput): Promise<OrderJourneyState> {
  if (patched(BUILD_B_PATCH)) upsertMemo({ startedBy: 'build B' });
  return todaysJourney(input);
}

setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  orderJourney,
);
