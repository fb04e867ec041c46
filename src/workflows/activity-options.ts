/**
 * The one place workflows set activity options. Workflow code: deterministic, and it imports the
 * activities as types only.
 */
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Playbook } from '../playbook/schema';
import { summary as bounded } from '../lib/bounded-text';
import { SEND_PRIORITY, sendQueueFor } from './task-queue';

/**
 * Bookkeeping (telling the customer's lifecycle about orders and events, asking for permits,
 * counting): quick calls to Temporal itself, retried until they succeed.
 */
export const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});

/** Transient provider trouble is retried (same idempotency key) until the playbook gives up. */
export const sendActivityOptions = (playbook: Playbook) =>
  ({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: playbook.delivery.giveUpAfter,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  }) satisfies ActivityOptions;

// Every call goes through send() below, which sets the playbook's options and a summary.
const { sendMessage } = proxyActivities<Activities>({ startToCloseTimeout: '30s' });

/**
 * One send attempt, readable in the Temporal UI by its summary. `byProvider` (lean workflows): on its channel's
 * send queue, rate-limited for the provider, transactional before marketing; older workflows send on their own queue.
 */
export function send(
  playbook: Playbook,
  summary: string,
  request: Parameters<Activities['sendMessage']>[0],
  byProvider = false,
) {
  const route = byProvider
    ? {
        taskQueue: sendQueueFor(workflowInfo().taskQueue, request.channel),
        priority: { priorityKey: SEND_PRIORITY[request.purpose ?? 'transactional'] },
      }
    : {};
  return sendMessage.executeWithOptions({ ...sendActivityOptions(playbook), ...route, summary: bounded(summary) }, [
    request,
  ]);
}
