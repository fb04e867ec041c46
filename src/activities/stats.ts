import type { Client } from '@temporalio/client';
import {
  countSignal,
  FOLLOW_UP_STATS,
  statsWorkflowId,
  type FollowUpStatsWorkflow,
  type StatEvent,
} from '../workflows/stats/contract';

/** Counts a follow-up event in the durable stats workflow (signal-with-start: it exists from the first count on). */
export async function recordStatWith(client: Client, taskQueue: string, event: StatEvent): Promise<void> {
  await client.workflow.signalWithStart<FollowUpStatsWorkflow, [StatEvent]>(FOLLOW_UP_STATS, {
    workflowId: statsWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    signal: countSignal,
    signalArgs: [event],
    staticSummary: 'Follow-up counts: sent, answered, converted per kind and month',
  });
}

export function statsActivities(deps: { client: Client; taskQueue: string; now?: () => number }) {
  return {
    /** Counts a follow-up event (sent, answered, converted); idempotent per event id. */
    async recordStat(input: Omit<StatEvent, 'at'> & { at?: string }): Promise<void> {
      await recordStatWith(deps.client, deps.taskQueue, {
        ...input,
        at: input.at ?? new Date((deps.now ?? Date.now)()).toISOString(),
      });
    },
  };
}
