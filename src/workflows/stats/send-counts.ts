/**
 * A batch of counts to the stats shard of the workflow that kept them (journeys and lifecycles alike): one signal,
 * and a shard not running yet is started by an activity. Workflow code: deterministic.
 */
import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { bookkeeping } from '../activity-options';
import { tenantOfWorkflowId } from '../tenant';
import { countBatchSignal, statsShardId, statsShardOf, type StatEvent } from './contract';

export async function sendCounts(events: StatEvent[]): Promise<void> {
  const { workflowId, taskQueue } = workflowInfo();
  const shard = statsShardId(taskQueue, statsShardOf(workflowId), tenantOfWorkflowId(workflowId));
  try {
    await getExternalWorkflowHandle(shard).signal(countBatchSignal, events);
  } catch (err) {
    log.info('stats shard not running: starting it', { failure: (err as Error).name });
    await bookkeeping.recordStats(shard, events);
  }
}
