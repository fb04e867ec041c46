import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { recordStatWith } from '../gateway/stats';
import { tenantOfWorkflowId, tenantSearchAttributes } from '../workflows/tenant';
import {
  countBatchSignal,
  FOLLOW_UP_STATS,
  type FollowUpStatsWorkflow,
  type StatEvent,
} from '../workflows/stats/contract';

export function statsActivities(deps: { client: Client; taskQueue: string; now?: () => number }) {
  return {
    /** Counts a follow-up event (sent, answered, converted); idempotent per event id. */
    async recordStat(input: Omit<StatEvent, 'at'> & { at?: string }): Promise<void> {
      // Counted with the tenant of the workflow that asks (its id carries it).
      const tenant = tenantOfWorkflowId(Context.current().info.workflowExecution?.workflowId ?? '');
      await recordStatWith(
        deps.client,
        deps.taskQueue,
        { ...input, at: input.at ?? new Date((deps.now ?? Date.now)()).toISOString() },
        tenant,
      );
    },
    /** A lean journey's batch, for a shard that was not running yet: started with it (signal-with-start). */
    async recordStats(shardId: string, events: StatEvent[]): Promise<void> {
      await deps.client.workflow.signalWithStart<FollowUpStatsWorkflow, [StatEvent[]]>(FOLLOW_UP_STATS, {
        workflowId: shardId,
        taskQueue: deps.taskQueue,
        args: [{}],
        signal: countBatchSignal,
        signalArgs: [events],
        typedSearchAttributes: tenantSearchAttributes(tenantOfWorkflowId(shardId)),
        staticSummary: 'Follow-up counts (one shard): sent, answered, converted per kind and month',
      });
    },
  };
}
