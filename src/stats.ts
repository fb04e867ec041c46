import type { Client } from '@temporalio/client';
import { countSignal, statsWorkflowId, type StatEvent } from './contract';
import type { followUpStats } from './workflows';

/** signal-with-start: the stats workflow exists from the first count on. */
export async function recordStatWith(client: Client, taskQueue: string, event: StatEvent): Promise<void> {
  await client.workflow.signalWithStart<typeof followUpStats, [StatEvent]>('followUpStats', {
    workflowId: statsWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    signal: countSignal,
    signalArgs: [event],
    staticSummary: 'Follow-up counts: sent, answered, converted per kind and month',
  });
}
