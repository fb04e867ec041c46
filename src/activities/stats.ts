import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { tenantOfWorkflowId, tenantSearchAttributes } from '../workflows/tenant';
import {
  countBatchSignal,
  countSignal,
  FOLLOW_UP_STATS,
  STATS_SHARDS,
  statsShardId,
  statsWorkflowId,
  type FollowUpStatsWorkflow,
  type StatEvent,
} from '../workflows/stats/contract';

/**
 * Counts a follow-up event in the durable stats workflow (signal-with-start: it exists from the first count on).
 * The event id (it names the order or customer) reaches the stats workflow only as a hash: counts are anonymous,
 * and stay when a customer is erased.
 */
export async function recordStatWith(
  client: Client,
  taskQueue: string,
  event: StatEvent,
  tenant?: string,
): Promise<void> {
  await client.workflow.signalWithStart<FollowUpStatsWorkflow, [StatEvent]>(FOLLOW_UP_STATS, {
    workflowId: statsWorkflowId(taskQueue, tenant),
    taskQueue,
    args: [{}],
    signal: countSignal,
    signalArgs: [{ ...event, eventId: anonymousEventId(event.eventId) }],
    typedSearchAttributes: tenantSearchAttributes(tenant),
    staticSummary: 'Follow-up counts: sent, answered, converted per kind and month',
  });
}

/**
 * Starts the stats shards that do not run yet (a running one is left as it is, and not billed again), so lean
 * journeys can send their counts with a plain signal from the start.
 */
export async function ensureStatsShards(client: Client, taskQueue: string, tenant?: string): Promise<void> {
  await Promise.all(
    Array.from({ length: STATS_SHARDS }, (_, shard) =>
      client.workflow.start<FollowUpStatsWorkflow>(FOLLOW_UP_STATS, {
        workflowId: statsShardId(taskQueue, shard, tenant),
        taskQueue,
        args: [{}],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: tenantSearchAttributes(tenant),
        staticSummary: 'Follow-up counts (one shard): sent, answered, converted per kind and month',
      }),
    ),
  );
}

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

/** 128 bits of SHA-256: enough to count each event once, nothing to read an order or customer id from. */
export function anonymousEventId(eventId: string): string {
  return `h_${createHash('sha256').update(eventId, 'utf8').digest('base64url').slice(0, 22)}`;
}
